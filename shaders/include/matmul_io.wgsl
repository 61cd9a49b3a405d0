// The uniform and buffers of the matmul modules (matmul.wgsl, matmul-subgroup.wgsl):
// C[b] = A[b] · B[b] with A[b][m, k] at a_off + b·sa_b + m·sa_m + k·sa_k, B[b][k, n] at
// b_off + b·sb_b + k·sb_k + n·sb_n, and C [batch, M, N] contiguous.
struct Mm {
  M: u32, N: u32, K: u32, batch: u32,
  a_off: u32, sa_b: u32, sa_m: u32, sa_k: u32,
  b_off: u32, sb_b: u32, sb_k: u32, sb_n: u32,
}

@group(0) @binding(0) var<uniform> p: Mm;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

// A and B as vec4s, for the 16-byte-load entry points (offsets and strides in floats, multiples of 4).
@group(0) @binding(1) var<storage, read> A4: array<vec4f>;
@group(0) @binding(2) var<storage, read> B4: array<vec4f>;
