// Fused optimizer updates, in place on the parameter and its state buffers: one pass per
// parameter tensor reads p, g and the state once and writes them back (PyTorch's update rules,
// see src/backend/optim.ts). Hyper-parameters travel in a uniform so a changing learning rate
// never recompiles a pipeline.

override WG: u32 = 64;
// 1: Nesterov momentum (SGD). 1: decoupled weight decay, AdamW (Adam).
override NESTEROV: u32 = 0;
override DECOUPLED: u32 = 0;

struct Sgd {
  n: u32, first: u32, _p0: u32, _p1: u32,
  lr: f32, momentum: f32, dampening: f32, weight_decay: f32,
}
struct Adam {
  n: u32, _p0: u32, _p1: u32, _p2: u32,
  lr: f32, beta1: f32, beta2: f32, eps: f32,
  weight_decay: f32, bc1: f32, bc2_sqrt: f32, _p3: f32,
}

@group(0) @binding(0) var<uniform> s: Sgd;
@group(0) @binding(0) var<uniform> a: Adam;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

// #include "grid.wgsl"

// Each invocation updates PER elements, i + q · (invocations) for q < PER: a software adapter pays a
// fixed cost per workgroup that one element per lane does not cover (the launcher's comment).
override PER: u32 = 1;

fn stride_of(nwg: vec3u) -> u32 { return nwg.x * nwg.y * WG; }

// Plain SGD: p -= lr (g + wd p).
@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var q = 0u; q < PER; q++) {
    let i = lane_id(gid, nwg) + q * stride_of(nwg);
    if (i >= s.n) { return; }
    let d = g[i] + s.weight_decay * p[i];
    p[i] = p[i] - s.lr * d;
  }
}

// SGD with momentum: buf = d on the first step, else mu buf + (1 - dampening) d;
// the step is buf, or d + mu buf with Nesterov.
@compute @workgroup_size(WG)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var q = 0u; q < PER; q++) {
    let i = lane_id(gid, nwg) + q * stride_of(nwg);
    if (i >= s.n) { return; }
    let d = g[i] + s.weight_decay * p[i];
    var buf = d;
    if (s.first == 0u) { buf = s.momentum * m[i] + (1.0 - s.dampening) * d; }
    m[i] = buf;
    var stepv = buf;
    if (NESTEROV == 1u) { stepv = d + s.momentum * buf; }
    p[i] = p[i] - s.lr * stepv;
  }
}

// Adam / AdamW with bias correction folded into the step: p -= (lr / bc1) m / (√v / √bc2 + eps).
@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var q = 0u; q < PER; q++) {
    let i = lane_id(gid, nwg) + q * stride_of(nwg);
    if (i >= a.n) { return; }
    var pi = p[i];
    var gi = g[i];
    if (DECOUPLED == 1u) { pi = pi * (1.0 - a.lr * a.weight_decay); } else { gi = gi + a.weight_decay * pi; }
    let mi = a.beta1 * m[i] + (1.0 - a.beta1) * gi;
    let vi = a.beta2 * v[i] + (1.0 - a.beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - (a.lr / a.bc1) * mi / (sqrt(vi) / a.bc2_sqrt + a.eps);
  }
}
