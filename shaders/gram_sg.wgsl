enable subgroups;

// Symmetric Gram kernel with subgroup operations (a separate module: it only compiles where the
// device has the 'subgroups' feature). Same uniform and layout as gram_sym in hsic.wgsl (both from
// shaders/include/hsic_io.wgsl).

override WG_X: u32 = 8;
override WG_Y: u32 = 8;

// #include "gram_tile.wgsl"

// The same symmetric Gram matrix, sharing loads across a subgroup: the 8 lanes of a row of the
// workgroup need the same 4 rows of X (the i side), so lane t loads row (t mod 4) once and the others
// receive it by subgroupShuffle; only the j side is gathered per lane (5 vec4 loads per 64 FMAs instead
// of 8), and lanes 4–7 fetch the next k step, so per two vec4 steps a lane gathers 8 + 1 vec4s for 128
// FMAs. WGSL does not promise that subgroup lanes are consecutive invocations (they are on lavapipe and
// SwiftShader): the launcher checks it once with sg_probe and otherwise uses gram_sym.
@compute @workgroup_size(WG_X, WG_Y, 1)
fn gram_sym_sg(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u,
               @builtin(subgroup_invocation_id) sgid: u32) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= u.pairs) { return; }
  let blk = gram_block(w);
  let bi = blk.x;
  let bj = blk.y;
  let i0 = bi * 4u * WG_Y + lid.y * 4u;
  let j0 = bj * 4u * WG_X + lid.x * 4u;
  let ld4 = u.ld_in / 4u;
  let last = u.n - 1u;
  // Lanes t = 0..7 of a group of 8 consecutive subgroup lanes share lid.y (WG_X = 8). The launcher
  // runs sg_probe once and uses this kernel only where that layout holds.
  let t = sgid % 8u;
  let base = sgid - t;
  let mine = min(i0 + (t % 4u), last) * ld4 + t / 4u;  // lane t loads row i0 + t mod 4 at step k + t/4
  let rb = gram_rows(j0, ld4);
  var c0 = vec4f(0.0);
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  let pairs_k = ld4 / 2u;
  for (var h = 0u; h < pairs_k; h++) {
    let v = x4[mine + 2u * h];
    for (var q = 0u; q < 2u; q++) {
      let k = 2u * h + q;
      let b = gram_cols(rb, k);
      let a0 = subgroupShuffle(v, base + 4u * q);
      let a1 = subgroupShuffle(v, base + 4u * q + 1u);
      let a2 = subgroupShuffle(v, base + 4u * q + 2u);
      let a3 = subgroupShuffle(v, base + 4u * q + 3u);
      c0 = gram_fma(c0, a0, b);
      c1 = gram_fma(c1, a1, b);
      c2 = gram_fma(c2, a2, b);
      c3 = gram_fma(c3, a3, b);
    }
  }
  if (ld4 % 2u == 1u) {
    // The odd last vec4 step: lanes t ≥ 4 load a clamped duplicate that nobody uses.
    let k = ld4 - 1u;
    let v = x4[min(mine + k, min(i0 + (t % 4u), last) * ld4 + k)];
    let b = gram_cols(rb, k);
    c0 = gram_fma(c0, subgroupShuffle(v, base), b);
    c1 = gram_fma(c1, subgroupShuffle(v, base + 1u), b);
    c2 = gram_fma(c2, subgroupShuffle(v, base + 2u), b);
    c3 = gram_fma(c3, subgroupShuffle(v, base + 3u), b);
  }
  // Every lane computed (subgroup operations need all lanes); only tiles on or above the diagonal write.
  if ((bi == bj && lid.y > lid.x) || i0 >= u.n || j0 >= u.n) { return; }
  store_gram_tile(i0, j0, array<vec4f, 4>(c0, c1, c2, c3), bi != bj || lid.y != lid.x);
}

// The same symmetric Gram matrix with the register tile of matmul_subgroup_vec4: a workgroup of WG
// lanes owns 8·RA rows of K (row0 from workgroup_id.y, shared by every subgroup in it) and WG·4·NV
// columns (col0 from workgroup_id.x); lane lid owns columns col0 + (v·4 + c)·WG + lid (strided by WG).
// Per vec4 step k of the features, lane s < 8 loads row row0 + q·8 + s (one load serves 8 rows,
// handed over by subgroupShuffle) and every lane loads the vec4 of each of its 4·NV columns: RA + 4·NV
// loads for 4·8·RA·4·NV FMAs (256 per 6 loads at RA = 2, NV = 1: about 1.8× gram_sym_sg at n = 256,
// p = 12544 on lavapipe; 384 per 7 at RA = 3, the launcher's choice from n = 256, see wideTile in
// src/kernels/hsic.ts), against 64 FMAs per 4.5 loads in gram_sym_sg.
// Each entry is one fma chain over k in order, as in gram_sym, so K is the same bits. Blocks wholly
// below the diagonal return at once (the whole workgroup); the others store only entries on or
// above it, at (i, j) and mirrored at (j, i): exactly symmetric. Correctness does not depend on how
// invocations map to lanes (the lane that loads row s is the lane whose subgroup_invocation_id is
// s); the launcher needs subgroups of at least 8 lanes.
// FMA order, measured at the layer-CKA shapes (n = 256, p = 2 × 12544, 2 × 6272, 2 × 3136, 2 ×
// 1568, about the 8 layers'; bench/gram-ab.ts, lavapipe, 2 cores, load average 3.3-3.6):
// accumulator-major (below) 171-175 ms against 214-231 ms for e-major (all accumulators per feature
// e, 4 passes over them per k step), the same bits. Tried and slower or no better:
// subgroupBroadcast at constant lanes instead of the shuffle (161-184 ms, within noise), RA = 1
// (199), RA = 4 (504: the 32 vec4 accumulators), NV = 2 (226), two k steps per iteration (240). RA
// = 3 (180 in that run) was 0.86× RA = 2 in later, quieter runs (load 1.7).
override WG: u32 = 8;
override RA: u32 = 2;  // A loads per lane per step (1..4): 8·RA rows per workgroup
override NV: u32 = 1;  // (1 or 2)  // groups of 4 columns per lane
const MAX_RA: u32 = 4u;
const MAX_ROWS: u32 = 32u;
const MAX_NV: u32 = 2u;

