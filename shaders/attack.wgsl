// Fused attack updates: one dispatch per PGD step does sign/normalise, step, projection onto the
// threat ball around the clean input x0, and clipping to the image box [0, 1] (methods.md §2.1).
//   linf_step: x' = clip01(x0 + clamp(x + alpha·sign(g) − x0, −eps, eps)), one invocation per entry.
//   l2_step:   one workgroup per example (row of d entries): ‖g‖ and ‖δ‖ are reduced in workgroup
//              memory, then x' = clip01(x0 + δ·min(1, eps/‖δ‖)) with δ = x + alpha·g/(‖g‖ + 1e-10) − x0.
// sign(0) = 0 (WGSL sign, as torch.sign).

override WG: u32 = 64;

struct Step { n: u32, d: u32, alpha: f32, eps: f32 }

@group(0) @binding(0) var<uniform> st: Step;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read> xt: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn linf_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= st.n) { return; }
  let o = x0[i];
  let delta = clamp(xt[i] + st.alpha * sign(g[i]) - o, -st.eps, st.eps);
  out[i] = clamp(o + delta, 0.0, 1.0);
}

// The L2 kernel's workgroup size is fixed (a workgroup array needs a constant length here).
const RW: u32 = 64u;
var<workgroup> red: array<f32, 64>;

// Tree sum of one value per lane; every lane gets the total. Called from uniform control flow.
fn wg_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = RW / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(64)
fn l2_step(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= st.n) { return; }
  let base = row * st.d;
  var gg = 0.0;
  for (var j = lid; j < st.d; j += RW) {
    let v = g[base + j];
    gg += v * v;
  }
  let scale = st.alpha / (sqrt(wg_sum(lid, gg)) + 1e-10);
  var dd = 0.0;
  for (var j = lid; j < st.d; j += RW) {
    let dl = xt[base + j] + scale * g[base + j] - x0[base + j];
    dd += dl * dl;
  }
  let dn = sqrt(wg_sum(lid, dd));
  // renorm(p=2, maxnorm=eps): shrink only rows outside the ball.
  let shrink = select(1.0, st.eps / dn, dn > st.eps);
  for (var j = lid; j < st.d; j += RW) {
    let o = x0[base + j];
    let dl = xt[base + j] + scale * g[base + j] - o;
    out[base + j] = clamp(o + dl * shrink, 0.0, 1.0);
  }
}
