// HSIC / CKA kernels (methods.md §1): feature centring, symmetric Gram matrices, squared distances
// and RBF kernels, U-centring (§1.3) and double centring (§1.2), and partial sums of Frobenius inner
// products. WGSL has no f64, so every long sum is split into chunks (a two-level tree) and the final
// scalars are added on the host in float64.
//
// Matrices are row-major. Centred features are stored with a row stride `ld` that is a multiple of 4
// (zero padding columns), so the Gram kernel can load vec4s along the feature axis.

override WG: u32 = 64;
override WG_X: u32 = 8;
override WG_Y: u32 = 8;

// #include "hsic_io.wgsl"
// #include "gram_tile.wgsl"
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read> aux: array<f32>;
@group(0) @binding(4) var<storage, read> tot: array<f32>;
@group(0) @binding(5) var<storage, read> mean2: array<f32>;

// The lane of a column-sum partial: column j, rows [start, stop) of chunk c; valid = 0 past the last.
struct ColChunk { j: u32, c: u32, start: u32, stop: u32, valid: bool }

fn col_chunk(gid: vec3u, nwg: vec3u) -> ColChunk {
  let t = gid.x + gid.y * nwg.x * WG;
  let c = t / u.p;
  let start = c * u.chunk;
  return ColChunk(t % u.p, c, start, min(start + u.chunk, u.n), t < u.p * u.chunks);
}

// part[c * p + j] = Σ_{i in chunk c} src[i * ld_in + j] (skipping i == j when zero_diag).
// Lanes run along j, so neighbouring lanes read neighbouring addresses.
@compute @workgroup_size(WG)
fn col_partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = col_chunk(gid, nwg);
  if (!q.valid) { return; }
  var acc = 0.0;
  for (var i = q.start; i < q.stop; i++) {
    if (u.zero_diag == 0u || i != q.j) { acc += src[i * u.ld_in + q.j]; }
  }
  dst[q.c * u.p + q.j] = acc;
}

// The same partial sums of the residuals src[i * ld_in + j] − aux[j] (aux: the column means of a first
// pass), each residual rounded as center_features rounds it: the second centring pass's means without
// writing the residuals out first.
@compute @workgroup_size(WG)
fn col_partial_resid(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = col_chunk(gid, nwg);
  if (!q.valid) { return; }
  let m = aux[q.j];
  var acc = 0.0;
  for (var i = q.start; i < q.stop; i++) { acc += src[i * u.ld_in + q.j] - m; }
  dst[q.c * u.p + q.j] = acc;
}

// col_partial and col_finish in one dispatch for short columns (a minibatch's Gram matrix): lane j
// sums its column in the same chunks of `chunk` rows, adds the chunks in order and divides by
// scale: the same bits as the two-level tree.
@compute @workgroup_size(WG)
fn col_sums_fused(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * WG;
  if (j >= u.p) { return; }
  var s = 0.0;
  for (var c = 0u; c < u.chunks; c++) {
    var acc = 0.0;
    for (var i = c * u.chunk; i < min((c + 1u) * u.chunk, u.n); i++) {
      if (u.zero_diag == 0u || i != j) { acc += src[i * u.ld_in + j]; }
    }
    s += acc;
  }
  dst[j] = s / u.scale;
}

// dst[j] = (Σ_c src[c * p + j]) / scale: the second level of the column-sum tree.
@compute @workgroup_size(WG)
fn col_finish(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * WG;
  if (j >= u.p) { return; }
  var acc = 0.0;
  for (var c = 0u; c < u.chunks; c++) { acc += src[c * u.p + j]; }
  dst[j] = acc / u.scale;
}

var<workgroup> tree: array<f32, 256>;

