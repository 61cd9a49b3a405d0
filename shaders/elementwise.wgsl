// Elementwise kernels: unary maps, broadcasting binary maps, and a broadcasting select.
// The operation is an override constant, so each op compiles to its own branch-free pipeline.
// Shapes and strides travel in a uniform (rank <= 8, packed as two vec4u); a stride of 0 broadcasts.

override WG: u32 = 64;
override OP: u32 = 0;

struct Unary { n: u32, alpha: f32, beta: f32, _pad: u32 }
struct Strided3 {
  n: u32, rank: u32, off_a: u32, off_b: u32,
  off_c: u32, _p0: u32, _p1: u32, _p2: u32,
  shape: array<vec4u, 2>,
  sa: array<vec4u, 2>,
  sb: array<vec4u, 2>,
  sc: array<vec4u, 2>,
}

@group(0) @binding(0) var<uniform> u: Unary;
@group(0) @binding(1) var<storage, read> ux: array<f32>;
@group(0) @binding(2) var<storage, read_write> uy: array<f32>;

// #include "grid.wgsl"

// NaN and Inf follow PyTorch / NumPy: NaN propagates through relu, sign, tanh, clamp, max and min;
// comparisons with NaN are false except ne; pow follows C's pow (pow(x, 0) = 1, pow(1, y) = 1,
// negative bases with integer exponents). NaN tests use the bits, not `!=`: WGSL lets a compiler
// assume values are finite, and on lavapipe `NaN != y` came out false, which broke ne and where.
// #include "nan.wgsl"
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn not_equal(x: f32, y: f32) -> bool { return !(x == y) || is_nan(x) || is_nan(y); }

// log of a subnormal (|x| < 2^-126): some drivers take the exponent as -126 (log(1e-40) = -88.0
// instead of -92.1), so scale into the normal range first: log(x) = log(x·2^23) − 23·ln 2.
fn log_exact(x: f32) -> f32 {
  if (x > 0.0 && x < 1.17549435e-38) { return log(x * 8388608.0) - 15.942385; }
  return log(x);
}
fn log2_exact(x: f32) -> f32 {
  if (x > 0.0 && x < 1.17549435e-38) { return log2(x * 8388608.0) - 23.0; }
  return log2(x);
}

fn pow_c(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return x + y; }
  let ax = abs(x);
  // exp2(y·log2|x|) away from the edges; zeros and infinities explicitly (lavapipe's exp2/log2
  // gave pow(0, −2.3) = 0). Infinities come from 1/0 and |y| at run time (WGSL rejects Inf constants).
  var r = exp2(y * log2_exact(ax));
  if (ax == 1.0) { r = 1.0; } // 1 even for y = ±Inf (as C)
  else if (ax == 0.0) { r = select(ax, 1.0 / ax, y < 0.0); } // 0 or +Inf
  else if (is_inf(ax)) { r = select(1.0 / ax, ax, y > 0.0); } // +Inf or 0
  else if (is_inf(y)) { r = select(0.0, abs(y), (ax > 1.0) == (y > 0.0)); }
  if (bitcast<u32>(x) >= 0x80000000u) { // negative base (or −0)
    let integer = !is_inf(y) && floor(y) == y;
    if (integer && abs(y) < 16777216.0 && fract(y * 0.5) != 0.0) { r = -r; } // odd integer exponent
    else if (!integer && !is_inf(y) && x < 0.0 && !is_inf(x)) { r = bitcast<f32>(bitcast<u32>(x) | 0x7fc00000u); } // (−2)^0.5 = NaN
  }
  return r;
}

// Unary op codes (keep in sync with src/kernels/elementwise.ts):
// 0 neg, 1 abs, 2 sign, 3 exp, 4 log, 5 sqrt, 6 relu, 7 sigmoid, 8 tanh, 9 square,
// 10 reciprocal, 11 step (x > 0), 12 affine (alpha * x + beta), 13 clamp [alpha, beta], 14 rsqrt
fn apply_unary(x: f32) -> f32 {
  switch OP {
    case 0u: { return -x; }
    case 1u: { return abs(x); }
    case 2u: { return select(sign(x), x, is_nan(x)); }
    case 3u: { return exp(x); }
    case 4u: { return log_exact(x); }
    case 5u: { return sqrt(x); }
    case 6u: { return select(max(x, 0.0), x, is_nan(x)); }
    // Stable sigmoid: never exponentiates a large positive number.
    case 7u: { if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); } let e = exp(x); return e / (1.0 + e); }
    case 8u: { return select(tanh(clamp(x, -15.0, 15.0)), x, is_nan(x)); }
    case 9u: { return x * x; }
    case 10u: { return 1.0 / x; }
    case 11u: { return select(0.0, 1.0, x > 0.0); }
    case 12u: { return u.alpha * x + u.beta; }
    case 13u: { return select(min(max(x, u.alpha), u.beta), x, is_nan(x)); } // lo > hi gives hi, as torch.clamp
    case 14u: { return inverseSqrt(x); }
    default: { return x; }
  }
}

// Contiguous fast paths (the launcher picks them when n % 4 == 0): each invocation handles VPT
// vec4s, strided by the grid so that neighbouring lanes stay contiguous. Same uniform and binding
// numbers as the scalar entry points, viewed as vec4 (pool buffers are multiples of 16 bytes).
override VPT: u32 = 4;

@group(0) @binding(1) var<storage, read> ux4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> uy4: array<vec4f>;

