// The stride-1, 3-wide row kernel of conv.wgsl (see there), with its weights shared through the
// subgroup: on software adapters every per-lane load is a gather, and the weights an invocation
// needs per (input channel, kernel row) are the same for the whole workgroup. Here a few loads per
// lane fetch them all and subgroupBroadcast hands them to every lane (register shuffles):
//  - conv2d_rows3_sg: 4 channels x 8 pixels; lane l loads channel l % 4, taps l / 4 and 2:
//    2 gathers + 12 shuffles instead of 12 gathers (about 1.45x the plain kernel);
//  - conv2d_rows3_sg8: 8 channels x 8 pixels (64 accumulators); lane l loads the 3 taps of channel
//    l: 3 gathers + 24 shuffles, and the 10 gathered inputs now feed 192 FMAs (another 1.4x).
// (Speedups measured side by side in one process on Dawn + lavapipe, (64,32,14,14)->64.)
// They need subgroups of at least 8 lanes (the launcher checks); lanes need not be consecutive
// invocations, since every lane of a subgroup is in the same workgroup and wants the same weights.
// Tried and dropped (each ran about 5-8x slower on lavapipe): an 8-channel weight-gradient kernel
// (two 9 x vec4 accumulator arrays) and sharing inputs with subgroupShuffle through arrays indexed
// by a loop counter. Private arrays stay in registers only while every index folds to a constant.
enable subgroups;
// The weight-gradient kernel below checks at run time that the lanes it broadcasts between agree.
diagnostic(off, subgroup_uniformity);

override WG: u32 = 64;

@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;

