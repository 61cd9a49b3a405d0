// Kernels that measure an adapter's ceilings for bench/ceilings.ts and `robustlens info` (fma_bound, launched
// by src/kernels/ceiling.ts); no op of the engine uses them.
// fma_bound: 8 independent vec4 FMA chains per invocation, no memory traffic inside the loop, so the
// time is the arithmetic throughput (8 chains hide the FMA latency). copy_vec4 / copy_vec4x4: a
// contiguous copy with 1 or 4 vec4 per invocation, the bandwidth a streaming kernel can reach.

override WG: u32 = 64;

struct Fma { iters: u32, n: u32, seed: f32, _p: u32 }
struct Copy { n_vec4: u32, _p0: u32, _p1: u32, _p2: u32 }

@group(0) @binding(0) var<uniform> f: Fma;
@group(0) @binding(1) var<storage, read_write> sink: array<vec4f>;

@compute @workgroup_size(WG)
fn fma_bound(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let x = vec4f(f32(i) * 1e-7, 0.5, 0.25, 0.125) * f.seed;
  let m = vec4f(0.9999);
  var a0 = x; var a1 = x + 1.0; var a2 = x + 2.0; var a3 = x + 3.0;
  var a4 = x + 4.0; var a5 = x + 5.0; var a6 = x + 6.0; var a7 = x + 7.0;
  for (var k = 0u; k < f.iters; k++) {
    a0 = fma(a0, m, x); a1 = fma(a1, m, x); a2 = fma(a2, m, x); a3 = fma(a3, m, x);
    a4 = fma(a4, m, x); a5 = fma(a5, m, x); a6 = fma(a6, m, x); a7 = fma(a7, m, x);
  }
  // One store per invocation keeps the loop alive; its cost is negligible next to the loop.
  if (i < f.n) { sink[i] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7; }
}

@group(0) @binding(0) var<uniform> c: Copy;
@group(0) @binding(1) var<storage, read> src: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4f>;

@compute @workgroup_size(WG)
fn copy_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i < c.n_vec4) { dst[i] = src[i]; }
}

// Each invocation copies 4 vec4, strided by the grid size so that neighbouring lanes stay contiguous.
@compute @workgroup_size(WG)
fn copy_vec4x4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let stride = nwg.x * nwg.y * WG;
  for (var q = 0u; q < 4u; q++) {
    let j = i + q * stride;
    if (j < c.n_vec4) { dst[j] = src[j]; }
  }
}
