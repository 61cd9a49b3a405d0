// Batch normalisation over the channels of NCHW tensors, fused: two dispatches forward (statistics,
// then normalise) and two backward (per-channel gradient sums, then the input gradient), where the
// same op built from elementwise and reduction kernels takes about fifteen each way.
//
// Per-channel reductions run one workgroup per channel c over its M = N·HW values, which sit in N
// runs of HW contiguous floats: x[(n·C + c)·HW + i]. Each invocation strides over the channel, then
// the workgroup adds its partial sums in a tree. The variance takes a second pass over the data
// (Σ (x − mean)²): the one-pass Σx² − M·mean² loses everything to cancellation when |mean| ≫ std.
// Elementwise passes run on a (⌈HW / EW⌉, C, N) grid, so the channel of an element is gid.y: no
// integer division per element.

// Workgroup sizes: per-channel reductions, and the elementwise passes.
const RW: u32 = 256u;
const EW: u32 = 64u;

struct Norm {
  N: u32, C: u32, HW: u32, _p: u32,
  eps: f32, momentum: f32, _q: f32, _r: f32,
}

@group(0) @binding(0) var<uniform> nm: Norm;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> beta: array<f32>;
@group(0) @binding(6) var<storage, read> gy: array<f32>;
@group(0) @binding(7) var<storage, read> sum_gy: array<f32>;
@group(0) @binding(12) var<storage, read> sum_gy_xhat: array<f32>;
// Outputs: bn_stats writes the batch mean to `out` and the biased variance to `out2`;
// bn_grad_sums writes Σ gy (= dβ) to `out` and Σ gy·x̂ (= dγ) to `out2`; the others write `out`.
@group(0) @binding(8) var<storage, read_write> out: array<f32>;
@group(0) @binding(11) var<storage, read_write> out2: array<f32>;
@group(0) @binding(9) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(10) var<storage, read_write> running_var: array<f32>;

var<workgroup> partial: array<vec2f, RW>;

// Tree sum of every invocation's `v` (both components); all invocations get the total.
fn workgroup_sum(lid: u32, v: vec2f) -> vec2f {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = RW / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

// Address of the k-th value (0 <= k < M) of channel c.
fn channel_at(c: u32, k: u32) -> u32 {
  let n = k / nm.HW;
  return (n * nm.C + c) * nm.HW + (k - n * nm.HW);
}

// Element i of the plane (example n, channel c) on the elementwise grid, planes of `plane`
// elements (HW scalars, or HW/4 vec4s).
fn at_example(n: u32, c: u32, plane: u32, i: u32) -> u32 { return (n * nm.C + c) * plane + i; }

@compute @workgroup_size(RW)
fn bn_stats(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let m = nm.N * nm.HW;
  var s = 0.0;
  for (var k = lid; k < m; k += RW) { s += x[channel_at(c, k)]; }
  let mu = workgroup_sum(lid, vec2f(s, 0.0)).x / f32(m);
  var q = 0.0;
  for (var k = lid; k < m; k += RW) {
    let d = x[channel_at(c, k)] - mu;
    q += d * d;
  }
  let v = workgroup_sum(lid, vec2f(q, 0.0)).x / f32(m);
  if (lid == 0u) {
    out[c] = mu;
    out2[c] = v;
    // Training updates the running statistics in place; PyTorch blends in the unbiased variance.
    running_mean[c] = (1.0 - nm.momentum) * running_mean[c] + nm.momentum * mu;
    running_var[c] = (1.0 - nm.momentum) * running_var[c] + nm.momentum * v * f32(m) / f32(m - 1u);
  }
}

// NZ examples per invocation of the elementwise passes (grid z = ⌈N / NZ⌉): lavapipe pays a fixed
// cost per workgroup, and a small plane is one workgroup; the channel's constants load once.
override NZ: u32 = 1u;
fn examples(gid: vec3u) -> vec2u { return vec2u(gid.z * NZ, min(gid.z * NZ + NZ, nm.N)); }

@compute @workgroup_size(EW)
fn bn_forward(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= nm.HW) { return; }
  let c = gid.y;
  let scale = gamma[c] * inverseSqrt(variance[c] + nm.eps);
  let mu = mean[c];
  let b = beta[c];
  let r = examples(gid);
  for (var n = r.x; n < r.y; n++) {
    let a = at_example(n, c, nm.HW, gid.x);
    out[a] = (x[a] - mu) * scale + b;
  }
}

