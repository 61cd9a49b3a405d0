// The input gradient of a stride-1 3x3 convolution with ONE input channel (cnn-small's first conv,
// 1->32): dx[n, 0, y, x] = Σ over gy's channels and the 9 taps of flipped weights times gy, i.e. a
// 3x3 convolution of gy into a single output channel, taps on gy's padding skipped (SKIP_PAD in
// conv_rows.wgsl). The row kernel (conv.wgsl, conv2d_rows3 with CB = 1) gives each gathered input
// 3 FMAs there (8 pixels of one output row); with one output channel each input feeds up to 9
// outputs (3 rows x 3 columns), so here an invocation owns a strip PX pixels wide (4 to 8; 7 for
// 28-wide rows) and `rows` rows tall and streams the strip's input rows once: each gathered row of
// PX + 2 values serves the 3 output rows that use it (rolling accumulators: 63 FMAs per 9 gathers
// at PX = 7, against 24 per 10 plus 3 weight loads in the row kernel).
//
// Lanes are (image, column block), block fastest, so that the lanes of one SIMD vector gather from
// the same rows. The workgroup picks the row chunk (wid.y), so the row loop and the weight
// addresses are uniform; lavapipe still gathers the weights inside loops, so conv_strips_sg.wgsl
// shares them through the subgroup instead. Shared code: include/conv_strips.wgsl.
//
// Measured on Dawn + lavapipe 25 (2 vCPUs shared with other jobs, load average 3.5-4), bench/conv-dx1.ts:
// gy (N,32,28,28) -> dx (N,1,28,28), old and new interleaved in one process, 11 rounds each, the
// ratio old / new per round (median), over four runs:
//   batch 64:  subgroups 2.15-2.61x (medians 3.2-3.7 ms against 7.6-9.1 ms), this plain kernel 1.90-2.03x;
//   batch 256: subgroups 2.25-2.53x (medians 6.9-12.8 ms against 16-29 ms), this plain kernel 1.70-1.90x.
// The best medians, 9.1 GFLOP/s (batch 64) and 16.6 GFLOP/s (batch 256), are 14% and 25% of a
// 67 GFLOP/s FMA ceiling (the run that measured its ceiling in-process, 69.5 GFLOP/s: 11% and 18%):
// short of issue 14's 35%. Where the time goes (ablations, batch 64):
// the 9-10 gathers of gy about 30%, the weights' loads and broadcasts about 20% (the plain kernel's
// 9 weight gathers per channel cost more, hence its smaller gain), the FMAs and addressing the rest.
// Tried and dropped: lanes over images with each strip's columns uniform across the workgroup (1.3-1.6x
// slower: every lane of a gather reads another image), 4-pixel strips (1.1-1.3x slower than 8),
// the weights in a uniform buffer (2x slower: lavapipe gathers uniform-buffer loads in loops too),
// weights of 8 channels per lane broadcast in an unrolled block (slower than 2 loads + 8 broadcasts
// per channel, in the image-lanes layout), subgroupShuffle instead of subgroupBroadcast (no
// difference), rows split into chunks of 14 (about 1.1x slower than whole 28-row columns).

override WG: u32 = 64;

// #include "conv_strips.wgsl"

fn row_channels(acc: Acc3, ro: u32, k: StripCols, sl: u32) -> Acc3 {
  var a = acc;
  for (var c = 0u; c < sp.Cin; c++) { a = channel(a, ro, c, weights9(c), k, true); }
  return a;
}

fn store_out(n: u32, oh: u32, ow0: u32, a: vec4f, b: vec4f) { store_strip(n, oh, ow0, a, b); }

@compute @workgroup_size(WG)
fn conv2d_strips3_o1(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  strip(gid.x, wid.y, 0u);
}
