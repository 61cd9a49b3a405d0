// The block enumeration and the mirrored stores of the symmetric Gram kernels (gram_sym in
// hsic.wgsl, gram_sym_sg in gram_sg.wgsl): only blocks on or above the diagonal are launched, and
// each lane writes its 4×4 tile at (i, j) and mirrored at (j, i).
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
