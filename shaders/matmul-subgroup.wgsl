// Batched matrix product C[b] = A[b] · B[b] (same contract as matmul.wgsl: strided A and B, C
// contiguous), for devices with the 'subgroups' feature.
//
// A workgroup owns ROWS = 8·RA rows of C (from workgroup_id only, so every subgroup in it shares
// them) and WG·4·NV columns; each invocation owns 4·NV columns, strided by WG so that neighbouring
// lanes read neighbouring addresses. Per k, lane s of a subgroup loads A[row0 + q·8 + s, k] (one
// gather serves 8 rows) and hands it to the others with subgroupShuffle; B is loaded once per
// column. On software adapters every per-lane load is a gather, so this ROWS·4·NV FMAs per
// (RA + 4·NV) loads is what made it about twice the register tile of matmul.wgsl (perf-facts.md).
//
// Correctness does not depend on how invocations map to lanes: row0 is the same for the whole
// workgroup, and the lane that loads row s is the lane whose subgroup_invocation_id is s. It needs
// subgroups of at least 8 invocations (checked by the launcher against the adapter's minimum size).
enable subgroups;

override WG: u32 = 64;
override RA: u32 = 2;  // A loads per lane per k (1 or 2): ROWS = 8·RA
override NV: u32 = 1;  // vec4 column groups per lane (1 or 2)
const SG: u32 = 8u;    // rows broadcast per load
const MAX_ROWS: u32 = 16u;
const MAX_NV: u32 = 2u;

// #include "matmul_io.wgsl"

@compute @workgroup_size(WG, 1, 1)
fn matmul_subgroup(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
                   @builtin(subgroup_invocation_id) sid: u32) {
  let b = wid.z;
  let row0 = wid.y * SG * RA;
  let col_base = wid.x * WG * 4u * NV;
  // No early return: every lane must take part in the shuffles. Out-of-range rows and columns read
  // a clamped (valid) address, and their results are never stored.
  var a_at: array<u32, 2>;
  for (var q = 0u; q < RA; q++) {
    a_at[q] = p.a_off + b * p.sa_b + min(row0 + q * SG + min(sid, SG - 1u), p.M - 1u) * p.sa_m;
  }
  var b_at: array<vec4u, MAX_NV>;
  for (var v = 0u; v < NV; v++) {
    for (var c = 0u; c < 4u; c++) {
      b_at[v][c] = p.b_off + b * p.sb_b + min(col_base + (v * 4u + c) * WG + lid, p.N - 1u) * p.sb_n;
    }
  }
  var acc: array<array<vec4f, MAX_NV>, MAX_ROWS>;
  for (var k = 0u; k < p.K; k++) {
    let ka = k * p.sa_k;
    let kb = k * p.sb_k;
    var bv: array<vec4f, MAX_NV>;
    for (var v = 0u; v < NV; v++) {
      bv[v] = vec4f(B[b_at[v].x + kb], B[b_at[v].y + kb], B[b_at[v].z + kb], B[b_at[v].w + kb]);
    }
    for (var q = 0u; q < RA; q++) {
      let av = A[a_at[q] + ka];
      for (var r = 0u; r < SG; r++) {
        let ar = vec4f(subgroupShuffle(av, r));
        for (var v = 0u; v < NV; v++) { acc[q * SG + r][v] = fma(ar, bv[v], acc[q * SG + r][v]); }
      }
    }
  }
  let cb = b * p.M * p.N;
  for (var r = 0u; r < SG * RA; r++) {
    let row = row0 + r;
    if (row < p.M) {
      for (var v = 0u; v < NV; v++) {
        for (var c = 0u; c < 4u; c++) {
          let col = col_base + (v * 4u + c) * WG + lid;
          if (col < p.N) { C[cb + row * p.N + col] = acc[r][v][c]; }
        }
      }
    }
  }
}

// The same tile with 16-byte loads, for row-major operands (A[., k] and B[k, .] contiguous) whose
// K, N, offsets and strides are multiples of 4 (the launcher checks). Each A load brings 4 steps
// of k; each lane owns NV groups of 4 neighbouring columns, loaded as one vec4 per k. Fewer, wider
// loads: measured about 1.2x the scalar-load kernel on Dawn + lavapipe at 1024.

@compute @workgroup_size(WG, 1, 1)
fn matmul_subgroup_vec4(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
                        @builtin(subgroup_invocation_id) sid: u32) {
  let b = wid.z;
  let row0 = wid.y * SG * RA;
  let col_base = wid.x * WG * 4u * NV;
  var a_at: array<u32, 2>; // in vec4 units
  for (var q = 0u; q < RA; q++) {
    a_at[q] = (p.a_off + b * p.sa_b + min(row0 + q * SG + min(sid, SG - 1u), p.M - 1u) * p.sa_m) / 4u;
  }
  var b_at: array<u32, MAX_NV>;
  for (var v = 0u; v < NV; v++) {
    // N % 4 == 0: a lane's 4 columns are all in range or all past N (clamped, never stored).
    b_at[v] = (p.b_off + b * p.sb_b + min(col_base + (v * WG + lid) * 4u, p.N - 4u)) / 4u;
  }
  let sbk4 = p.sb_k / 4u;
  var acc: array<array<vec4f, MAX_NV>, MAX_ROWS>;
  for (var k4 = 0u; k4 < p.K / 4u; k4++) {
    var av: array<vec4f, 2>;
    for (var q = 0u; q < RA; q++) { av[q] = A4[a_at[q] + k4]; }
    for (var kk = 0u; kk < 4u; kk++) {
      var bv: array<vec4f, MAX_NV>;
      for (var v = 0u; v < NV; v++) { bv[v] = B4[b_at[v] + (k4 * 4u + kk) * sbk4]; }
      for (var q = 0u; q < RA; q++) {
        let a = av[q][kk];
        for (var r = 0u; r < SG; r++) {
          let ar = vec4f(subgroupShuffle(a, r));
          for (var v = 0u; v < NV; v++) { acc[q * SG + r][v] = fma(ar, bv[v], acc[q * SG + r][v]); }
        }
      }
    }
  }
  let cb = b * p.M * p.N;
  for (var r = 0u; r < SG * RA; r++) {
    let row = row0 + r;
    if (row < p.M) {
      for (var v = 0u; v < NV; v++) {
        let col = col_base + (v * WG + lid) * 4u;
        if (col < p.N) {
          for (var c = 0u; c < 4u; c++) { C[cb + row * p.N + col + c] = acc[r][v][c]; }
        }
      }
    }
  }
}
