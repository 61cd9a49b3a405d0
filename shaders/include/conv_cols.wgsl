// The stride-1 3x3 weight gradient walking down columns (conv2d_cols3_weight in conv.wgsl and its
// subgroup twin in conv_subgroups.wgsl). The row weight kernels gather the 3 x 10 inputs of every
// row segment afresh; consecutive output rows share 2 of their 3 input rows, so an invocation that
// walks a column of segments (oh = 0 .. OH − 1 at fixed n, ow0) keeps those two rows in registers
// and gathers 10 new inputs per segment instead of 30 (measured: those gathers were most of the
// kernel's time on lavapipe). A "run" is one such column: runs = N · blocks; an invocation owns
// 4 output channels x 1 input channel x 9 taps and a chunk of runs; partial sums go to
// Y[s, o, c, i, j]. Uniform fields reused from Rows: w_base = chunk (runs per invocation),
// w_so = pairs (channel-block x input-channel pairs). The including module defines
// grads_shared(WeightLane) -> bool and grad8(RowSeg, gy offsets, live, subgroup lane, share).
// #include "conv_rows.wgsl"

// The gradients of 4 output channels at the 8 pixels of a segment.
struct Grad8 { g0: vec4f, g1: vec4f, g2: vec4f, g3: vec4f, g4: vec4f, g5: vec4f, g6: vec4f, g7: vec4f }

// 4 channels of gy at column ow of the row starting at gb, or 0 when the column is past OW or the
// run is not live.
fn grad_at(gb: u32, ow: u32, gk: vec4u, live: bool) -> vec4f {
  let col = gb + min(ow, rw.OW - 1u);
  return select(vec4f(0.0), vec4f(Wt[col + gk.x], Wt[col + gk.y], Wt[col + gk.z], Wt[col + gk.w]), live && ow < rw.OW);
}

// Offset of gy row (n, oh) in channel 0.
fn grad_row(g: RowSeg) -> u32 { return g.n * rw.Cout * rw.OH * rw.OW + g.oh * rw.OW; }

// The segment's gradients, each gathered by this invocation.
fn grads_own(g: RowSeg, gk: vec4u, live: bool) -> Grad8 {
  let gb = grad_row(g);
  return Grad8(grad_at(gb, g.ow0, gk, live), grad_at(gb, g.ow0 + 1u, gk, live), grad_at(gb, g.ow0 + 2u, gk, live),
               grad_at(gb, g.ow0 + 3u, gk, live), grad_at(gb, g.ow0 + 4u, gk, live), grad_at(gb, g.ow0 + 5u, gk, live),
               grad_at(gb, g.ow0 + 6u, gk, live), grad_at(gb, g.ow0 + 7u, gk, live));
}

// The 10 inputs of input row ih for a segment (columns ow0 − PW .. ow0 − PW + 9) of channel plane
// xc, zero outside the input and where `keep` is false (pixels past OW, runs that are not live:
// their gradients are 0, and 0 · Inf would be NaN).
struct XRow { a: vec4f, b: vec4f, c: vec2f }

fn x_row(xc: i32, ih: i32, cols: RowCols, keep: bool) -> XRow {
  let ok = keep && ih >= 0 && ih < i32(rw.Hin);
  let base = xc + ih * i32(rw.Win);
  let oA = vec4u(select(vec4i(0), vec4i(base) + cols.cA, cols.okA & vec4<bool>(ok)));
  let oB = vec4u(select(vec4i(0), vec4i(base) + cols.cB, cols.okB & vec4<bool>(ok)));
  let oC = vec2u(select(vec2i(0), vec2i(base) + cols.cC.xy, cols.okC.xy & vec2<bool>(ok)));
  return XRow(select(vec4f(0.0), vec4f(X[oA.x], X[oA.y], X[oA.z], X[oA.w]), cols.okA & vec4<bool>(ok)),
              select(vec4f(0.0), vec4f(X[oB.x], X[oB.y], X[oB.z], X[oB.w]), cols.okB & vec4<bool>(ok)),
              select(vec2f(0.0), vec2f(X[oC.x], X[oC.y]), cols.okC.xy & vec2<bool>(ok)));
}

