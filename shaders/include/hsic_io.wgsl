// The uniform and the shared buffers of the HSIC / CKA modules (hsic.wgsl, gram_sg.wgsl): every
// kernel writes dst; the Gram kernels read X [n, ld_in] as vec4s (x4).
struct Hs {
  n: u32,          // rows (examples); for Gram-matrix kernels, the matrix side
  p: u32,          // columns (features) that hold data
  ld_in: u32,      // row stride of the input
  ld_out: u32,     // row stride of the output
  chunk: u32,      // rows (or elements) per partial sum
  chunks: u32,     // number of partial sums per output
  zero_diag: u32,  // 1: treat the diagonal as 0 (U-centring)
  pairs: u32,      // gram: block pairs in the upper triangle; dot: ra * rb
  rb: u32,         // dot_partials: rows of b
  scale: f32,      // col_finish: divide the column sums by this; rbf: 1/(2t²)
  gscale: f32,     // center_gram: the grand mean is s / gscale
  _p: u32,
}

@group(0) @binding(0) var<uniform> u: Hs;
@group(0) @binding(1) var<storage, read> x4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
