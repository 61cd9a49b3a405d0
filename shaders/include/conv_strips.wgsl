// The strip kernels of a stride-1 3x3 convolution into ONE output channel (conv_strips.wgsl, and
// its subgroup twin conv_strips_sg.wgsl; see there): the uniform, the gathers of one input row of a
// strip, the taps, and the walk down the strip with rolling accumulators. The including module
// defines row_channels(Acc3, row offset, StripCols, edge, subgroup lane) -> Acc3: all input
// channels of one input row, with the weights loaded its own way.
// #include "conv_io.wgsl"

struct Strips {
  N: u32, Cin: u32, Hin: u32, Win: u32,    // input (gy): [N, Cin, Hin, Win]
  OH: u32, OW: u32, PH: u32, PW: u32,      // output (dx): [N, 1, OH, OW]; padding of the flipped conv
  rows: u32, _p0: u32, _p1: u32, _p2: u32, // output rows per invocation
  w_base: i32, w_sc: i32, w_si: i32, w_sj: i32, // weight of (channel c, tap i, j) at base + c·sc + i·si + j·sj
}

@group(0) @binding(0) var<uniform> sp: Strips;

// The 9 weights of one input channel: r_i holds taps (i, 0..2).
struct W9 { r0: vec3f, r1: vec3f, r2: vec3f }

fn weights9(c: u32) -> W9 {
  let b = sp.w_base + i32(c) * sp.w_sc;
  let si = sp.w_si;
  let sj = sp.w_sj;
  return W9(vec3f(Wt[u32(b)], Wt[u32(b + sj)], Wt[u32(b + 2 * sj)]),
            vec3f(Wt[u32(b + si)], Wt[u32(b + si + sj)], Wt[u32(b + si + 2 * sj)]),
            vec3f(Wt[u32(b + 2 * si)], Wt[u32(b + 2 * si + sj)], Wt[u32(b + 2 * si + 2 * sj)]));
}

// A strip's 6 input columns (clamped to 0 outside the input) and which lie inside it (okA, okB);
// m_j: per pixel p, whether tap j's column p + j lies inside.
struct StripCols { colA: vec4u, colB: vec2u, okA: vec4<bool>, okB: vec2<bool>, m1: vec4<bool>, m2: vec4<bool> }

fn strip_cols(ow0: u32) -> StripCols {
  let c0 = i32(ow0) - i32(sp.PW);
  let cA = vec4i(c0) + vec4i(0, 1, 2, 3);
  let cB = vec2i(c0) + vec2i(4, 5);
  let win = i32(sp.Win);
  let okA = (cA >= vec4i(0)) & (cA < vec4i(win));
  let okB = (cB >= vec2i(0)) & (cB < vec2i(win));
  return StripCols(vec4u(select(vec4i(0), cA, okA)), vec2u(select(vec2i(0), cB, okB)), okA, okB,
                   vec4<bool>(okA.yzw, okB.x), vec4<bool>(okA.zw, okB));
}

// Output rows oh0 + t, oh0 + t − 1, oh0 + t − 2 while input row oh0 + t − PH streams by.
struct Acc3 { a0: vec4f, a1: vec4f, a2: vec4f }

// Three taps of one kernel row on 4 pixels: w.x·t0 + w.y·t1 + w.z·t2 added to acc. On an edge
// strip the taps whose column lies on the padding are dropped by zeroing their weight (the input
// there is 0 already), so they add nothing even for an infinite or NaN weight (SKIP_PAD).
fn taps4(acc: vec4f, w: vec3f, k: StripCols, edge: bool, t0: vec4f, t1: vec4f, t2: vec4f) -> vec4f {
  var w0 = vec4f(w.x);
  var w1 = vec4f(w.y);
  var w2 = vec4f(w.z);
  if (edge) {
    w0 = select(vec4f(0.0), w0, k.okA);
    w1 = select(vec4f(0.0), w1, k.m1);
    w2 = select(vec4f(0.0), w2, k.m2);
  }
  return fma(w2, t2, fma(w1, t1, fma(w0, t0, acc)));
}

// Input channel c of the input row at offset ro (channel 0), weights w: the row's 6 gathers feed
// kernel row i of output row oh0 + t − i, i = 0, 1, 2.
fn channel(acc: Acc3, ro: u32, c: u32, w: W9, k: StripCols, mask_w: bool, edge: bool) -> Acc3 {
  let o = ro + c * sp.Hin * sp.Win;
  var xA = vec4f(X[o + k.colA.x], X[o + k.colA.y], X[o + k.colA.z], X[o + k.colA.w]);
  var xB = vec2f(X[o + k.colB.x], X[o + k.colB.y]);
  if (edge) {
    xA = select(vec4f(0.0), xA, k.okA);
    xB = select(vec2f(0.0), xB, k.okB);
  }
  let t1 = vec4f(xA.yzw, xB.x);
  let t2 = vec4f(xA.zw, xB);
  return Acc3(taps4(acc.a0, w.r0, k, mask_w, xA, t1, t2), taps4(acc.a1, w.r1, k, mask_w, xA, t1, t2),
              taps4(acc.a2, w.r2, k, mask_w, xA, t1, t2));
}

// One strip: image n (stored only when `live`), output rows oh0 .. oh0 + rows − 1, columns
// ow0 .. ow0 + 3. Input rows outside gy are skipped (their taps add nothing); an output row is
// stored once its last input row has passed.
fn strip(n: u32, live: bool, oh0: u32, ow0: u32, edge: bool, sl: u32) {
  let k = strip_cols(ow0);
  let xn = n * sp.Cin * sp.Hin * sp.Win;
  let ohw = sp.OH * sp.OW;
  var acc = Acc3(vec4f(0.0), vec4f(0.0), vec4f(0.0));
  for (var t = 0u; t < sp.rows + 2u; t++) {
    let ih = i32(oh0 + t) - i32(sp.PH);
    if (ih >= 0 && ih < i32(sp.Hin)) {
      acc = row_channels(acc, xn + u32(ih) * sp.Win, k, edge, sl);
    }
    let oh = oh0 + t - 2u;
    if (t >= 2u && oh < sp.OH && live) {
      let yo = n * ohw + oh * sp.OW + ow0;
      for (var p = 0u; p < 4u; p++) {
        if (ow0 + p < sp.OW) { Y[yo + p] = acc.a2[p]; }
      }
    }
    acc = Acc3(vec4f(0.0), acc.a0, acc.a1);
  }
}

// Lanes are images (lanes past the last compute image N − 1 and store nothing); the workgroup
// picks the strip: wid.y its row chunk, wid.z its 4-column block. Interior strips take the
// unmasked code.
fn strips_main(lid: u32, wid: vec3u, sl: u32) {
  if (DBG == 3u) {
    let blocks = (sp.OW + 3u) / 4u;
    let lane = wid.x * WG + lid;
    let nn = lane / blocks;
    strip(min(nn, sp.N - 1u), nn < sp.N, wid.y * sp.rows, (lane % blocks) * 4u, true, sl);
    return;
  }
  let n = wid.x * WG + lid;
  let oh0 = wid.y * sp.rows;
  let ow0 = wid.z * 4u;
  let k = strip_cols(ow0);
  if (DBG == 0u && all(k.okA) && all(k.okB)) {
    strip(min(n, sp.N - 1u), n < sp.N, oh0, ow0, false, sl);
  } else {
    strip(min(n, sp.N - 1u), n < sp.N, oh0, ow0, true, sl);
  }
}