// dst[0] = Σ_j src[j] for j < p: one workgroup of 256 lanes, strided sums then a pairwise tree.
@compute @workgroup_size(256)
fn total(@builtin(local_invocation_id) lid: vec3u) {
  var acc = 0.0;
  for (var j = lid.x; j < u.p; j += 256u) { acc += src[j]; }
  tree[lid.x] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { tree[lid.x] += tree[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { dst[0] = tree[0]; }
}

// center_features with its two column-mean passes in the same kernel: lane j (one column of ld_out)
// sums its column in col_partial's chunks of `chunk` rows, adds the chunks in order and divides by n
// (col_finish: the first mean), sums the residuals the same way (col_partial_resid: the second), then
// writes (src − m1) − m2: the same bits as the five dispatches, in one. For small n (a minibatch);
// the launcher keeps the chunked passes for long columns, which they spread over more lanes.
@compute @workgroup_size(WG)
fn center_columns_fused(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * WG;
  if (j >= u.ld_out) { return; }
  if (j >= u.p) {
    for (var i = 0u; i < u.n; i++) { dst[i * u.ld_out + j] = 0.0; }
    return;
  }
  var s1 = 0.0;
  for (var c = 0u; c < u.chunks; c++) {
    var acc = 0.0;
    for (var i = c * u.chunk; i < min((c + 1u) * u.chunk, u.n); i++) { acc += src[i * u.ld_in + j]; }
    s1 += acc;
  }
  let m1 = s1 / f32(u.n);
  var s2 = 0.0;
  for (var c = 0u; c < u.chunks; c++) {
    var acc = 0.0;
    for (var i = c * u.chunk; i < min((c + 1u) * u.chunk, u.n); i++) { acc += src[i * u.ld_in + j] - m1; }
    s2 += acc;
  }
  let m2 = s2 / f32(u.n);
  for (var i = 0u; i < u.n; i++) { dst[i * u.ld_out + j] = (src[i * u.ld_in + j] - m1) - m2; }
}

// center_columns_fused over 4 columns per lane (vec4 loads), for p a multiple of 4 (ld_in = ld_out =
// p): the same sums in the same order per column, so the same bits.
@compute @workgroup_size(WG)
fn center_columns_fused4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * WG;
  let p4 = u.p / 4u;
  if (j >= p4) { return; }
  var s1 = vec4f(0.0);
  for (var c = 0u; c < u.chunks; c++) {
    var acc = vec4f(0.0);
    for (var i = c * u.chunk; i < min((c + 1u) * u.chunk, u.n); i++) { acc += x4[i * p4 + j]; }
    s1 += acc;
  }
  let m1 = s1 / f32(u.n);
  var s2 = vec4f(0.0);
  for (var c = 0u; c < u.chunks; c++) {
    var acc = vec4f(0.0);
    for (var i = c * u.chunk; i < min((c + 1u) * u.chunk, u.n); i++) { acc += x4[i * p4 + j] - m1; }
    s2 += acc;
  }
  let m2 = s2 / f32(u.n);
  for (var i = 0u; i < u.n; i++) {
    let v = (x4[i * p4 + j] - m1) - m2;
    let o = i * u.p + 4u * j;
    dst[o] = v.x;
    dst[o + 1u] = v.y;
    dst[o + 2u] = v.z;
    dst[o + 3u] = v.w;
  }
}

// dst[i, j] = (src[i, j] − aux[j]) − mean2[j] for j < p, 0 in the padding columns j ∈ [p, ld_out):
// both centring passes at once (aux: the column means, mean2: the means of the residuals, from
// col_partial_resid), rounded as two separate passes would round them. Lanes run along the columns
// (x) and each loops over `chunk` rows (row block gid.y + gid.z · nwg.y): no lane divides (a u32
// division per element made this kernel as slow as the Gram matrix on lavapipe, which scalarises
// it), and there are `chunk` times fewer workgroups than elements over 64.
@compute @workgroup_size(WG)
fn center_features(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x;
  let start = (gid.y + gid.z * nwg.y) * u.chunk;
  if (j >= u.ld_out || start >= u.n) { return; }
  let stop = min(start + u.chunk, u.n);
  if (j >= u.p) {
    for (var i = start; i < stop; i++) { dst[i * u.ld_out + j] = 0.0; }
    return;
  }
  let m1 = aux[j];
  let m2 = mean2[j];
  for (var i = start; i < stop; i++) { dst[i * u.ld_out + j] = (src[i * u.ld_in + j] - m1) - m2; }
}

// dst = K − (r − g)·1ᵀ − 1·(r − g)ᵀ with g = tot[0] / gscale; the diagonal set to 0 when zero_diag.
// Double centring: r = column means, g = mean(r)/2 (Kornblith's center_gram). U-centring: r = column
// sums of K̃ over (n − 2), g = Σr / (2(n − 1)) (§1.3 steps 2–4).
// Lanes run along the columns j and each loops over `chunk` rows (row block gid.y + gid.z · nwg.y):
// no u32 division per element (see center_features).
@compute @workgroup_size(WG)
fn center_gram(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x;
  let start = (gid.y + gid.z * nwg.y) * u.chunk;
  if (j >= u.n || start >= u.n) { return; }
  let stop = min(start + u.chunk, u.n);
  let g = tot[0] / u.gscale;
  let cj = aux[j] - g;
  for (var i = start; i < stop; i++) {
    let t = i * u.n + j;
    if (u.zero_diag == 1u && i == j) { dst[t] = 0.0; } else { dst[t] = src[t] - (aux[i] - g) - cj; }
  }
}

// D[i, j] = max(K_ii + K_jj − 2 K_ij, 0): squared distances from a Gram matrix; f32 round-off can
// make the expansion slightly negative, hence the clamp (§1.9.6).
@compute @workgroup_size(WG)
fn sqdist(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= u.n * u.n) { return; }
  let i = t / u.n;
  let j = t % u.n;
  if (i == j) { dst[t] = 0.0; return; }
  dst[t] = max(src[i * u.n + i] + src[j * u.n + j] - 2.0 * src[t], 0.0);
}

