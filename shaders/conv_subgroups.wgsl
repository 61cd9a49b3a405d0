// The stride-1, 3-wide row kernel of conv.wgsl (see there), with its weights shared through the
// subgroup: on software adapters every per-lane load is a gather, and the weights an invocation
// needs per (input channel, kernel row) are the same for the whole workgroup. Here a few loads per
// lane fetch them all and subgroupBroadcast hands them to every lane (register shuffles):
//  - conv2d_rows3_sg: 4 channels x 8 pixels; lane l loads channel l % 4, taps l / 4 and 2:
//    2 gathers + 12 shuffles instead of 12 gathers (about 1.45x the plain kernel);
//  - conv2d_rows3_sg8: 8 channels x 8 pixels (64 accumulators); lane l loads the 3 taps of channel
//    l: 3 gathers + 24 shuffles, and the 10 gathered inputs now feed 192 FMAs (another 1.4x).
// (Speedups measured side by side in one process on Dawn + lavapipe, (64,32,14,14)->64.)
// They need subgroups of at least 8 lanes (the launcher checks); lanes need not be consecutive
// invocations, since every lane of a subgroup is in the same workgroup and wants the same weights.
// Tried and dropped (each ran about 5-8x slower on lavapipe): an 8-channel weight-gradient kernel
// (two 9 x vec4 accumulator arrays) and sharing inputs with subgroupShuffle through arrays indexed
// by a loop counter. Private arrays stay in registers only while every index folds to a constant.
enable subgroups;
// The weight-gradient kernel below checks at run time that the lanes it broadcasts between agree.
diagnostic(off, subgroup_uniformity);

override WG: u32 = 64;

// #include "conv_io.wgsl"
// #include "grid.wgsl"
// #include "conv_rows.wgsl"

@compute @workgroup_size(WG)
fn conv2d_rows3_sg(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sl: u32) {
  // Lanes past the end compute a clamped row and store nothing: no early return, because
  // subgroupBroadcast must be reached in uniform control flow.
  let lanes = rw.N * rw.OH * rw.blocks;
  let lane = lane_id(gid, nwg);
  let row = row_seg(min(lane, lanes - 1u));
  let k0 = wid.z * 4u;
  let hw = rw.Hin * rw.Win;
  let cols = row_cols(row);
  let wk = weight_channels(k0);
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0); // pixels 0..3
  var b0 = vec4f(0.0); var b1 = vec4f(0.0); var b2 = vec4f(0.0); var b3 = vec4f(0.0); // pixels 4..7
  for (var i = 0u; i < rw.KH; i++) {
    let r = row_inputs(row, cols, i);
    let m = tap_masks(r);
    var wo = vec4i(i32(i) * rw.w_si) + wk;
    for (var c = 0u; c < rw.Cin; c++) {
      let x = tap_inputs(r, c * hw);
      let sj = rw.w_sj;
      // Lane sl loads channel sl % 4, tap sl / 4 (taps 0, 1) and tap 2; broadcasts share them.
      let mine = wo[sl % 4u];
      let wa = Wt[u32(mine + i32(sl / 4u) * sj)];
      let wb = Wt[u32(mine + 2 * sj)];
      var w0 = vec3f(subgroupBroadcast(wa, 0u), subgroupBroadcast(wa, 4u), subgroupBroadcast(wb, 0u));
      a0 += taps_p(w0, x, m); b0 += taps_q(w0, x, m);
      w0 = vec3f(subgroupBroadcast(wa, 1u), subgroupBroadcast(wa, 5u), subgroupBroadcast(wb, 1u));
      a1 += taps_p(w0, x, m); b1 += taps_q(w0, x, m);
      w0 = vec3f(subgroupBroadcast(wa, 2u), subgroupBroadcast(wa, 6u), subgroupBroadcast(wb, 2u));
      a2 += taps_p(w0, x, m); b2 += taps_q(w0, x, m);
      w0 = vec3f(subgroupBroadcast(wa, 3u), subgroupBroadcast(wa, 7u), subgroupBroadcast(wb, 3u));
      a3 += taps_p(w0, x, m); b3 += taps_q(w0, x, m);
      wo += vec4i(rw.w_sc);
    }
  }
  if (lane >= lanes) { return; }
  let A = array<vec4f, 4>(a0, a1, a2, a3);
  let Bq = array<vec4f, 4>(b0, b1, b2, b3);
  for (var k = 0u; k < 4u; k++) {
    let o = k0 + k;
    if (o >= rw.Cout) { break; }
    store_row(row, o, A[k], Bq[k]);
  }
}


