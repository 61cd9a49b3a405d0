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

// ---- weight gradient (rows3_weight kernels): 4 output channels x 1 input channel x 9 taps ----
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

// Adds the 9 taps of segment g, input channel c, to acc[3·i + j] (4 channels each), given the 8
// pixels' gradients.
fn accumulate_taps(g: RowSeg, c: u32, grad: array<vec4f, 8>, seg_live: bool, acc: ptr<function, array<vec4f, 9>>) {
  let win = i32(rw.Win);
  let xb = i32((g.n * rw.Cin + c) * rw.Hin * rw.Win);
  for (var i = 0u; i < 3u; i++) {
    let ih = i32(g.oh + i) - i32(rw.PH);
    let rowok = ih >= 0 && ih < i32(rw.Hin);
    var xr: array<f32, 10>;
    for (var t = 0u; t < 10u; t++) {
      let iw = i32(g.ow0 + t) - i32(rw.PW);
      let ok = rowok && iw >= 0 && iw < win;
      xr[t] = select(0.0, X[u32(select(0, xb + ih * win + iw, ok))], ok);
    }
    // A pixel past the row's end (or of a segment past the last) has a zero gradient, but 0·x is NaN where x is ±Inf or NaN, and the
    // columns it reads are inputs of real pixels too: its x is selected to 0 per product instead.
    for (var p = 0u; p < 8u; p++) {
      let live = seg_live && g.ow0 + p < rw.OW;
      (*acc)[3u * i] = fma(grad[p], vec4f(select(0.0, xr[p], live)), (*acc)[3u * i]);
      (*acc)[3u * i + 1u] = fma(grad[p], vec4f(select(0.0, xr[p + 1u], live)), (*acc)[3u * i + 1u]);
      (*acc)[3u * i + 2u] = fma(grad[p], vec4f(select(0.0, xr[p + 2u], live)), (*acc)[3u * i + 2u]);
    }
  }
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
