// The forward of a stride-1 3x3 convolution with ONE input channel (cnn-small's first conv, 1->32):
// the strip kernel of conv_strips.wgsl turned around. The row kernels (conv.wgsl) give each
// invocation 8 pixels of one row and gather the 3 input rows per output row, for only 9 FMAs per
// output when Cin = 1; here a workgroup owns one output channel (wid.z), its 9 weights loaded once
// per lane before the walk (lavapipe gathers weight loads inside loops lane by lane), and each lane
// walks a strip PX pixels wide down `rows` rows, each gathered input row serving the 3 output rows
// that use it (rolling accumulators started at the bias). Taps on the padding multiply its zeros
// (0 · Inf = NaN, as the row kernel and PyTorch). Shared code: include/conv_strips.wgsl.

override WG: u32 = 64;

// #include "conv_strips.wgsl"

var<private> wk: W9;

fn row_channels(acc: Acc3, ro: u32, k: StripCols, sl: u32) -> Acc3 { return channel(acc, ro, 0u, wk, k, false); }

@compute @workgroup_size(WG)
fn conv2d_strips3_c1(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  out_k = wid.z;
  wk = weights9(wid.z); // w_sc: the stride of output channels (Cin = 1)
  if (sp.has_bias != 0u) { acc0 = B[wid.z]; }
  strip(gid.x, wid.y, 0u);
}
