// The input gradient of a stride-1 3x3 convolution with ONE input channel (cnn-small's first conv,
// 1->32): dx[n, 0, y, x] = Σ over gy's channels and the 9 taps of flipped weights times gy, i.e. a
// 3x3 convolution of gy into a single output channel, taps on gy's padding skipped (SKIP_PAD in
// conv_rows.wgsl). The row kernel (conv.wgsl, conv2d_rows3 with CB = 1) gives each gathered input
// 3 FMAs there (8 pixels of one output row); with one output channel each input feeds up to 9
// outputs (3 rows x 3 columns), so here an invocation owns a strip 4 pixels wide and `rows` rows
// tall and streams the strip's input rows once: each gathered row of 6 values serves the 3 output
// rows that use it (rolling accumulators: 36 FMAs per 6 gathers instead of 24 per 10).
//
// Lanes of a workgroup are images and the workgroup picks the strip, so the row loop, its bounds,
// the column masks and every weight address are the same for all lanes. lavapipe still gathers
// the weights inside loops (measured: constant weights ran 1.9x faster); conv_strips_sg.wgsl
// shares them through the subgroup instead. Code shared by both: include/conv_strips.wgsl.

override WG: u32 = 64;
override DBG: u32 = 0;

// #include "conv_strips.wgsl"

fn row_channels(acc: Acc3, ro: u32, k: StripCols, edge: bool, sl: u32) -> Acc3 {
  var a = acc;
  for (var c = 0u; c < sp.Cin; c++) { a = channel(a, ro, c, weights9(c), k, edge, edge); }
  return a;
}

@compute @workgroup_size(WG)
fn conv2d_strips3_o1(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  strips_main(lid, wid, 0u);
}
