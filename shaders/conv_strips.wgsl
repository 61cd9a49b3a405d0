// The input gradient of a stride-1 3x3 convolution with ONE input channel (cnn-small's first conv,
// 1->32): dx[n, 0, y, x] = Σ over gy's channels and the 9 taps of flipped weights times gy, i.e. a
// 3x3 convolution of gy into a single output channel, taps on gy's padding skipped (SKIP_PAD in
// conv_rows.wgsl). The row kernel (conv.wgsl, conv2d_rows3 with CB = 1) gives each gathered input
// 3 FMAs there (8 pixels of one output row); with one output channel each input feeds up to 9
// outputs (3 rows x 3 columns), so here an invocation owns a strip PX pixels wide and `rows` rows
// tall and streams the strip's input rows once: each gathered row of PX + 2 values serves the 3
// output rows that use it (rolling accumulators).
//
// Lanes are (image, column block), block fastest, so that the lanes of one SIMD vector gather from
// the same rows (measured: lanes over images, each strip's columns uniform, ran 1.3x slower). The
// workgroup picks the row chunk (wid.y), so the row loop and the weight addresses are uniform;
// lavapipe still gathers the weights inside loops (measured: constant weights ran 1.9x faster),
// and conv_strips_sg.wgsl shares them through the subgroup instead. Shared code:
// include/conv_strips.wgsl.

override WG: u32 = 64;

// #include "conv_strips.wgsl"

fn row_channels(acc: Acc3, ro: u32, k: StripCols, sl: u32) -> Acc3 {
  var a = acc;
  for (var c = 0u; c < sp.Cin; c++) { a = channel(a, ro, c, weights9(c), k, true); }
  return a;
}

@compute @workgroup_size(WG)
fn conv2d_strips3_o1(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  strip(gid.x, wid.y, 0u);
}
