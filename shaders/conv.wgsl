// 2-D convolution, NCHW activations, weights [O, C, KH, KW] (PyTorch layouts), as implicit GEMM
// with register tiles and no shared memory.
//
// On software adapters (lavapipe, SwiftShader) a kernel runs as SIMD loops over invocations and
// every per-lane load is a gather, so what counts is FMAs per loaded value (perf-facts.md). The
// generic kernels give each invocation a block of 8 channels x 4 pixels (32 accumulators in 8
// vec4s): per reduction step it gathers 4 activations and 8 weights (the same 8 for the whole
// workgroup, but lavapipe still gathers them: measured, removing them made the kernel 1.6x faster),
// then does 32 FMAs. Padding and out-of-range taps read a valid address and are multiplied by 0,
// so the inner loop has no branches. Stride-1 3-wide convolutions take the row kernels at the end
// of this file (and of conv_subgroups.wgsl), which reuse each gathered input across the taps.

override WG: u32 = 64;

struct Conv {
  N: u32, C: u32, H: u32, W: u32,
  O: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, SH: u32, SW: u32, PH: u32,
  PW: u32, DH: u32, DW: u32, has_bias: u32,
  splits: u32, chunk: u32, _p0: u32, _p1: u32,
}

@group(0) @binding(0) var<uniform> cv: Conv;
// #include "conv_io.wgsl"

// 1-D grids folded into (x, y) (lane_id); z indexes channel blocks.
// #include "grid.wgsl"

// ---- forward ---------------------------------------------------------------------------------
// Pixels q = (n, oh, ow) flattened over N·OH·OW, 4 consecutive per invocation; channels o0..o0+7.
@compute @workgroup_size(WG)
fn conv2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                  @builtin(workgroup_id) wid: vec3u) {
  let ohw = cv.OH * cv.OW;
  let P = cv.N * ohw;
  // Lanes past the end compute clamped pixels and store nothing.
  let q0 = lane_id(gid, nwg) * 4u;
  let o0 = wid.z * 8u;
  let hw = i32(cv.H * cv.W);
  let kk = cv.KH * cv.KW;
  let ckk = cv.C * kk;
  var xb: vec4i; // offset of image n, channel 0
  var ih0: vec4i;
  var iw0: vec4i;
  var yb: vec4u; // offset of output pixel at channel 0
  for (var t = 0u; t < 4u; t++) {
    let q = min(q0 + t, P - 1u);
    let n = q / ohw;
    let r = q % ohw;
    let oh = r / cv.OW;
    let ow = r % cv.OW;
    xb[t] = i32(n * cv.C) * hw;
    ih0[t] = i32(oh * cv.SH) - i32(cv.PH);
    iw0[t] = i32(ow * cv.SW) - i32(cv.PW);
    yb[t] = n * cv.O * ohw + r;
  }
  // Weight row offsets of the 8 channels (clamped: rows past O are computed but never stored).
  var wr0: vec4u;
  var wr1: vec4u;
  for (var k = 0u; k < 4u; k++) {
    wr0[k] = min(o0 + k, cv.O - 1u) * ckk;
    wr1[k] = min(o0 + 4u + k, cv.O - 1u) * ckk;
  }
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  var a4 = vec4f(0.0); var a5 = vec4f(0.0); var a6 = vec4f(0.0); var a7 = vec4f(0.0);
  for (var i = 0u; i < cv.KH; i++) {
    let ih = ih0 + vec4i(i32(i * cv.DH));
    let okh = (ih >= vec4i(0)) & (ih < vec4i(i32(cv.H)));
    for (var j = 0u; j < cv.KW; j++) {
      let iw = iw0 + vec4i(i32(j * cv.DW));
      let ok = okh & (iw >= vec4i(0)) & (iw < vec4i(i32(cv.W)));
      let m = ok; // padding taps select 0: a masked load times 0 would turn x[0] = Inf into NaN
      var off = vec4u(select(vec4i(0), xb + ih * vec4i(i32(cv.W)) + iw, ok));
      var wo = i * cv.KW + j;
      for (var c = 0u; c < cv.C; c++) {
        let xv = select(vec4f(0.0), vec4f(X[off.x], X[off.y], X[off.z], X[off.w]), m);
        a0 = fma(vec4f(Wt[wr0.x + wo]), xv, a0);
        a1 = fma(vec4f(Wt[wr0.y + wo]), xv, a1);
        a2 = fma(vec4f(Wt[wr0.z + wo]), xv, a2);
        a3 = fma(vec4f(Wt[wr0.w + wo]), xv, a3);
        a4 = fma(vec4f(Wt[wr1.x + wo]), xv, a4);
        a5 = fma(vec4f(Wt[wr1.y + wo]), xv, a5);
        a6 = fma(vec4f(Wt[wr1.z + wo]), xv, a6);
        a7 = fma(vec4f(Wt[wr1.w + wo]), xv, a7);
        off += vec4u(u32(hw));
        wo += kk;
      }
    }
  }
  let acc = array<vec4f, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
  for (var k = 0u; k < 8u; k++) {
    let o = o0 + k;
    if (o >= cv.O) { break; }
    var b = 0.0;
    if (cv.has_bias != 0u) { b = B[o]; }
    for (var t = 0u; t < 4u; t++) {
      if (q0 + t < P) { Y[yb[t] + o * ohw] = acc[k][t] + b; }
    }
  }
}