fn lane_id(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

struct Rows {
  N: u32, Cin: u32, Hin: u32, Win: u32,
  Cout: u32, OH: u32, OW: u32, KH: u32,
  PH: u32, PW: u32, blocks: u32, has_bias: u32,
  w_base: i32, w_so: i32, w_sc: i32, w_si: i32, // weight of (out k, in c, tap i, j) at base + k·so + c·sc + i·si + j·sj
  w_sj: i32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> rw: Rows;


// Three taps applied to 4 pixels: w.x·t0 + w.y·t1 + w.z·t2.
fn taps(w: vec3f, t0: vec4f, t1: vec4f, t2: vec4f) -> vec4f {
  return fma(vec4f(w.z), t2, fma(vec4f(w.y), t1, vec4f(w.x) * t0));
}

@compute @workgroup_size(WG)
fn conv2d_rows3_sg(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sl: u32) {
  // Lanes past the end compute a clamped row and store nothing: no early return, because
  // subgroupBroadcast must be reached in uniform control flow.
  let lanes = rw.N * rw.OH * rw.blocks;
  let lane = lane_id(gid, nwg);
  let l = min(lane, lanes - 1u);
  let blk = l % rw.blocks;
  let oh = (l / rw.blocks) % rw.OH;
  let n = l / (rw.blocks * rw.OH);
  let ow0 = blk * 8u;
  let k0 = wid.z * 4u;
  let hw = rw.Hin * rw.Win;
  // Columns ow0 − PW + t, t = 0..9, and which of them lie inside the input.
  let c0 = i32(ow0) - i32(rw.PW);
  let cA = vec4i(c0) + vec4i(0, 1, 2, 3);
  let cB = vec4i(c0) + vec4i(4, 5, 6, 7);
  let cC = vec4i(c0) + vec4i(8, 9, 0, 0);
  let win = i32(rw.Win);
  let okA = (cA >= vec4i(0)) & (cA < vec4i(win));
  let okB = (cB >= vec4i(0)) & (cB < vec4i(win));
  let okC = (cC >= vec4i(0)) & (cC < vec4i(win));
  // Weight offsets of the 4 output channels (clamped; rows past Cout are never stored).
  var wk: vec4i;
  for (var k = 0u; k < 4u; k++) { wk[k] = rw.w_base + i32(min(k0 + k, rw.Cout - 1u)) * rw.w_so; }
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0); // pixels 0..3
  var b0 = vec4f(0.0); var b1 = vec4f(0.0); var b2 = vec4f(0.0); var b3 = vec4f(0.0); // pixels 4..7
  for (var i = 0u; i < rw.KH; i++) {
    let ih = i32(oh + i) - i32(rw.PH);
    let rowok = ih >= 0 && ih < i32(rw.Hin);
    let mA = okA & vec4<bool>(rowok);
    let mB = okB & vec4<bool>(rowok);
    let mC = okC & vec4<bool>(rowok);
    let base = i32(n * rw.Cin) * i32(hw) + ih * win;
    let oA = vec4u(select(vec4i(0), vec4i(base) + cA, okA & vec4<bool>(rowok)));
    let oB = vec4u(select(vec4i(0), vec4i(base) + cB, okB & vec4<bool>(rowok)));
    let oC = vec4u(select(vec4i(0), vec4i(base) + cC, okC & vec4<bool>(rowok)));
    var wo = vec4i(i32(i) * rw.w_si) + wk;
    for (var c = 0u; c < rw.Cin; c++) {
      let co = c * hw;
      let xA = select(vec4f(0.0), vec4f(X[oA.x + co], X[oA.y + co], X[oA.z + co], X[oA.w + co]), mA);
      let xB = select(vec4f(0.0), vec4f(X[oB.x + co], X[oB.y + co], X[oB.z + co], X[oB.w + co]), mB);
      let xC = select(vec2f(0.0), vec2f(X[oC.x + co], X[oC.y + co]), mC.xy);
      // Tap j uses inputs t = p + j for pixel p.
      let p0 = xA;
      let q0 = xB;
      let p1 = vec4f(xA.yzw, xB.x);
      let q1 = vec4f(xB.yzw, xC.x);
      let p2 = vec4f(xA.zw, xB.xy);
      let q2 = vec4f(xB.zw, xC.xy);
      let sj = rw.w_sj;
      // Lane sl loads channel sl % 4, tap sl / 4 (taps 0, 1) and tap 2; broadcasts share them.
      let mine = wo[sl % 4u];
      let wa = Wt[u32(mine + i32(sl / 4u) * sj)];
      let wb = Wt[u32(mine + 2 * sj)];
      var w0 = vec3f(subgroupBroadcast(wa, 0u), subgroupBroadcast(wa, 4u), subgroupBroadcast(wb, 0u));
      a0 += taps(w0, p0, p1, p2); b0 += taps(w0, q0, q1, q2);
      w0 = vec3f(subgroupBroadcast(wa, 1u), subgroupBroadcast(wa, 5u), subgroupBroadcast(wb, 1u));
      a1 += taps(w0, p0, p1, p2); b1 += taps(w0, q0, q1, q2);
      w0 = vec3f(subgroupBroadcast(wa, 2u), subgroupBroadcast(wa, 6u), subgroupBroadcast(wb, 2u));
      a2 += taps(w0, p0, p1, p2); b2 += taps(w0, q0, q1, q2);
      w0 = vec3f(subgroupBroadcast(wa, 3u), subgroupBroadcast(wa, 7u), subgroupBroadcast(wb, 3u));
      a3 += taps(w0, p0, p1, p2); b3 += taps(w0, q0, q1, q2);
      wo += vec4i(rw.w_sc);
    }
  }
  if (lane >= lanes) { return; }
  let A = array<vec4f, 4>(a0, a1, a2, a3);
  let Bq = array<vec4f, 4>(b0, b1, b2, b3);
  let ohw = rw.OH * rw.OW;
  let yrow = n * rw.Cout * ohw + oh * rw.OW;
  for (var k = 0u; k < 4u; k++) {
    let o = k0 + k;
    if (o >= rw.Cout) { break; }
    var bias = 0.0;
    if (rw.has_bias != 0u) { bias = B[o]; }
    for (var t = 0u; t < 4u; t++) {
      if (ow0 + t < rw.OW) { Y[yrow + o * ohw + ow0 + t] = A[k][t] + bias; }
      if (ow0 + 4u + t < rw.OW) { Y[yrow + o * ohw + ow0 + 4u + t] = Bq[k][t] + bias; }
    }
  }
}


@compute @workgroup_size(WG)
fn conv2d_rows3_sg8(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sl: u32) {
  // Lanes past the end compute a clamped row and store nothing: no early return, because
  // subgroupBroadcast must be reached in uniform control flow.
  let lanes = rw.N * rw.OH * rw.blocks;
  let lane = lane_id(gid, nwg);
  let l = min(lane, lanes - 1u);
  let blk = l % rw.blocks;
  let oh = (l / rw.blocks) % rw.OH;
  let n = l / (rw.blocks * rw.OH);
  let ow0 = blk * 8u;
  let k0 = wid.z * 8u;
  let hw = rw.Hin * rw.Win;
  // Columns ow0 − PW + t, t = 0..9, and which of them lie inside the input.
  let c0 = i32(ow0) - i32(rw.PW);
  let cA = vec4i(c0) + vec4i(0, 1, 2, 3);
  let cB = vec4i(c0) + vec4i(4, 5, 6, 7);
  let cC = vec4i(c0) + vec4i(8, 9, 0, 0);
  let win = i32(rw.Win);
  let okA = (cA >= vec4i(0)) & (cA < vec4i(win));
  let okB = (cB >= vec4i(0)) & (cB < vec4i(win));
  let okC = (cC >= vec4i(0)) & (cC < vec4i(win));
  // Weight offsets of the 4 output channels (clamped; rows past Cout are never stored).
  // Lane sl's weight offset: output channel k0 + sl % 8 (clamped; rows past Cout are never stored).
  let wmine = rw.w_base + i32(min(k0 + sl % 8u, rw.Cout - 1u)) * rw.w_so;
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0); // pixels 0..3
  var a4 = vec4f(0.0); var a5 = vec4f(0.0); var a6 = vec4f(0.0); var a7 = vec4f(0.0);
  var b0 = vec4f(0.0); var b1 = vec4f(0.0); var b2 = vec4f(0.0); var b3 = vec4f(0.0); // pixels 4..7
  var b4 = vec4f(0.0); var b5 = vec4f(0.0); var b6 = vec4f(0.0); var b7 = vec4f(0.0);
  for (var i = 0u; i < rw.KH; i++) {
    let ih = i32(oh + i) - i32(rw.PH);
    let rowok = ih >= 0 && ih < i32(rw.Hin);
    let mA = okA & vec4<bool>(rowok);
    let mB = okB & vec4<bool>(rowok);
    let mC = okC & vec4<bool>(rowok);
    let base = i32(n * rw.Cin) * i32(hw) + ih * win;
    let oA = vec4u(select(vec4i(0), vec4i(base) + cA, okA & vec4<bool>(rowok)));
    let oB = vec4u(select(vec4i(0), vec4i(base) + cB, okB & vec4<bool>(rowok)));
    let oC = vec4u(select(vec4i(0), vec4i(base) + cC, okC & vec4<bool>(rowok)));
    var wo = i32(i) * rw.w_si + wmine;
    for (var c = 0u; c < rw.Cin; c++) {
      let co = c * hw;
      let xA = select(vec4f(0.0), vec4f(X[oA.x + co], X[oA.y + co], X[oA.z + co], X[oA.w + co]), mA);
      let xB = select(vec4f(0.0), vec4f(X[oB.x + co], X[oB.y + co], X[oB.z + co], X[oB.w + co]), mB);
      let xC = select(vec2f(0.0), vec2f(X[oC.x + co], X[oC.y + co]), mC.xy);
      // Tap j uses inputs t = p + j for pixel p.
      let p0 = xA;
      let q0 = xB;
      let p1 = vec4f(xA.yzw, xB.x);
      let q1 = vec4f(xB.yzw, xC.x);
      let p2 = vec4f(xA.zw, xB.xy);
      let q2 = vec4f(xB.zw, xC.xy);
      let sj = rw.w_sj;
      // Lane sl loads the 3 taps of channel sl % 8; broadcasts hand every lane all 24.
      let t0 = Wt[u32(wo)];
      let t1 = Wt[u32(wo + sj)];
      let t2 = Wt[u32(wo + 2 * sj)];
      var w0 = vec3f(subgroupBroadcast(t0, 0u), subgroupBroadcast(t1, 0u), subgroupBroadcast(t2, 0u));
      a0 += taps(w0, p0, p1, p2); b0 += taps(w0, q0, q1, q2);
      w0 = vec3f(subgroupBroadcast(t0, 1u), subgroupBroadcast(t1, 1u), subgroupBroadcast(t2, 1u));
      a1 += taps(w0, p0, p1, p2); b1 += taps(w0, q0, q1, q2);
      w0 = vec3f(subgroupBroadcast(t0, 2u), subgroupBroadcast(t1, 2u), subgroupBroadcast(t2, 2u));
      a2 += taps(w0, p0, p1, p2); b2 += taps(w0, q0, q1, q2);
      w0 = vec3f(subgroupBroadcast(t0, 3u), subgroupBroadcast(t1, 3u), subgroupBroadcast(t2, 3u));
      a3 += taps(w0, p0, p1, p2); b3 += taps(w0, q0, q1, q2);
      w0 = vec3f(subgroupBroadcast(t0, 4u), subgroupBroadcast(t1, 4u), subgroupBroadcast(t2, 4u));
      a4 += taps(w0, p0, p1, p2); b4 += taps(w0, q0, q1, q2);
      w0 = vec3f(subgroupBroadcast(t0, 5u), subgroupBroadcast(t1, 5u), subgroupBroadcast(t2, 5u));
      a5 += taps(w0, p0, p1, p2); b5 += taps(w0, q0, q1, q2);
      w0 = vec3f(subgroupBroadcast(t0, 6u), subgroupBroadcast(t1, 6u), subgroupBroadcast(t2, 6u));
      a6 += taps(w0, p0, p1, p2); b6 += taps(w0, q0, q1, q2);
      w0 = vec3f(subgroupBroadcast(t0, 7u), subgroupBroadcast(t1, 7u), subgroupBroadcast(t2, 7u));
      a7 += taps(w0, p0, p1, p2); b7 += taps(w0, q0, q1, q2);
      wo += rw.w_sc;
    }
  }
  if (lane >= lanes) { return; }
  let A = array<vec4f, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
  let Bq = array<vec4f, 8>(b0, b1, b2, b3, b4, b5, b6, b7);
  let ohw = rw.OH * rw.OW;
  let yrow = n * rw.Cout * ohw + oh * rw.OW;
  for (var k = 0u; k < 8u; k++) {
    let o = k0 + k;
    if (o >= rw.Cout) { break; }
    var bias = 0.0;
    if (rw.has_bias != 0u) { bias = B[o]; }
    for (var t = 0u; t < 4u; t++) {
      if (ow0 + t < rw.OW) { Y[yrow + o * ohw + ow0 + t] = A[k][t] + bias; }
      if (ow0 + 4u + t < rw.OW) { Y[yrow + o * ohw + ow0 + 4u + t] = Bq[k][t] + bias; }
    }
  }
}


