// The strip kernel of conv_strips.wgsl (see there) with the weights shared through the subgroup:
// per 8 input channels, lane sl loads the 9 weights of channel c0 + sl % 8 (9 gathers instead of
// 72) and subgroupBroadcast hands them to every lane. Needs subgroups of at least 8 lanes (the
// launcher checks); every lane of a subgroup is in one workgroup, so all want the same weights.
enable subgroups;

override WG: u32 = 64;
override DBG: u32 = 0;

// #include "conv_strips.wgsl"


fn row_channels(acc: Acc3, ro: u32, k: StripCols, edge: bool, sl: u32) -> Acc3 {
  var a = acc;
  // Lane sl loads tap sl % 8 (row-major over the 3x3) of channel c, every lane tap 8.
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
    // Taps on gy's padding need their weights zeroed only when a weight is Inf or NaN (the inputs
    // there are 0): subgroupAll makes the test uniform, so the branch is a real one.
    let finite = ((bitcast<u32>(wa) | 0x807fffffu) != 0xffffffffu) && ((bitcast<u32>(wb) | 0x807fffffu) != 0xffffffffu);
    if (!edge || subgroupAll(finite)) {
      a = channel(a, ro, c, w, k, false, edge);
    } else {
      a = channel(a, ro, c, w, k, true, edge);
    }
  }
  return a;
}

@compute @workgroup_size(WG)
fn conv2d_strips3_o1_sg(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u,
                        @builtin(subgroup_invocation_id) sl: u32) {
  strips_main(lid, wid, sl);
}
