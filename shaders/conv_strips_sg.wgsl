// The strip kernel of conv_strips.wgsl (see there) with the weights shared through the subgroup:
// per input channel, lane sl loads tap sl % 8 and every lane tap 8 (2 gathers instead of 9), and
// subgroupBroadcast hands them out. Needs subgroups of at least 8 lanes (the launcher checks); all
// lanes of a subgroup are in one workgroup and want the same weights.
//
// Taps on gy's padding read inputs selected to 0, so their weights need zeroing (SKIP_PAD) only
// when a weight is Inf or NaN: subgroupAll makes that test uniform, so the branch is a real one
// and the usual case skips the 36 selects per channel.
enable subgroups;

override WG: u32 = 64;

// #include "conv_strips.wgsl"

// Not Inf or NaN (exponent bits not all set).
fn finite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }

fn row_channels(acc: Acc3, ro: u32, k: StripCols, sl: u32) -> Acc3 {
  var a = acc;
  let tap = i32(sl % 8u);
  let mine = (tap / 3) * sp.w_si + (tap % 3) * sp.w_sj;
  let last = 2 * sp.w_si + 2 * sp.w_sj;
  for (var c = 0u; c < sp.Cin; c++) {
    let b = sp.w_base + i32(c) * sp.w_sc;
    let wa = Wt[u32(b + mine)];
    let wb = Wt[u32(b + last)];
    let w = W9(vec3f(subgroupBroadcast(wa, 0u), subgroupBroadcast(wa, 1u), subgroupBroadcast(wa, 2u)),
               vec3f(subgroupBroadcast(wa, 3u), subgroupBroadcast(wa, 4u), subgroupBroadcast(wa, 5u)),
               vec3f(subgroupBroadcast(wa, 6u), subgroupBroadcast(wa, 7u), wb));
    if (subgroupAll(finite(wa) && finite(wb))) {
      a = channel(a, ro, c, w, k, false);
    } else {
      a = channel(a, ro, c, w, k, true);
    }
  }
  return a;
}

fn store_out(n: u32, oh: u32, ow0: u32, a: vec4f, b: vec4f) { store_strip(n, oh, ow0, a, b); }

@compute @workgroup_size(WG)
fn conv2d_strips3_o1_sg(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u,
                        @builtin(subgroup_invocation_id) sl: u32) {
  strip(gid.x, wid.y, sl);
}
