// The strip kernels of a stride-1 3x3 convolution into ONE output channel (conv_strips.wgsl, and
// its subgroup twin conv_strips_sg.wgsl; see there): the uniform, the gathers of one input row of a
// strip, the taps, and the walk down the strip with rolling accumulators. The including module
// declares `override WG` and defines row_channels(Acc3, row offset, StripCols, subgroup lane)
// -> Acc3: all input channels of one input row, each through channel(), the weights loaded its way,
// and store_out(n, oh, ow0, a, b): a finished output row of the strip (store_strip, or vec4 stores).
// #include "conv_io.wgsl"

struct Strips {
  N: u32, Cin: u32, Hin: u32, Win: u32,    // input (gy): [N, Cin, Hin, Win]
  OH: u32, OW: u32, PH: u32, PW: u32,      // output (dx): [N, 1, OH, OW]; padding of the flipped conv
  rows: u32, blocks: u32, Cout: u32, has_bias: u32, // output rows per invocation; PX-column blocks per row;
                                           // output channels (1 for dx); forward: add B

  w_base: i32, w_sc: i32, w_si: i32, w_sj: i32, // weight of (channel c, tap i, j) at base + c·sc + i·si + j·sj
}

@group(0) @binding(0) var<uniform> sp: Strips;

// The output channel a workgroup computes and its accumulators' start (the bias), set by the entry
// point (0 and 0 for the 1-channel dx).
var<private> out_k: u32;
var<private> acc0: f32;

// Whether input rows on the padding pass through the taps (the forward) or are skipped (dx).
override PAD_ROWS: bool = false;

// Pixels per strip row, 4 to 8 (pixels past PX, their accumulators and inputs compile away).
override PX: u32 = 8;

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

// A strip's PX + 2 input columns (clamped to 0 outside the input: A = 0..3, B = 4..7, C = 8, 9)
// and which lie inside it; mP_j / mQ_j: whether tap j's column lies inside, per pixel 0..3 / 4..7.
struct StripCols {
  colA: vec4u, colB: vec4u, colC: vec2u, okA: vec4<bool>, okB: vec4<bool>, okC: vec2<bool>,
  mP1: vec4<bool>, mP2: vec4<bool>, mQ1: vec4<bool>, mQ2: vec4<bool>,
}

fn strip_cols(ow0: u32) -> StripCols {
  let c0 = i32(ow0) - i32(sp.PW);
  let cA = vec4i(c0) + vec4i(0, 1, 2, 3);
  let cB = vec4i(c0) + vec4i(4, 5, 6, 7);
  let cC = vec2i(c0) + vec2i(8, 9);
  let win = i32(sp.Win);
  let okA = (cA >= vec4i(0)) & (cA < vec4i(win));
  let okB = (cB >= vec4i(0)) & (cB < vec4i(win));
  let okC = (cC >= vec2i(0)) & (cC < vec2i(win));
  return StripCols(vec4u(select(vec4i(0), cA, okA)), vec4u(select(vec4i(0), cB, okB)), vec2u(select(vec2i(0), cC, okC)),
                   okA, okB, okC, vec4<bool>(okA.yzw, okB.x), vec4<bool>(okA.zw, okB.xy),
                   vec4<bool>(okB.yzw, okC.x), vec4<bool>(okB.zw, okC));
}

// Output rows oh0 + t (a0, b0), oh0 + t − 1 (a1, b1), oh0 + t − 2 (a2, b2) while input row
// oh0 + t − PH streams by; a_i: pixels 0..3, b_i: pixels 4..7.
struct Acc3 { a0: vec4f, a1: vec4f, a2: vec4f, b0: vec4f, b1: vec4f, b2: vec4f }

// Three taps of one kernel row on 4 pixels: w.x·t0 + w.y·t1 + w.z·t2 added to acc. With `mask`,
// taps whose column lies on the padding are dropped by zeroing their weight (the input there is 0
// already), so they add nothing even for an infinite or NaN weight (SKIP_PAD).
fn taps4(acc: vec4f, w: vec3f, mask: bool, m0: vec4<bool>, m1: vec4<bool>, m2: vec4<bool>, t0: vec4f, t1: vec4f, t2: vec4f) -> vec4f {
  var w0 = vec4f(w.x);
  var w1 = vec4f(w.y);
  var w2 = vec4f(w.z);
  if (mask) {
    w0 = select(vec4f(0.0), w0, m0);
    w1 = select(vec4f(0.0), w1, m1);
    w2 = select(vec4f(0.0), w2, m2);
  }
  return fma(w2, t2, fma(w1, t1, fma(w0, t0, acc)));
}