// The 8-channel kernel's accumulators: channel k's pixels 0..3 in a[k], 4..7 in b[k].
struct Acc8x8 { a: array<vec4f, 8>, b: array<vec4f, 8> }

// One segment of 8 pixels (row) for output channels k0 .. k0 + 7; lane sl of its subgroup.
fn rows3_sg8(row: RowSeg, k0: u32, sl: u32) -> Acc8x8 {
  let hw = rw.Hin * rw.Win;
  let cols = row_cols(row);
  // Lane sl's weight offset: output channel k0 + sl % 8 (clamped; rows past Cout are never stored).
  let wmine = rw.w_base + i32(min(k0 + sl % 8u, rw.Cout - 1u)) * rw.w_so;
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0); // pixels 0..3
  var a4 = vec4f(0.0); var a5 = vec4f(0.0); var a6 = vec4f(0.0); var a7 = vec4f(0.0);
  var b0 = vec4f(0.0); var b1 = vec4f(0.0); var b2 = vec4f(0.0); var b3 = vec4f(0.0); // pixels 4..7
  var b4 = vec4f(0.0); var b5 = vec4f(0.0); var b6 = vec4f(0.0); var b7 = vec4f(0.0);
  for (var i = 0u; i < rw.KH; i++) {
    let r = row_inputs(row, cols, i);
    let m = tap_masks(r);
    var wo = i32(i) * rw.w_si + wmine;
    for (var c = 0u; c < rw.Cin; c++) {
      let x = tap_inputs(r, c * hw);
      let sj = rw.w_sj;
      // Lane sl loads the 3 taps of channel sl % 8; broadcasts hand every lane all 24.
      let t0 = Wt[u32(wo)];
      let t1 = Wt[u32(wo + sj)];
      let t2 = Wt[u32(wo + 2 * sj)];
      var w0 = vec3f(subgroupBroadcast(t0, 0u), subgroupBroadcast(t1, 0u), subgroupBroadcast(t2, 0u));
      a0 += taps_p(w0, x, m); b0 += taps_q(w0, x, m);
      w0 = vec3f(subgroupBroadcast(t0, 1u), subgroupBroadcast(t1, 1u), subgroupBroadcast(t2, 1u));
      a1 += taps_p(w0, x, m); b1 += taps_q(w0, x, m);
      w0 = vec3f(subgroupBroadcast(t0, 2u), subgroupBroadcast(t1, 2u), subgroupBroadcast(t2, 2u));
      a2 += taps_p(w0, x, m); b2 += taps_q(w0, x, m);
      w0 = vec3f(subgroupBroadcast(t0, 3u), subgroupBroadcast(t1, 3u), subgroupBroadcast(t2, 3u));
      a3 += taps_p(w0, x, m); b3 += taps_q(w0, x, m);
      w0 = vec3f(subgroupBroadcast(t0, 4u), subgroupBroadcast(t1, 4u), subgroupBroadcast(t2, 4u));
      a4 += taps_p(w0, x, m); b4 += taps_q(w0, x, m);
      w0 = vec3f(subgroupBroadcast(t0, 5u), subgroupBroadcast(t1, 5u), subgroupBroadcast(t2, 5u));
      a5 += taps_p(w0, x, m); b5 += taps_q(w0, x, m);
      w0 = vec3f(subgroupBroadcast(t0, 6u), subgroupBroadcast(t1, 6u), subgroupBroadcast(t2, 6u));
      a6 += taps_p(w0, x, m); b6 += taps_q(w0, x, m);
      w0 = vec3f(subgroupBroadcast(t0, 7u), subgroupBroadcast(t1, 7u), subgroupBroadcast(t2, 7u));
      a7 += taps_p(w0, x, m); b7 += taps_q(w0, x, m);
      wo += rw.w_sc;
    }
  }
  return Acc8x8(array<vec4f, 8>(a0, a1, a2, a3, a4, a5, a6, a7), array<vec4f, 8>(b0, b1, b2, b3, b4, b5, b6, b7));
}