// Per channel: Σ gy (= dβ) and Σ gy · x̂ (= dγ).
@compute @workgroup_size(RW)
fn bn_grad_sums(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let m = nm.N * nm.HW;
  let mu = mean[c];
  let inv = inverseSqrt(variance[c] + nm.eps);
  var acc = vec2f(0.0);
  for (var k = lid; k < m; k += RW) {
    let a = channel_at(c, k);
    let g = gy[a];
    acc += vec2f(g, g * (x[a] - mu) * inv);
  }
  let total = workgroup_sum(lid, acc);
  if (lid == 0u) {
    out[c] = total.x;
    out2[c] = total.y;
  }
}

// Training: dx = γ·inv·(gy − Σgy/M − x̂·Σ(gy·x̂)/M), the batch statistics depending on x.
@compute @workgroup_size(EW)
fn bn_input_grad(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= nm.HW) { return; }
  let c = gid.y;
  let inv = inverseSqrt(variance[c] + nm.eps);
  let m = f32(nm.N * nm.HW);
  let mu = mean[c];
  let k = gamma[c] * inv;
  let sg = sum_gy[c] / m;
  let sgx = sum_gy_xhat[c];
  let r = examples(gid);
  for (var n = r.x; n < r.y; n++) {
    let a = at_example(n, c, nm.HW, gid.x);
    let xhat = (x[a] - mu) * inv;
    out[a] = k * (gy[a] - sg - xhat * sgx / m);
  }
}

// Eval: dx = γ·inv·gy, the running statistics being constants.
@compute @workgroup_size(EW)
fn bn_input_grad_eval(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= nm.HW) { return; }
  let c = gid.y;
  let k = gamma[c] * inverseSqrt(variance[c] + nm.eps);
  let r = examples(gid);
  for (var n = r.x; n < r.y; n++) {
    let a = at_example(n, c, nm.HW, gid.x);
    out[a] = k * gy[a];
  }
}

// vec4 forms of the elementwise passes, for planes of a multiple of 4 values: a vec4 never
// straddles two channels, and one invocation moves 16 bytes per load (x4[q] is x[4q .. 4q+3]).
@group(0) @binding(1) var<storage, read> x4: array<vec4f>;
@group(0) @binding(6) var<storage, read> gy4: array<vec4f>;
@group(0) @binding(8) var<storage, read_write> out4: array<vec4f>;

@compute @workgroup_size(EW)
fn bn_forward_vec4(@builtin(global_invocation_id) gid: vec3u) {
  let hw4 = nm.HW / 4u;
  if (gid.x >= hw4) { return; }
  let c = gid.y;
  let scale = gamma[c] * inverseSqrt(variance[c] + nm.eps);
  let mu = vec4f(mean[c]);
  let b = vec4f(beta[c]);
  let r = examples(gid);
  for (var n = r.x; n < r.y; n++) {
    let a = at_example(n, c, hw4, gid.x);
    out4[a] = (x4[a] - mu) * scale + b;
  }
}

@compute @workgroup_size(EW)
fn bn_input_grad_vec4(@builtin(global_invocation_id) gid: vec3u) {
  let hw4 = nm.HW / 4u;
  if (gid.x >= hw4) { return; }
  let c = gid.y;
  let inv = inverseSqrt(variance[c] + nm.eps);
  let m = f32(nm.N * nm.HW);
  let mu = vec4f(mean[c]);
  let k = gamma[c] * inv;
  let sg = vec4f(sum_gy[c] / m);
  let sgx = sum_gy_xhat[c] / m;
  let r = examples(gid);
  for (var n = r.x; n < r.y; n++) {
    let a = at_example(n, c, hw4, gid.x);
    let xhat = (x4[a] - mu) * inv;
    out4[a] = k * (gy4[a] - sg - xhat * sgx);
  }
}