// ---- stride-1 3x3 weight gradient, gradients shared through the subgroup --------------------
// The row weight-gradient kernel of conv.wgsl, where lanes of one subgroup that work on the same
// output channels and pixel chunk (consecutive input channels, when C is a multiple of 8) share the
// 4-channel gradients of the 8 pixels of each row segment: each lane gathers one pixel's and
// subgroupBroadcast hands out the rest (4 gathers instead of 32 per segment). Whether the lanes do
// share them is checked at run time with subgroupAll; if not, every lane gathers its own. The
// segment loop has a trip count that is uniform across the dispatch (`chunk`), with segments past
// the end masked, so the broadcasts are reached by all lanes of a subgroup together.
@compute @workgroup_size(WG)
fn conv2d_rows3_weight_sg(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                          @builtin(subgroup_invocation_id) sl: u32) {
  let pairs = u32(rw.w_so);
  let chunk = u32(rw.w_base);
  let segs = rw.N * rw.OH * rw.blocks;
  let splits = (segs + chunk - 1u) / chunk;
  let lane = lane_id(gid, nwg);
  let l = min(lane, pairs * splits - 1u);
  let pair = l % pairs;
  let s = l / pairs;
  let c = pair % rw.Cin;
  let o0 = (pair / rw.Cin) * 4u;
  let same = subgroupAll(o0 == subgroupBroadcast(o0, 0u) && s == subgroupBroadcast(s, 0u));
  let hw = rw.Hin * rw.Win;
  let ohw = rw.OH * rw.OW;
  let win = i32(rw.Win);
  var gk: vec4u;
  for (var k = 0u; k < 4u; k++) { gk[k] = min(o0 + k, rw.Cout - 1u) * ohw; }
  var acc: array<vec4f, 9>;
  for (var it = 0u; it < chunk; it++) {
    let seg_raw = s * chunk + it;
    let live = seg_raw < segs;
    let seg = min(seg_raw, segs - 1u);
    let blk = seg % rw.blocks;
    let oh = (seg / rw.blocks) % rw.OH;
    let n = seg / (rw.blocks * rw.OH);
    let ow0 = blk * 8u;
    let gb = n * rw.Cout * ohw + oh * rw.OW;
    var g: array<vec4f, 8>;
    if (same) {
      let ow = ow0 + sl % 8u;
      let col = gb + min(ow, rw.OW - 1u);
      let mine = select(vec4f(0.0), vec4f(Wt[col + gk.x], Wt[col + gk.y], Wt[col + gk.z], Wt[col + gk.w]), ow < rw.OW && live);
      g[0] = subgroupBroadcast(mine, 0u); g[1] = subgroupBroadcast(mine, 1u);
      g[2] = subgroupBroadcast(mine, 2u); g[3] = subgroupBroadcast(mine, 3u);
      g[4] = subgroupBroadcast(mine, 4u); g[5] = subgroupBroadcast(mine, 5u);
      g[6] = subgroupBroadcast(mine, 6u); g[7] = subgroupBroadcast(mine, 7u);
    } else {
      for (var p = 0u; p < 8u; p++) {
        let ow = ow0 + p;
        let col = gb + min(ow, rw.OW - 1u);
        let v = vec4f(Wt[col + gk.x], Wt[col + gk.y], Wt[col + gk.z], Wt[col + gk.w]);
        g[p] = select(vec4f(0.0), v, ow < rw.OW && live);
      }
    }
    let xb = i32((n * rw.Cin + c) * hw);
    for (var i = 0u; i < 3u; i++) {
      let ih = i32(oh + i) - i32(rw.PH);
      let rowok = ih >= 0 && ih < i32(rw.Hin);
      var xr: array<f32, 10>;
      for (var t = 0u; t < 10u; t++) {
        let iw = i32(ow0 + t) - i32(rw.PW);
        let ok = rowok && iw >= 0 && iw < win;
        xr[t] = select(0.0, X[u32(select(0, xb + ih * win + iw, ok))], ok);
      }
      for (var p = 0u; p < 8u; p++) {
        acc[3u * i] = fma(g[p], vec4f(xr[p]), acc[3u * i]);
        acc[3u * i + 1u] = fma(g[p], vec4f(xr[p + 1u]), acc[3u * i + 1u]);
        acc[3u * i + 2u] = fma(g[p], vec4f(xr[p + 2u]), acc[3u * i + 2u]);
      }
    }
  }
  if (lane >= pairs * splits) { return; }
  let ckk = rw.Cin * 9u;
  let ob = s * rw.Cout * ckk;
  for (var k = 0u; k < 4u; k++) {
    let o = o0 + k;
    if (o >= rw.Cout) { break; }
    for (var t = 0u; t < 9u; t++) { Y[ob + o * ckk + c * 9u + t] = acc[t][k]; }
  }
}
