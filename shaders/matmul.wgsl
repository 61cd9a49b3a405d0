// Batched matrix product C[b] = A[b] · B[b], A: M×K, B: K×N, C: M×N contiguous.
// A and B are read through strides, so transposed or broadcast operands cost no copy.
//
// Each invocation owns a 4×4 register tile of C and walks K once: per k it loads 4 values of A and
// 4 of B and does 16 FMAs. On software adapters (lavapipe, SwiftShader) every per-lane load is a
// gather, so FMAs per loaded value is what counts, and shared-memory tiling with barriers was
// measured slower than this (see perf-facts.md).

override WG_X: u32 = 8;
override WG_Y: u32 = 8;

// #include "matmul_io.wgsl"

@compute @workgroup_size(WG_X, WG_Y, 1)
fn matmul(@builtin(global_invocation_id) gid: vec3u) {
  let col0 = gid.x * 4u;
  let row0 = gid.y * 4u;
  let b = gid.z;
  if (row0 >= p.M || col0 >= p.N || b >= p.batch) { return; }
  // Out-of-range rows/columns read a clamped (valid) address; their results are never stored.
  var ar: vec4u;
  var bc: vec4u;
  for (var t = 0u; t < 4u; t++) {
    ar[t] = p.a_off + b * p.sa_b + min(row0 + t, p.M - 1u) * p.sa_m;
    bc[t] = p.b_off + b * p.sb_b + min(col0 + t, p.N - 1u) * p.sb_n;
  }
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let ka = k * p.sa_k;
    let kb = k * p.sb_k;
    let bv = vec4f(B[bc.x + kb], B[bc.y + kb], B[bc.z + kb], B[bc.w + kb]);
    acc0 = fma(vec4f(A[ar.x + ka]), bv, acc0);
    acc1 = fma(vec4f(A[ar.y + ka]), bv, acc1);
    acc2 = fma(vec4f(A[ar.z + ka]), bv, acc2);
    acc3 = fma(vec4f(A[ar.w + ka]), bv, acc3);
  }
  let cb = b * p.M * p.N;
  let rows = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < 4u; r++) {
    let row = row0 + r;
    if (row >= p.M) { break; }
    for (var c = 0u; c < 4u; c++) {
      if (col0 + c < p.N) { C[cb + row * p.N + col0 + c] = rows[r][c]; }
    }
  }
}

// The same 4×4 tile with 16-byte loads, for row-major operands whose K, N, offsets and strides are
// multiples of 4 (the launcher checks): per 4 steps of k, 4 vec4 loads of A (one per row, along k)
// and 4 of B (4 neighbouring columns each) feed 64 FMAs, a quarter of the loads of `matmul`.

@compute @workgroup_size(WG_X, WG_Y, 1)
fn matmul_vec4(@builtin(global_invocation_id) gid: vec3u) {
  let col0 = gid.x * 4u;
  let row0 = gid.y * 4u;
  let b = gid.z;
  if (row0 >= p.M || col0 >= p.N || b >= p.batch) { return; }
  var ar: vec4u; // row starts in vec4 units
  for (var t = 0u; t < 4u; t++) {
    ar[t] = (p.a_off + b * p.sa_b + min(row0 + t, p.M - 1u) * p.sa_m) / 4u;
  }
  let bc = (p.b_off + b * p.sb_b + col0) / 4u;
  let sbk4 = p.sb_k / 4u;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k4 = 0u; k4 < p.K / 4u; k4++) {
    let a0 = A4[ar.x + k4];
    let a1 = A4[ar.y + k4];
    let a2 = A4[ar.z + k4];
    let a3 = A4[ar.w + k4];
    for (var kk = 0u; kk < 4u; kk++) {
      let bv = B4[bc + (k4 * 4u + kk) * sbk4];
      acc0 = fma(vec4f(a0[kk]), bv, acc0);
      acc1 = fma(vec4f(a1[kk]), bv, acc1);
      acc2 = fma(vec4f(a2[kk]), bv, acc2);
      acc3 = fma(vec4f(a3[kk]), bv, acc3);
    }
  }
  // N % 4 == 0, so the 4 columns are all in range.
  let cb = b * p.M * p.N + col0;
  let rows = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < 4u; r++) {
    let row = row0 + r;
    if (row >= p.M) { break; }
    for (var c = 0u; c < 4u; c++) { C[cb + row * p.N + c] = rows[r][c]; }
  }
}
