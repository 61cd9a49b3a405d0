// Reductions. The op layer permutes the input so that kept axes come first and reduced axes last
// (as strides, no copy); each output element is then one (or, for long axes, several) strided loops.
// Long reductions are split into G chunks written side by side (out[o * G + g]) and finished by a
// second, contiguous pass: a two-level tree that bounds both the serial length and the f32 error.

override WG: u32 = 64;
override OP: u32 = 0; // 0 sum, 1 max, 2 min
// The division-free index paths below (false: the general index arithmetic, for benchmarks).
override DIRECT: bool = true;

struct Reduce {
  n_out: u32,      // kept elements
  n_red: u32,      // reduced elements per output
  chunks: u32,     // G: chunks per output
  chunk_len: u32,  // reduced elements per chunk
  rank_out: u32, rank_red: u32, offset: u32, _p: u32,
  shape_out: array<vec4u, 2>, stride_out: array<vec4u, 2>,
  shape_red: array<vec4u, 2>, stride_red: array<vec4u, 2>,
}

@group(0) @binding(0) var<uniform> r: Reduce;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> yi: array<i32>;

// #include "strided.wgsl"

// max and min start from ∓Inf (so a row of -Inf has max -Inf) and propagate NaN as PyTorch and
// NumPy do: WGSL's max/min may return the other operand. NaN tests use the bits.
// #include "nan.wgsl"

// ∓Inf from bits held in a var: WGSL rejects an infinite constant expression.
fn identity() -> f32 {
  var bits = 0u;
  switch OP {
    case 1u: { bits = 0xff800000u; }
    case 2u: { bits = 0x7f800000u; }
    default: {}
  }
  return bitcast<f32>(bits);
}

fn combine(acc: f32, v: f32) -> f32 {
  switch OP {
    case 1u: { return select(max(acc, v), acc + v, is_nan(acc) || is_nan(v)); }
    case 2u: { return select(min(acc, v), acc + v, is_nan(acc) || is_nan(v)); }
    default: { return acc + v; }
  }
}

fn out_base(o: u32) -> u32 {
  // One kept axis (o < its length): no division (software adapters divide lane by lane).
  if (DIRECT && r.rank_out == 1u) { return r.offset + o * at(r.stride_out, 0u); }
  var rem = o;
  var base = r.offset;
  for (var d = i32(r.rank_out) - 1; d >= 0; d--) {
    let dim = at(r.shape_out, u32(d));
    base += (rem % dim) * at(r.stride_out, u32(d));
    rem = rem / dim;
  }
  return base;
}

fn red_offset(k: u32) -> u32 {
  var rem = k;
  var off = 0u;
  for (var d = i32(r.rank_red) - 1; d >= 0; d--) {
    let dim = at(r.shape_red, u32(d));
    off += (rem % dim) * at(r.stride_red, u32(d));
    rem = rem / dim;
  }
  return off;
}

@compute @workgroup_size(WG)
fn reduce_strided(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= r.n_out * r.chunks) { return; }
  var o = t;
  var g = 0u;
  if (!DIRECT || r.chunks > 1u) {
    o = t / r.chunks;
    g = t % r.chunks;
  }
  let base = out_base(o);
  let start = g * r.chunk_len;
  let stop = min(start + r.chunk_len, r.n_red);
  var acc = identity();
  // Fast path: a single reduced axis, no index arithmetic per element (software adapters divide
  // lane by lane: red_offset's division per element dominated short strided reductions).
  if (r.rank_red == 1u && (DIRECT || at(r.stride_red, 0u) == 1u)) {
    let s = at(r.stride_red, 0u);
    for (var k = start; k < stop; k++) { acc = combine(acc, x[base + k * s]); }
  } else {
    for (var k = start; k < stop; k++) { acc = combine(acc, x[base + red_offset(k)]); }
  }
  y[t] = acc;
}

fn combine4(acc: vec4f, v: vec4f) -> vec4f {
  switch OP {
    case 1u, 2u: { return vec4f(combine(acc.x, v.x), combine(acc.y, v.y), combine(acc.z, v.z), combine(acc.w, v.w)); }
    default: { return acc + v; }
  }
}

@group(0) @binding(1) var<storage, read> x4: array<vec4f>;

// Rows that are contiguous, 16-byte aligned and a multiple of 4 long (the launcher checks): each
// output's row is read as vec4s by r.chunks invocations that interleave (invocation g takes vec4s
// g, g + G, g + 2G, ...), so neighbouring lanes read neighbouring addresses instead of each walking
// its own chunk. Partial results go to y[o * G + g], finished by a second pass when G > 1.
@compute @workgroup_size(WG)
fn reduce_rows_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= r.n_out * r.chunks) { return; }
  let o = t / r.chunks;
  let g = t % r.chunks;
  let base4 = out_base(o) / 4u;
  let n4 = r.n_red / 4u;
  var acc = vec4f(identity());
  // The trip count (r.chunk_len = ceil(n4 / G)) is uniform, so the loop itself never diverges.
  for (var it = 0u; it < r.chunk_len; it++) {
    let k = g + it * r.chunks;
    if (k < n4) { acc = combine4(acc, x4[base4 + k]); }
  }
  y[t] = combine(combine(acc.x, acc.y), combine(acc.z, acc.w));
}

// Index of the first maximum along the reduced axes (flattened in row-major order). A NaN counts as
// the maximum (NumPy and PyTorch): the index of the first NaN is returned.
@compute @workgroup_size(WG)
fn argmax_strided(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = gid.x + gid.y * nwg.x * WG;
  if (o >= r.n_out) { return; }
  let base = out_base(o);
  var best = -3.4028234e38;
  var best_k = 0u;
  var first = true;
  for (var k = 0u; k < r.n_red; k++) {
    let v = x[base + red_offset(k)];
    if (is_nan(v)) { best_k = k; break; }
    if (first || v > best) { best = v; best_k = k; first = false; }
  }
  yi[o] = i32(best_k);
}