// K[i, j] = exp(−D[i, j] · scale / m) with scale = 1/(2t²) and the bandwidth m = aux[0], the median of
// D computed on the GPU (select.wgsl), so it is never read back. m ≤ 0 (a dead layer) gives K = 0.
@compute @workgroup_size(WG)
fn rbf(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= u.n * u.n) { return; }
  let m = aux[0];
  dst[t] = select(0.0, exp(-src[t] * (u.scale / m)), m > 0.0);
}

// Partial inner products of rows: dst[(i * rb + j) * chunks + c] = Σ_{k in chunk c} src[i, k]·aux[j, k]
// for a = src [ra, p] and b = aux [rb, p]. Four interleaved accumulators shorten the f32 chains.
@compute @workgroup_size(WG)
fn dot_partials(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= u.pairs * u.chunks) { return; }
  let c = t % u.chunks;
  let pr = t / u.chunks;
  let ao = (pr / u.rb) * u.p;
  let bo = (pr % u.rb) * u.p;
  let start = c * u.chunk;
  let stop = min(start + u.chunk, u.p);
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  var k = start;
  for (; k + 4u <= stop; k += 4u) {
    a0 = fma(src[ao + k], aux[bo + k], a0);
    a1 = fma(src[ao + k + 1u], aux[bo + k + 1u], a1);
    a2 = fma(src[ao + k + 2u], aux[bo + k + 2u], a2);
    a3 = fma(src[ao + k + 3u], aux[bo + k + 3u], a3);
  }
  for (; k < stop; k++) { a0 = fma(src[ao + k], aux[bo + k], a0); }
  dst[t] = (a0 + a1) + (a2 + a3);
}

// Symmetric Gram matrix K = X Xᵀ of X [n, ld] (ld = 4·ld4). A workgroup of WG_X × WG_Y lanes owns a
// block of (4·WG_Y) × (4·WG_X) entries; only blocks on or above the diagonal are launched (the
// workgroup index enumerates the upper triangle), and each lane writes its 4×4 tile twice, at (i, j)
// and mirrored at (j, i). Within a diagonal block, tiles below the diagonal return at once.
// Per vec4 step a lane loads 4 + 4 vec4s and does 64 FMAs; no shared memory (see perf-facts.md).
@compute @workgroup_size(WG_X, WG_Y, 1)
fn gram_sym(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= u.pairs) { return; }
  let blk = gram_block(w);
  let bi = blk.x;  // block row ≤ block column
  let bj = blk.y;
  if (bi == bj && lid.y > lid.x) { return; }
  let i0 = bi * 4u * WG_Y + lid.y * 4u;
  let j0 = bj * 4u * WG_X + lid.x * 4u;
  if (i0 >= u.n || j0 >= u.n) { return; }
  let ld4 = u.ld_in / 4u;
  let ra = gram_rows(i0, ld4);
  let rb = gram_rows(j0, ld4);
  var c0 = vec4f(0.0);  // c_r[s] = K[i0 + r, j0 + s]
  var c1 = vec4f(0.0);
  var c2 = vec4f(0.0);
  var c3 = vec4f(0.0);
  for (var k = 0u; k < ld4; k++) {
    let b = gram_cols(rb, k);
    c0 = gram_fma(c0, x4[ra.x + k], b);
    c1 = gram_fma(c1, x4[ra.y + k], b);
    c2 = gram_fma(c2, x4[ra.z + k], b);
    c3 = gram_fma(c3, x4[ra.w + k], b);
  }
  // A diagonal tile (bi == bj, lid.y == lid.x) computes its own mirror entries.
  store_gram_tile(i0, j0, array<vec4f, 4>(c0, c1, c2, c3), bi != bj || lid.y != lid.x);
}
