// The uniform of the stride-1, 3-wide row kernels (conv.wgsl, conv_subgroups.wgsl) and the parts
// those kernels share: where a row segment's inputs are, the tap arithmetic, the stores. Each
// kernel keeps its own loops, weight loads and accumulators; these helpers only name the steps.
// #include "conv_io.wgsl"

struct Rows {
  N: u32, Cin: u32, Hin: u32, Win: u32,
  Cout: u32, OH: u32, OW: u32, KH: u32,
  PH: u32, PW: u32, blocks: u32, has_bias: u32,
  w_base: i32, w_so: i32, w_sc: i32, w_si: i32, // weight of (out k, in c, tap i, j) at base + k·so + c·sc + i·si + j·sj
  w_sj: i32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> rw: Rows;

// A row segment: 8 output pixels (n, oh, ow0 .. ow0 + 7); segments run over N·OH·blocks.
struct RowSeg { n: u32, oh: u32, ow0: u32 }

fn row_seg(s: u32) -> RowSeg {
  let blk = s % rw.blocks;
  let oh = (s / rw.blocks) % rw.OH;
  let n = s / (rw.blocks * rw.OH);
  return RowSeg(n, oh, blk * 8u);
}

// The input columns ow0 − PW + t, t = 0..9, of a segment (cC.zw unused), and which of them lie
// inside the input.
struct RowCols { cA: vec4i, cB: vec4i, cC: vec4i, okA: vec4<bool>, okB: vec4<bool>, okC: vec4<bool> }

fn row_cols(g: RowSeg) -> RowCols {
  let c0 = i32(g.ow0) - i32(rw.PW);
  let cA = vec4i(c0) + vec4i(0, 1, 2, 3);
  let cB = vec4i(c0) + vec4i(4, 5, 6, 7);
  let cC = vec4i(c0) + vec4i(8, 9, 0, 0);
  let win = i32(rw.Win);
  let okA = (cA >= vec4i(0)) & (cA < vec4i(win));
  let okB = (cB >= vec4i(0)) & (cB < vec4i(win));
  let okC = (cC >= vec4i(0)) & (cC < vec4i(win));
  return RowCols(cA, cB, cC, okA, okB, okC);
}

// The 10 inputs kernel row i reads (input row oh − PH + i): offsets in input channel 0 of image n,
// and whether they lie inside the input. Padding reads offset 0 and then selects 0: multiplying the
// load by a 0 mask instead would turn x[0] = Inf or NaN into NaN at every padded tap.
struct RowInputs { oA: vec4u, oB: vec4u, oC: vec4u, mA: vec4<bool>, mB: vec4<bool>, mC: vec4<bool> }

fn row_inputs(g: RowSeg, cols: RowCols, i: u32) -> RowInputs {
  let ih = i32(g.oh + i) - i32(rw.PH);
  let rowok = ih >= 0 && ih < i32(rw.Hin);
  let mA = cols.okA & vec4<bool>(rowok);
  let mB = cols.okB & vec4<bool>(rowok);
  let mC = cols.okC & vec4<bool>(rowok);
  let base = i32(g.n * rw.Cin) * i32(rw.Hin * rw.Win) + ih * i32(rw.Win);
  let oA = vec4u(select(vec4i(0), vec4i(base) + cols.cA, cols.okA & vec4<bool>(rowok)));
  let oB = vec4u(select(vec4i(0), vec4i(base) + cols.cB, cols.okB & vec4<bool>(rowok)));
  let oC = vec4u(select(vec4i(0), vec4i(base) + cols.cC, cols.okC & vec4<bool>(rowok)));
  return RowInputs(oA, oB, oC, mA, mB, mC);
}

// The gathered inputs of one input channel (offset co), as the 3 taps see them: tap j of pixel p
// uses input t = p + j; p0, p1, p2 serve pixels 0..3 and q0, q1, q2 pixels 4..7.
struct TapInputs { p0: vec4f, p1: vec4f, p2: vec4f, q0: vec4f, q1: vec4f, q2: vec4f }

fn tap_inputs(r: RowInputs, co: u32) -> TapInputs {
  let xA = select(vec4f(0.0), vec4f(X[r.oA.x + co], X[r.oA.y + co], X[r.oA.z + co], X[r.oA.w + co]), r.mA);
  let xB = select(vec4f(0.0), vec4f(X[r.oB.x + co], X[r.oB.y + co], X[r.oB.z + co], X[r.oB.w + co]), r.mB);
  let xC = select(vec2f(0.0), vec2f(X[r.oC.x + co], X[r.oC.y + co]), r.mC.xy);
  return TapInputs(xA, vec4f(xA.yzw, xB.x), vec4f(xA.zw, xB.xy), xB, vec4f(xB.yzw, xC.x), vec4f(xB.zw, xC.xy));
}

// Weight offsets of output channels k0 .. k0 + 3 (clamped; channels past Cout are never stored).
fn weight_channels(k0: u32) -> vec4i {
  var wk: vec4i;
  for (var k = 0u; k < 4u; k++) { wk[k] = rw.w_base + i32(min(k0 + k, rw.Cout - 1u)) * rw.w_so; }
  return wk;
}

// Three taps applied to 4 pixels: w.x·t0 + w.y·t1 + w.z·t2.
fn taps(w: vec3f, t0: vec4f, t1: vec4f, t2: vec4f) -> vec4f {
  return fma(vec4f(w.z), t2, fma(vec4f(w.y), t1, vec4f(w.x) * t0));
}

// The input gradient (the row kernel on gy with flipped weights) sets SKIP_PAD: there a tap on gy's
// zero padding must add nothing even for an infinite or NaN weight (dx sums gy · w over the
// outputs that exist, as the oracle and PyTorch do), while the forward multiplies the padding's
// zeros by the weights (0 · Inf = NaN, as PyTorch). Which lanes' taps lie inside the input:
struct TapMasks { p0: vec4<bool>, p1: vec4<bool>, p2: vec4<bool>, q0: vec4<bool>, q1: vec4<bool>, q2: vec4<bool> }

override SKIP_PAD: bool = false;

fn tap_masks(r: RowInputs) -> TapMasks {
  return TapMasks(r.mA, vec4<bool>(r.mA.yzw, r.mB.x), vec4<bool>(r.mA.zw, r.mB.xy),
                  r.mB, vec4<bool>(r.mB.yzw, r.mC.x), vec4<bool>(r.mB.zw, r.mC.xy));
}

fn taps_masked(w: vec3f, t0: vec4f, t1: vec4f, t2: vec4f, m0: vec4<bool>, m1: vec4<bool>, m2: vec4<bool>) -> vec4f {
  if (SKIP_PAD) {
    let z = vec4f(0.0);
    return select(z, vec4f(w.z) * t2, m2) + select(z, vec4f(w.y) * t1, m1) + select(z, vec4f(w.x) * t0, m0);
  }
  return taps(w, t0, t1, t2);
}

// The 3 taps of weights w for pixels 0..3 (taps_p) and 4..7 (taps_q) of a segment.
fn taps_p(w: vec3f, x: TapInputs, m: TapMasks) -> vec4f { return taps_masked(w, x.p0, x.p1, x.p2, m.p0, m.p1, m.p2); }
fn taps_q(w: vec3f, x: TapInputs, m: TapMasks) -> vec4f { return taps_masked(w, x.q0, x.q1, x.q2, m.q0, m.q1, m.q2); }

// Output channel o of a segment: pixels 0..3 from a, 4..7 from b, plus the bias; columns past OW
// are not stored.
fn store_row(g: RowSeg, o: u32, a: vec4f, b: vec4f) {
  var bias = 0.0;
  if (rw.has_bias != 0u) { bias = B[o]; }
  let ohw = rw.OH * rw.OW;
  let yrow = g.n * rw.Cout * ohw + g.oh * rw.OW;
  for (var t = 0u; t < 4u; t++) {
    if (g.ow0 + t < rw.OW) { Y[yrow + o * ohw + g.ow0 + t] = a[t] + bias; }
    if (g.ow0 + 4u + t < rw.OW) { Y[yrow + o * ohw + g.ow0 + 4u + t] = b[t] + bias; }
  }
}

// ---- weight gradient (cols3_weight kernels): 4 output channels x 1 input channel x 9 taps ----
// Lane l of a dispatch: input channel c, output channels o0 .. o0 + 3, chunk s of segments.
struct WeightLane { c: u32, o0: u32, s: u32 }

fn weight_lane(l: u32) -> WeightLane {
  let pairs = u32(rw.w_so);
  let pair = l % pairs;
  return WeightLane(pair % rw.Cin, (pair / rw.Cin) * 4u, l / pairs);
}

// The gy offsets of output channels o0 .. o0 + 3 (clamped; channels past Cout are never stored).
fn gy_channels(o0: u32) -> vec4u {
  var gk: vec4u;
  for (var k = 0u; k < 4u; k++) { gk[k] = min(o0 + k, rw.Cout - 1u) * rw.OH * rw.OW; }
  return gk;
}

// Partial sums of chunk s: Y[s, o, c, i, j] = acc[3·i + j][o − o0] for the channels o < Cout.
fn store_weight(w: WeightLane, acc: array<vec4f, 9>) {
  let ckk = rw.Cin * 9u;
  let ob = w.s * rw.Cout * ckk;
  for (var k = 0u; k < 4u; k++) {
    let o = w.o0 + k;
    if (o >= rw.Cout) { break; }
    for (var t = 0u; t < 9u; t++) { Y[ob + o * ckk + w.c * 9u + t] = acc[t][k]; }
  }
}