// ---- input gradient --------------------------------------------------------------------------
// dx[n,c,ih,iw] = Σ_{o,i,j} gy[n, o, (ih + PH − i·DH)/SH, (iw + PW − j·DW)/SW] · w[o,c,i,j] over the
// taps where both divisions are exact and in range. Pixels over N·H·W, channels c0..c0+7.
@compute @workgroup_size(WG)
fn conv2d_backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                         @builtin(workgroup_id) wid: vec3u) {
  let hw = cv.H * cv.W;
  let P = cv.N * hw;
  let q0 = lane_id(gid, nwg) * 4u;
  if (q0 >= P) { return; }
  let c0 = wid.z * 8u;
  let ohw = cv.OH * cv.OW;
  let kk = cv.KH * cv.KW;
  let ckk = cv.C * kk;
  var gb: vec4i; // offset of gy image n, channel 0
  var th0: vec4i;
  var tw0: vec4i;
  var xo: vec4u;
  for (var t = 0u; t < 4u; t++) {
    let q = min(q0 + t, P - 1u);
    let n = q / hw;
    let r = q % hw;
    gb[t] = i32(n * cv.O * ohw);
    th0[t] = i32(r / cv.W + cv.PH);
    tw0[t] = i32(r % cv.W + cv.PW);
    xo[t] = n * cv.C * hw + r;
  }
  var wr0: vec4u;
  var wr1: vec4u;
  for (var k = 0u; k < 4u; k++) {
    wr0[k] = min(c0 + k, cv.C - 1u) * kk;
    wr1[k] = min(c0 + 4u + k, cv.C - 1u) * kk;
  }
  let sh = vec4i(i32(cv.SH));
  let sw = vec4i(i32(cv.SW));
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  var a4 = vec4f(0.0); var a5 = vec4f(0.0); var a6 = vec4f(0.0); var a7 = vec4f(0.0);
  for (var i = 0u; i < cv.KH; i++) {
    let th = th0 - vec4i(i32(i * cv.DH));
    let thc = max(th, vec4i(0));
    let oh = thc / sh;
    let okh = (th >= vec4i(0)) & ((thc % sh) == vec4i(0)) & (oh < vec4i(i32(cv.OH)));
    for (var j = 0u; j < cv.KW; j++) {
      let tw = tw0 - vec4i(i32(j * cv.DW));
      let twc = max(tw, vec4i(0));
      let ow = twc / sw;
      let ok = okh & (tw >= vec4i(0)) & ((twc % sw) == vec4i(0)) & (ow < vec4i(i32(cv.OW)));
      let m = ok;
      var off = vec4u(select(vec4i(0), gb + oh * vec4i(i32(cv.OW)) + ow, ok));
      var wo = i * cv.KW + j;
      // Taps without an output (gy's padding) add nothing, even for an infinite or NaN weight:
      // selected, not multiplied by 0 (0 · Inf = NaN).
      for (var o = 0u; o < cv.O; o++) {
        let gv = select(vec4f(0.0), vec4f(X[off.x], X[off.y], X[off.z], X[off.w]), m);
        a0 = select(a0, fma(vec4f(Wt[wr0.x + wo]), gv, a0), m);
        a1 = select(a1, fma(vec4f(Wt[wr0.y + wo]), gv, a1), m);
        a2 = select(a2, fma(vec4f(Wt[wr0.z + wo]), gv, a2), m);
        a3 = select(a3, fma(vec4f(Wt[wr0.w + wo]), gv, a3), m);
        a4 = select(a4, fma(vec4f(Wt[wr1.x + wo]), gv, a4), m);
        a5 = select(a5, fma(vec4f(Wt[wr1.y + wo]), gv, a5), m);
        a6 = select(a6, fma(vec4f(Wt[wr1.z + wo]), gv, a6), m);
        a7 = select(a7, fma(vec4f(Wt[wr1.w + wo]), gv, a7), m);
        off += vec4u(ohw);
        wo += ckk;
      }
    }
  }
  let acc = array<vec4f, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
  for (var k = 0u; k < 8u; k++) {
    let c = c0 + k;
    if (c >= cv.C) { break; }
    for (var t = 0u; t < 4u; t++) {
      if (q0 + t < P) { Y[xo[t] + c * hw] = acc[k][t]; }
    }
  }
}