// Lane `lane`'s segment and its sums. Lanes past the end compute a clamped row and store nothing
// (live = false): no early return, because subgroupBroadcast must be reached in uniform control flow.
struct Seg8 { live: bool, row: RowSeg, k0: u32, acc: Acc8x8 }

fn sg8_segment(lane: u32, k0: u32, sl: u32) -> Seg8 {
  let lanes = rw.N * rw.OH * rw.blocks;
  let row = row_seg(min(lane, lanes - 1u));
  return Seg8(lane < lanes, row, k0, rows3_sg8(row, k0, sl));
}

@compute @workgroup_size(WG)
fn conv2d_rows3_sg8(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sl: u32) {
  let s = sg8_segment(lane_id(gid, nwg), wid.z * 8u, sl);
  if (!s.live) { return; }
  for (var k = 0u; k < 8u; k++) {
    let o = s.k0 + k;
    if (o >= rw.Cout) { break; }
    store_row(s.row, o, s.acc.a[k], s.acc.b[k]);
  }
}

// The same with vec4 stores, for outputs whose rows are a multiple of 4 wide (OW % 4 == 0, so a
// segment's two halves are either whole or past the row's end): lavapipe scatters a store lane by
// lane, and a vec4 store is one scatter instead of four. Y4 is Y (binding 3) as vec4s; an entry
// point uses one of the two.
@group(0) @binding(3) var<storage, read_write> Y4: array<vec4f>;

@compute @workgroup_size(WG)
fn conv2d_rows3_sg8_v4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(workgroup_id) wid: vec3u, @builtin(subgroup_invocation_id) sl: u32) {
  let s = sg8_segment(lane_id(gid, nwg), wid.z * 8u, sl);
  if (!s.live) { return; }
  let ohw = rw.OH * rw.OW;
  let yrow = (s.row.n * rw.Cout * ohw + s.row.oh * rw.OW + s.row.ow0) / 4u;
  for (var k = 0u; k < 8u; k++) {
    let o = s.k0 + k;
    if (o >= rw.Cout) { break; }
    var bias = 0.0;
    if (rw.has_bias != 0u) { bias = B[o]; }
    let at = yrow + o * (ohw / 4u);
    Y4[at] = s.acc.a[k] + bias;
    if (s.row.ow0 + 4u < rw.OW) { Y4[at + 1u] = s.acc.b[k] + bias; }
  }
}

// ---- stride-1 3x3 weight gradient walking down columns, gradients shared -------------------
// The column kernel of shaders/include/conv_cols.wgsl; lanes of one subgroup that work on the same
// output channels and chunk (consecutive input channels, when C is a multiple of 8) share the
// gradients: each gathers one pixel's 4 channels and subgroupBroadcast hands out the rest. Whether
// they do share is checked at run time with subgroupAll; if not, every lane gathers its own.
// #include "conv_cols.wgsl"

fn grads_shared(w: WeightLane) -> bool {
  return subgroupAll(w.o0 == subgroupBroadcast(w.o0, 0u) && w.s == subgroupBroadcast(w.s, 0u));
}

fn grad8(g: RowSeg, gk: vec4u, live: bool, sl: u32, share: bool) -> Grad8 {
  if (share) {
    let mine = grad_at(grad_row(g), g.ow0 + sl % 8u, gk, live);
    return Grad8(subgroupBroadcast(mine, 0u), subgroupBroadcast(mine, 1u), subgroupBroadcast(mine, 2u), subgroupBroadcast(mine, 3u),
                 subgroupBroadcast(mine, 4u), subgroupBroadcast(mine, 5u), subgroupBroadcast(mine, 6u), subgroupBroadcast(mine, 7u));
  }
  return grads_own(g, gk, live);
}

@compute @workgroup_size(WG)
fn conv2d_cols3_weight_sg(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                          @builtin(subgroup_invocation_id) sl: u32) {
  cols3_weight(lane_id(gid, nwg), sl);
}