@compute @workgroup_size(WG, 1, 1)
fn gram_sym_wide(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
                 @builtin(subgroup_invocation_id) sid: u32) {
  let row0 = wid.y * 8u * RA;
  let col0 = wid.x * WG * 4u * NV;
  if (col0 + WG * 4u * NV <= row0) { return; }  // the whole block lies below the diagonal
  let ld4 = u.ld_in / 4u;
  let last = u.n - 1u;
  // No early return from here: every lane takes part in the shuffles. Rows and columns past n read
  // the last row (a valid address) and are never stored.
  var a_at: array<u32, MAX_RA>;
  for (var q = 0u; q < RA; q++) { a_at[q] = min(row0 + q * 8u + min(sid, 7u), last) * ld4; }
  var b_at: array<vec4u, MAX_NV>;
  for (var v = 0u; v < NV; v++) {
    for (var c = 0u; c < 4u; c++) { b_at[v][c] = min(col0 + (v * 4u + c) * WG + lid, last) * ld4; }
  }
  var acc: array<array<vec4f, MAX_NV>, MAX_ROWS>;
  for (var k = 0u; k < ld4; k++) {
    var av: array<vec4f, MAX_RA>;
    for (var q = 0u; q < RA; q++) { av[q] = x4[a_at[q] + k]; }
    var bt: array<array<vec4f, 4>, MAX_NV>;  // bt[v][e][c] = X[column (v, c), 4k + e]
    for (var v = 0u; v < NV; v++) {
      let b0 = x4[b_at[v].x + k];
      let b1 = x4[b_at[v].y + k];
      let b2 = x4[b_at[v].z + k];
      let b3 = x4[b_at[v].w + k];
      bt[v] = array<vec4f, 4>(vec4f(b0.x, b1.x, b2.x, b3.x), vec4f(b0.y, b1.y, b2.y, b3.y),
                              vec4f(b0.z, b1.z, b2.z, b3.z), vec4f(b0.w, b1.w, b2.w, b3.w));
    }
    // Accumulator-major: the 4 FMAs of one accumulator in a row (it spills: 16·NV vec4s are 64·NV
    // ymm registers on lavapipe, so this loads and stores it once per k step, not once per e).
    for (var q = 0u; q < RA; q++) {
      for (var r = 0u; r < 8u; r++) {
        let ar = subgroupShuffle(av[q], r);
        for (var v = 0u; v < NV; v++) {
          var c = acc[q * 8u + r][v];
          c = fma(vec4f(ar.x), bt[v][0], c);
          c = fma(vec4f(ar.y), bt[v][1], c);
          c = fma(vec4f(ar.z), bt[v][2], c);
          c = fma(vec4f(ar.w), bt[v][3], c);
          acc[q * 8u + r][v] = c;
        }
      }
    }
  }
  for (var r = 0u; r < 8u * RA; r++) {
    let i = row0 + r;
    if (i >= u.n) { break; }
    for (var v = 0u; v < NV; v++) {
      for (var c = 0u; c < 4u; c++) {
        let j = col0 + (v * 4u + c) * WG + lid;
        if (j < u.n && j >= i) {
          dst[i * u.n + j] = acc[r][v][c];
          if (j != i) { dst[j * u.n + i] = acc[r][v][c]; }
        }
      }
    }
  }
}

// Checks the lane layout gram_sym_sg relies on: subgroups of a multiple of 8 lanes made of
// consecutive invocations, with lane (id mod 8) == lid.x. ok[wg] = 1 where it holds for the whole workgroup.
@group(0) @binding(3) var<storage, read_write> ok: array<atomic<u32>>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn sg_probe(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) lidx: u32,
            @builtin(subgroup_invocation_id) sgid: u32, @builtin(subgroup_size) sgsize: u32) {
  let first = subgroupShuffle(lidx, sgid - sgid % 8u);
  let good = (sgsize % 8u == 0u) && (first + sgid % 8u == lidx) && (sgid % 8u == lid.x) && (WG_X == 8u);
  if (!good) { atomicStore(&ok[wid.x], 0u); }
}
