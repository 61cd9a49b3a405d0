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

// V4: rows a multiple of 4 wide and PX = 4 or 8, so each strip row is whole vec4s of Y (a vec4 store
// is one scatter instead of four); otherwise scalar stores of pixels before OW. Y4 is Y (binding 3)
// as vec4s: this module stores only through it (Y and Y4 may not both be used by one entry point).
override V4: bool = false;
@group(0) @binding(3) var<storage, read_write> Y4: array<vec4f>;

fn store_out(n: u32, oh: u32, ow0: u32, a: vec4f, b: vec4f) {
  let yo = ((n * sp.Cout + out_k) * sp.OH + oh) * sp.OW + ow0;
  if (V4) {
    Y4[yo / 4u] = a;
    if (PX > 4u && ow0 + 4u < sp.OW) { Y4[yo / 4u + 1u] = b; }
    return;
  }
  for (var p = 0u; p < 4u; p++) {
    if (ow0 + p < sp.OW) { Y4[(yo + p) / 4u][(yo + p) % 4u] = a[p]; }
    if (4u + p < PX && ow0 + 4u + p < sp.OW) { Y4[(yo + 4u + p) / 4u][(yo + 4u + p) % 4u] = b[p]; }
  }
}
fn row_channels(acc: Acc3, ro: u32, k: StripCols, sl: u32) -> Acc3 { return channel(acc, ro, 0u, wk, k, false); }

@compute @workgroup_size(WG)
fn conv2d_strips3_c1(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  out_k = wid.z;
  wk = weights9(wid.z); // w_sc: the stride of output channels (Cin = 1)
  if (sp.has_bias != 0u) { acc0 = B[wid.z]; }
  strip(gid.x, wid.y, 0u);
}