// Input channel c of the input row at offset ro (channel 0), weights w: the row's PX + 2 gathers
// feed kernel row i of output row oh0 + t − i, i = 0, 1, 2. Inputs outside gy are selected to 0
// (lanes of one SIMD vector hold different column blocks, so every lane selects); `mask`: zero the
// weights of the taps on them too.
fn channel(acc: Acc3, ro: u32, c: u32, w: W9, k: StripCols, mask: bool) -> Acc3 {
  let o = ro + c * sp.Hin * sp.Win;
  // Columns 0..PX + 1 are gathered (the rest stay 0 and compile away with the pixels past PX).
  var xA = vec4f(X[o + k.colA.x], X[o + k.colA.y], X[o + k.colA.z], X[o + k.colA.w]);
  var xB = vec4f(X[o + k.colB.x], X[o + k.colB.y], 0.0, 0.0);
  var xC = vec2f(0.0);
  if (PX > 4u) { xB.z = X[o + k.colB.z]; }
  if (PX > 5u) { xB.w = X[o + k.colB.w]; }
  if (PX > 6u) { xC.x = X[o + k.colC.x]; }
  if (PX > 7u) { xC.y = X[o + k.colC.y]; }
  xA = select(vec4f(0.0), xA, k.okA);
  xB = select(vec4f(0.0), xB, k.okB);
  xC = select(vec2f(0.0), xC, k.okC);
  let p1 = vec4f(xA.yzw, xB.x);
  let p2 = vec4f(xA.zw, xB.xy);
  var r = Acc3(taps4(acc.a0, w.r0, mask, k.okA, k.mP1, k.mP2, xA, p1, p2), taps4(acc.a1, w.r1, mask, k.okA, k.mP1, k.mP2, xA, p1, p2),
               taps4(acc.a2, w.r2, mask, k.okA, k.mP1, k.mP2, xA, p1, p2), acc.b0, acc.b1, acc.b2);
  if (PX > 4u) {
    let q1 = vec4f(xB.yzw, xC.x);
    let q2 = vec4f(xB.zw, xC);
    r.b0 = taps4(acc.b0, w.r0, mask, k.okB, k.mQ1, k.mQ2, xB, q1, q2);
    r.b1 = taps4(acc.b1, w.r1, mask, k.okB, k.mQ1, k.mQ2, xB, q1, q2);
    r.b2 = taps4(acc.b2, w.r2, mask, k.okB, k.mQ1, k.mQ2, xB, q1, q2);
  }
  return r;
}

// Pixels 0..3 (a) and 4..7 (b) of output row oh, columns past OW left out.
fn store_strip(n: u32, oh: u32, ow0: u32, a: vec4f, b: vec4f) {
  let yo = ((n * sp.Cout + out_k) * sp.OH + oh) * sp.OW + ow0;
  for (var p = 0u; p < 4u; p++) {
    if (ow0 + p < sp.OW) { Y[yo + p] = a[p]; }
    if (4u + p < PX && ow0 + 4u + p < sp.OW) { Y[yo + 4u + p] = b[p]; }
  }
}

// Lane `lane`'s strip: image n, PX-column block, rows oh0 .. oh0 + rows − 1 (wid.y picks the row
// chunk for the whole workgroup, so the row loop is uniform). Lanes past the last strip compute
// the last one and store nothing. Input rows outside gy are skipped (their taps add nothing); an
// output row is stored once its last input row has passed.
fn strip(lane: u32, chunk: u32, sl: u32) {
  let live = lane < sp.N * sp.blocks;
  let s = min(lane, sp.N * sp.blocks - 1u);
  let n = s / sp.blocks;
  let ow0 = (s % sp.blocks) * PX;
  let oh0 = chunk * sp.rows;
  let k = strip_cols(ow0);
  let xn = n * sp.Cin * sp.Hin * sp.Win;
  let z = vec4f(acc0);
  var acc = Acc3(z, z, z, z, z, z);
  for (var t = 0u; t < sp.rows + 2u; t++) {
    let ih = i32(oh0 + t) - i32(sp.PH);
    let inside = ih >= 0 && ih < i32(sp.Hin);
    if (PAD_ROWS) {
      // The forward multiplies padded rows' zeros too (0 · Inf = NaN): their columns are masked
      // at run time (constant zeros would let the compiler drop the taps).
      var kr = k;
      kr.okA = k.okA & vec4<bool>(inside);
      kr.okB = k.okB & vec4<bool>(inside);
      kr.okC = k.okC & vec2<bool>(inside);
      acc = row_channels(acc, xn + u32(clamp(ih, 0, i32(sp.Hin) - 1)) * sp.Win, kr, sl);
    } else if (inside) {
      acc = row_channels(acc, xn + u32(ih) * sp.Win, k, sl);
    }
    let oh = oh0 + t - 2u;
    if (t >= 2u && oh < sp.OH && live) { store_out(n, oh, ow0, acc.a2, acc.b2); }
    acc = Acc3(z, acc.a0, acc.a1, z, acc.b0, acc.b1);
  }
}
