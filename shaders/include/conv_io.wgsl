// The buffers of the convolution modules (conv.wgsl, conv_subgroups.wgsl); binding 0 is each
// kernel's uniform (Conv or Rows).
@group(0) @binding(1) var<storage, read> X: array<f32>;   // forward: x; backward input: gy
@group(0) @binding(2) var<storage, read> Wt: array<f32>;  // weights (forward, backward input); gy (backward weight)
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read> B: array<f32>;   // bias