// Σ_p g_p · x_p over the 8 pixels (x_0..3 = u, x_4..7 = v): one tap for 4 output channels. Pixels
// past OW are zeroed (lA, lB) in x, as their gradients are.
fn tap8(g: Grad8, u: vec4f, v: vec4f) -> vec4f {
  var a = g.g0 * u.x;
  a = fma(g.g1, vec4f(u.y), a); a = fma(g.g2, vec4f(u.z), a); a = fma(g.g3, vec4f(u.w), a);
  a = fma(g.g4, vec4f(v.x), a); a = fma(g.g5, vec4f(v.y), a); a = fma(g.g6, vec4f(v.z), a);
  return fma(g.g7, vec4f(v.w), a);
}

// The 3 taps of one kernel row: input t = p + j for pixel p and tap j.
fn row3(g: Grad8, r: XRow, lA: vec4<bool>, lB: vec4<bool>) -> mat3x4f {
  let z = vec4f(0.0);
  let u1 = vec4f(r.a.yzw, r.b.x);
  let v1 = vec4f(r.b.yzw, r.c.x);
  let u2 = vec4f(r.a.zw, r.b.xy);
  let v2 = vec4f(r.b.zw, r.c.xy);
  return mat3x4f(tap8(g, select(z, r.a, lA), select(z, r.b, lB)), tap8(g, select(z, u1, lA), select(z, v1, lB)),
                 tap8(g, select(z, u2, lA), select(z, v2, lB)));
}

// Output channels per invocation: 4, or 8 (two blocks of 4 sharing every gathered input row: 18
// gathers per segment instead of 28 for the same FMAs, the win where gathers dominate).
override DWO: u32 = 4;

fn cols3_weight(lane: u32, sl: u32) {
  let pairs = u32(rw.w_so);
  let chunk = u32(rw.w_base);
  let runs = rw.N * rw.blocks;
  let splits = (runs + chunk - 1u) / chunk;
  var wl = weight_lane(min(lane, pairs * splits - 1u));
  wl.o0 *= DWO / 4u; // weight_lane counts blocks of 4 channels
  let share = grads_shared(wl);
  let gk = gy_channels(wl.o0);
  let gh = gy_channels(wl.o0 + 4u); // the second block (DWO = 8)
  var t0 = mat3x4f(); // kernel row 0, taps j = 0..2 as columns, 4 output channels each
  var t1 = mat3x4f();
  var t2 = mat3x4f();
  var h0 = mat3x4f(); // the same for channels o0 + 4 .. o0 + 7
  var h1 = mat3x4f();
  var h2 = mat3x4f();
  // A uniform trip count (chunk, runs past the end masked) keeps subgroup operations in uniform
  // control flow in the subgroup twin.
  for (var it = 0u; it < chunk; it++) {
    let r_raw = wl.s * chunk + it;
    let live = r_raw < runs;
    let r = min(r_raw, runs - 1u);
    let n = r / rw.blocks;
    let ow0 = (r % rw.blocks) * 8u;
    let cols = row_cols(RowSeg(n, 0u, ow0));
    let lA = vec4<bool>(live) & ((vec4u(ow0) + vec4u(0u, 1u, 2u, 3u)) < vec4u(rw.OW));
    let lB = vec4<bool>(live) & ((vec4u(ow0) + vec4u(4u, 5u, 6u, 7u)) < vec4u(rw.OW));
    let xc = i32((n * rw.Cin + wl.c) * rw.Hin * rw.Win);
    let ph = i32(rw.PH);
    var x0 = x_row(xc, -ph, cols, live);
    var x1 = x_row(xc, 1 - ph, cols, live);
    for (var oh = 0u; oh < rw.OH; oh++) {
      let x2 = x_row(xc, i32(oh) + 2 - ph, cols, live);
      let g = grad8(RowSeg(n, oh, ow0), gk, live, sl, share);
      t0 += row3(g, x0, lA, lB);
      t1 += row3(g, x1, lA, lB);
      t2 += row3(g, x2, lA, lB);
      if (DWO == 8u) {
        let g2 = grad8(RowSeg(n, oh, ow0), gh, live, sl, share);
        h0 += row3(g2, x0, lA, lB);
        h1 += row3(g2, x1, lA, lB);
        h2 += row3(g2, x2, lA, lB);
      }
      x0 = x1;
      x1 = x2;
    }
  }
  if (lane >= pairs * splits) { return; }
  store_weight(wl, array<vec4f, 9>(t0[0], t0[1], t0[2], t1[0], t1[1], t1[2], t2[0], t2[1], t2[2]));
  if (DWO == 8u) {
    store_weight(WeightLane(wl.c, wl.o0 + 4u, wl.s), array<vec4f, 9>(h0[0], h0[1], h0[2], h1[0], h1[1], h1[2], h2[0], h2[1], h2[2]));
  }
}