// ---- weight gradient -------------------------------------------------------------------------
// dw[o, r] = Σ_q gy[n, o, oh, ow] · x[n, c, oh·SH − PH + i·DH, ow·SW − PW + j·DW], r = (c, i, j),
// q = (n, oh, ow). The reduction over q is long and the outputs few, so it is split: invocation s
// sums pixels [s·chunk, (s+1)·chunk) for an 8 (o) x 4 (r) block and writes partial sums
// Y[s, o, r]; the launcher adds the `splits` partials with the reduce kernel (or s = 1 writes dw).
// X holds x, Wt holds gy. Lanes run over s; the (o, r) block comes from workgroup_id (y, z).
@compute @workgroup_size(WG)
fn conv2d_backward_weight(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let s = gid.x;
  if (s >= cv.splits) { return; }
  let kk = cv.KH * cv.KW;
  let ckk = cv.C * kk;
  let ohw = cv.OH * cv.OW;
  let P = cv.N * ohw;
  let o0 = wid.z * 8u;
  let r0 = wid.y * 4u;
  // Per column r: x offset within an image, and the tap offsets for the bounds checks.
  var xoff: vec4i;
  var di: vec4i;
  var dj: vec4i;
  for (var t = 0u; t < 4u; t++) {
    let r = min(r0 + t, ckk - 1u);
    let c = r / kk;
    let i = (r % kk) / cv.KW;
    let j = r % cv.KW;
    di[t] = i32(i * cv.DH);
    dj[t] = i32(j * cv.DW);
    xoff[t] = i32(c * cv.H * cv.W) + di[t] * i32(cv.W) + dj[t];
  }
  var go0: vec4u;
  var go1: vec4u;
  for (var k = 0u; k < 4u; k++) {
    go0[k] = min(o0 + k, cv.O - 1u) * ohw;
    go1[k] = min(o0 + 4u + k, cv.O - 1u) * ohw;
  }
  let q_begin = s * cv.chunk;
  let q_end = min(q_begin + cv.chunk, P);
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  var a4 = vec4f(0.0); var a5 = vec4f(0.0); var a6 = vec4f(0.0); var a7 = vec4f(0.0);
  if (q_begin < P) {
    // Walk q as (n, oh, ow) counters: no division in the loop.
    var n = q_begin / ohw;
    var oh = (q_begin % ohw) / cv.OW;
    var ow = q_begin % cv.OW;
    for (var q = q_begin; q < q_end; q++) {
      let ih = vec4i(i32(oh * cv.SH) - i32(cv.PH)) + di;
      let iw = vec4i(i32(ow * cv.SW) - i32(cv.PW)) + dj;
      let ok = (ih >= vec4i(0)) & (ih < vec4i(i32(cv.H))) & (iw >= vec4i(0)) & (iw < vec4i(i32(cv.W)));
      let base = i32(n * cv.C * cv.H * cv.W) + (i32(oh * cv.SH) - i32(cv.PH)) * i32(cv.W) + i32(ow * cv.SW) - i32(cv.PW);
      let off = vec4u(select(vec4i(0), vec4i(base) + xoff, ok));
      let xv = select(vec4f(0.0), vec4f(X[off.x], X[off.y], X[off.z], X[off.w]), ok);
      let gq = n * cv.O * ohw + oh * cv.OW + ow;
      a0 = fma(vec4f(Wt[gq + go0.x]), xv, a0);
      a1 = fma(vec4f(Wt[gq + go0.y]), xv, a1);
      a2 = fma(vec4f(Wt[gq + go0.z]), xv, a2);
      a3 = fma(vec4f(Wt[gq + go0.w]), xv, a3);
      a4 = fma(vec4f(Wt[gq + go1.x]), xv, a4);
      a5 = fma(vec4f(Wt[gq + go1.y]), xv, a5);
      a6 = fma(vec4f(Wt[gq + go1.z]), xv, a6);
      a7 = fma(vec4f(Wt[gq + go1.w]), xv, a7);
      ow++;
      if (ow == cv.OW) {
        ow = 0u;
        oh++;
        if (oh == cv.OH) { oh = 0u; n++; }
      }
    }
  }
  let acc = array<vec4f, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
  let ob = s * cv.O * ckk;
  for (var k = 0u; k < 8u; k++) {
    let o = o0 + k;
    if (o >= cv.O) { break; }
    for (var t = 0u; t < 4u; t++) {
      if (r0 + t < ckk) { Y[ob + o * ckk + r0 + t] = acc[k][t]; }
    }
  }
}