@compute @workgroup_size(WG)
fn unary_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lane_id(gid, nwg);
  let stride = nwg.x * nwg.y * WG;
  let n4 = u.n / 4u;
  for (var q = 0u; q < VPT; q++) {
    let j = i + q * stride;
    if (j < n4) {
      let x = ux4[j];
      uy4[j] = vec4f(apply_unary(x.x), apply_unary(x.y), apply_unary(x.z), apply_unary(x.w));
    }
  }
}

@compute @workgroup_size(WG)
fn unary(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lane_id(gid, nwg);
  if (i >= u.n) { return; }
  uy[i] = apply_unary(ux[i]);
}

@group(0) @binding(0) var<uniform> s: Strided3;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> c: array<f32>;
@group(0) @binding(5) var<storage, read_write> out3: array<f32>;

// #include "strided.wgsl"

// Binary op codes: 0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 max, 6 min,
// 7 lt, 8 le, 9 gt, 10 ge, 11 eq, 12 ne, 13 reluGrad (x · step(y): relu's VJP in one pass)
fn apply_binary(x: f32, y: f32) -> f32 {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    case 4u: { return pow_c(x, y); }
    case 5u: { return select(max(x, y), x + y, is_nan(x) || is_nan(y)); }
    case 6u: { return select(min(x, y), x + y, is_nan(x) || is_nan(y)); }
    case 7u: { return select(0.0, 1.0, x < y); }
    case 8u: { return select(0.0, 1.0, x <= y); }
    case 9u: { return select(0.0, 1.0, x > y); }
    case 10u: { return select(0.0, 1.0, x >= y); }
    case 11u: { return select(0.0, 1.0, x == y); }
    case 12u: { return select(0.0, 1.0, not_equal(x, y)); }
    case 13u: { return x * select(0.0, 1.0, y > 0.0); }
    default: { return x; }
  }
}

@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lane_id(gid, nwg);
  if (i >= s.n) { return; }
  var rem = i;
  var ia = s.off_a;
  var ib = s.off_b;
  for (var d = i32(s.rank) - 1; d >= 0; d--) {
    let dim = at(s.shape, u32(d));
    let k = rem % dim;
    rem = rem / dim;
    ia += k * at(s.sa, u32(d));
    ib += k * at(s.sb, u32(d));
  }
  out[i] = apply_binary(a[ia], b[ib]);
}

// Same shapes, both contiguous: no index arithmetic.
@compute @workgroup_size(WG)
fn binary_contiguous(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lane_id(gid, nwg);
  if (i >= s.n) { return; }
  out[i] = apply_binary(a[i], b[i]);
}

@group(0) @binding(1) var<storage, read> a4: array<vec4f>;
@group(0) @binding(2) var<storage, read> b4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> out4: array<vec4f>;

// binary_contiguous over vec4s, VPT per invocation (n % 4 == 0).
@compute @workgroup_size(WG)
fn binary_contiguous_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lane_id(gid, nwg);
  let stride = nwg.x * nwg.y * WG;
  let n4 = s.n / 4u;
  for (var q = 0u; q < VPT; q++) {
    let j = i + q * stride;
    if (j < n4) {
      let x = a4[j];
      let y = b4[j];
      out4[j] = vec4f(apply_binary(x.x, y.x), apply_binary(x.y, y.y), apply_binary(x.z, y.z), apply_binary(x.w, y.w));
    }
  }
}

// out3 = cond != 0 ? b : c, all three broadcast to the output shape (a holds cond).
@compute @workgroup_size(WG)
fn select_where(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = lane_id(gid, nwg);
  if (i >= s.n) { return; }
  var rem = i;
  var ia = s.off_a;
  var ib = s.off_b;
  var ic = s.off_c;
  for (var d = i32(s.rank) - 1; d >= 0; d--) {
    let dim = at(s.shape, u32(d));
    let k = rem % dim;
    rem = rem / dim;
    ia += k * at(s.sa, u32(d));
    ib += k * at(s.sb, u32(d));
    ic += k * at(s.sc, u32(d));
  }
  out3[i] = select(c[ic], b[ib], not_equal(a[ia], 0.0));
}

// Broadcasting over a problem coalesced to rank 3 on the host (src/kernels/coalesce.ts): the grid
// (x: innermost axis, y, z) gives the multi-index directly, so no division runs per element.
// shape[0..2] = (d0, d1, d2), strides likewise; the output is contiguous.
@compute @workgroup_size(WG)
fn binary_grid3(@builtin(global_invocation_id) gid: vec3u) {
  let d2 = s.shape[0][2];
  if (gid.x >= d2) { return; }
  let ia = s.off_a + gid.z * s.sa[0][0] + gid.y * s.sa[0][1] + gid.x * s.sa[0][2];
  let ib = s.off_b + gid.z * s.sb[0][0] + gid.y * s.sb[0][1] + gid.x * s.sb[0][2];
  out[(gid.z * s.shape[0][1] + gid.y) * d2 + gid.x] = apply_binary(a[ia], b[ib]);
}

@compute @workgroup_size(WG)
fn select_where_grid3(@builtin(global_invocation_id) gid: vec3u) {
  let d2 = s.shape[0][2];
  if (gid.x >= d2) { return; }
  let ia = s.off_a + gid.z * s.sa[0][0] + gid.y * s.sa[0][1] + gid.x * s.sa[0][2];
  let ib = s.off_b + gid.z * s.sb[0][0] + gid.y * s.sb[0][1] + gid.x * s.sb[0][2];
  let ic = s.off_c + gid.z * s.sc[0][0] + gid.y * s.sc[0][1] + gid.x * s.sc[0][2];
  out3[(gid.z * s.shape[0][1] + gid.y) * d2 + gid.x] = select(c[ic], b[ib], not_equal(a[ia], 0.0));
}
