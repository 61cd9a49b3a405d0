// The steps the symmetric Gram kernels (gram_sym in hsic.wgsl, gram_sym_sg in gram_sg.wgsl) share:
// the block enumeration (only blocks on or above the diagonal are launched), the loads and FMAs of
// a 4×4 tile of K = X Xᵀ, and the mirrored stores (each lane writes its tile at (i, j) and (j, i)).
// #include "hsic_io.wgsl"

// Workgroup w → its block (bi, bj), bi ≤ bj: w enumerates the lower triangle of block indices as
// w = r(r+1)/2 + c with c ≤ r, and (bi, bj) = (c, r).
fn gram_block(w: u32) -> vec2u {
  var r = u32((sqrt(8.0 * f32(w) + 1.0) - 1.0) * 0.5);
  if (r * (r + 1u) / 2u > w) { r -= 1u; }
  if ((r + 1u) * (r + 2u) / 2u <= w) { r += 1u; }
  let c = w - r * (r + 1u) / 2u;
  return vec2u(c, r);
}

// Offsets (in vec4s) of rows r0 .. r0 + 3 of X [n, 4·ld4], clamped to the last row (the results
// of clamped rows are never stored).
fn gram_rows(r0: u32, ld4: u32) -> vec4u {
  let last = u.n - 1u;
  return vec4u(min(r0, last), min(r0 + 1u, last), min(r0 + 2u, last), min(r0 + 3u, last)) * ld4;
}

// Vec4 step k of the 4 rows at rb, transposed: b[e][s] = X[row s, 4k + e].
fn gram_cols(rb: vec4u, k: u32) -> array<vec4f, 4> {
  let b0 = x4[rb.x + k];
  let b1 = x4[rb.y + k];
  let b2 = x4[rb.z + k];
  let b3 = x4[rb.w + k];
  return array<vec4f, 4>(vec4f(b0.x, b1.x, b2.x, b3.x), vec4f(b0.y, b1.y, b2.y, b3.y),
                         vec4f(b0.z, b1.z, b2.z, b3.z), vec4f(b0.w, b1.w, b2.w, b3.w));
}

// One row of a tile over one vec4 step: c + a.x·b[0] + a.y·b[1] + a.z·b[2] + a.w·b[3], as four
// fmas in that order.
fn gram_fma(c: vec4f, a: vec4f, b: array<vec4f, 4>) -> vec4f {
  return fma(vec4f(a.w), b[3], fma(vec4f(a.z), b[2], fma(vec4f(a.y), b[1], fma(vec4f(a.x), b[0], c))));
}

// dst[i0 + a, j0 + s] = rows[a][s] for entries inside the n × n matrix, and the same at
// (j0 + s, i0 + a) when `mirror` (false for a tile on the diagonal, which computes its own mirror).
fn store_gram_tile(i0: u32, j0: u32, rows: array<vec4f, 4>, mirror: bool) {
  for (var a = 0u; a < 4u; a++) {
    let i = i0 + a;
    if (i >= u.n) { break; }
    for (var s = 0u; s < 4u; s++) {
      let j = j0 + s;
      if (j < u.n) {
        dst[i * u.n + j] = rows[a][s];
        if (mirror) { dst[j * u.n + i] = rows[a][s]; }
      }
    }
  }
}