// ---- stride-1, 3-wide kernels: rows of 8 pixels --------------------------------------------
// For stride 1, dilation 1 and kw = 3 (the common case), each invocation computes 8 consecutive
// pixels of one output row for 4 channels. Per (input channel, kernel row) it gathers the 10 input
// values the row needs once and reuses them for all 3 taps: 10 + 12 loads for 96 FMAs, against
// 36 loads for the same work without the reuse. The same kernel computes the input gradient of a
// stride-1 convolution (a convolution of gy with the flipped, channel-transposed weights): the
// weight layout is given as signed strides, so flipping costs no copy.
// #include "conv_rows.wgsl"

// Output channels per invocation of conv2d_rows3: 4, or 2 or 1 when there are fewer channels (the
// unused accumulators compile away). A 3x3 input gradient into 1 channel takes conv_strips.wgsl.
override CB: u32 = 4;

@compute @workgroup_size(WG)
fn conv2d_rows3(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(workgroup_id) wid: vec3u) {
  // Lanes past the end compute a clamped row and store nothing (no early return, so the loops stay
  // in uniform control flow, as the subgroup twin of this kernel requires).
  let lanes = rw.N * rw.OH * rw.blocks;
  let lane = lane_id(gid, nwg);
  let row = row_seg(min(lane, lanes - 1u));
  let k0 = wid.z * CB;
  let hw = rw.Hin * rw.Win;
  let cols = row_cols(row);
  let wk = weight_channels(k0);
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0); // pixels 0..3
  var b0 = vec4f(0.0); var b1 = vec4f(0.0); var b2 = vec4f(0.0); var b3 = vec4f(0.0); // pixels 4..7
  for (var i = 0u; i < rw.KH; i++) {
    let r = row_inputs(row, cols, i);
    let m = tap_masks(r);
    var wo = vec4i(i32(i) * rw.w_si) + wk;
    for (var c = 0u; c < rw.Cin; c++) {
      let x = tap_inputs(r, c * hw);
      let sj = rw.w_sj;
      let u = vec4u(wo);
      let v = vec4u(wo + vec4i(sj));
      let z = vec4u(wo + vec4i(2 * sj));
      var w0 = vec3f(Wt[u.x], Wt[v.x], Wt[z.x]);
      a0 += taps_p(w0, x, m); b0 += taps_q(w0, x, m);
      if (CB > 1u) {
      w0 = vec3f(Wt[u.y], Wt[v.y], Wt[z.y]);
      a1 += taps_p(w0, x, m); b1 += taps_q(w0, x, m);
      if (CB > 2u) {
        w0 = vec3f(Wt[u.z], Wt[v.z], Wt[z.z]);
        a2 += taps_p(w0, x, m); b2 += taps_q(w0, x, m);
        w0 = vec3f(Wt[u.w], Wt[v.w], Wt[z.w]);
        a3 += taps_p(w0, x, m); b3 += taps_q(w0, x, m);
      }
      }
      wo += vec4i(rw.w_sc);
    }
  }
  if (lane >= lanes) { return; }
  let A = array<vec4f, 4>(a0, a1, a2, a3);
  let Bq = array<vec4f, 4>(b0, b1, b2, b3);
  for (var k = 0u; k < CB; k++) {
    let o = k0 + k;
    if (o >= rw.Cout) { break; }
    store_row(row, o, A[k], Bq[k]);
  }
}

// ---- stride-1 3x3 weight gradient walking down columns (shaders/include/conv_cols.wgsl) -----
// #include "conv_cols.wgsl"

fn grads_shared(w: WeightLane) -> bool { return false; }

fn grad8(g: RowSeg, gk: vec4u, live: bool, sl: u32, share: bool) -> Grad8 {
  return grads_own(g, gk, live);
}

@compute @workgroup_size(WG)
fn conv2d_cols3_weight(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  cols3_weight(lane_id(gid, nwg), 0u);
}
