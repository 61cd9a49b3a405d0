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

// The update rules on 4 elements at once; the scalar kernels use lane x. Written once so that the
// scalar and the vec4 kernels cannot drift apart.
// Plain SGD: p -= lr (g + wd p).
fn sgd_rule(pv: vec4f, gv: vec4f) -> vec4f { return pv - s.lr * (gv + s.weight_decay * pv); }

// SGD with momentum: buf = d on the first step, else mu buf + (1 - dampening) d; the step is buf,
// or d + mu buf with Nesterov. Returns the new p and buf.
struct Momentum { p: vec4f, buf: vec4f }
fn momentum_rule(pv: vec4f, gv: vec4f, mv: vec4f) -> Momentum {
  let d = gv + s.weight_decay * pv;
  var buf = d;
  if (s.first == 0u) { buf = s.momentum * mv + (1.0 - s.dampening) * d; }
  var stepv = buf;
  if (NESTEROV == 1u) { stepv = d + s.momentum * buf; }
  return Momentum(pv - s.lr * stepv, buf);
}

// Adam / AdamW with bias correction folded into the step: p -= (lr / bc1) m / (√v / √bc2 + eps).
struct AdamState { p: vec4f, m: vec4f, v: vec4f }
fn adam_rule(p0: vec4f, g0: vec4f, m0: vec4f, v0: vec4f) -> AdamState {
  var pv = p0;
  var gv = g0;
  if (DECOUPLED == 1u) { pv = pv * (1.0 - a.lr * a.weight_decay); } else { gv = gv + a.weight_decay * pv; }
  let mv = a.beta1 * m0 + (1.0 - a.beta1) * gv;
  let vv = a.beta2 * v0 + (1.0 - a.beta2) * gv * gv;
  return AdamState(pv - (a.lr / a.bc1) * mv / (sqrt(vv) / a.bc2_sqrt + a.eps), mv, vv);
}

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var q = 0u; q < PER; q++) {
    let i = lane_id(gid, nwg) + q * stride_of(nwg);
    if (i >= s.n) { return; }
    p[i] = sgd_rule(vec4f(p[i]), vec4f(g[i])).x;
  }
}

@compute @workgroup_size(WG)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var q = 0u; q < PER; q++) {
    let i = lane_id(gid, nwg) + q * stride_of(nwg);
    if (i >= s.n) { return; }
    let r = momentum_rule(vec4f(p[i]), vec4f(g[i]), vec4f(m[i]));
    m[i] = r.buf.x;
    p[i] = r.p.x;
  }
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var q = 0u; q < PER; q++) {
    let i = lane_id(gid, nwg) + q * stride_of(nwg);
    if (i >= a.n) { return; }
    let r = adam_rule(vec4f(p[i]), vec4f(g[i]), vec4f(m[i]), vec4f(v[i]));
    m[i] = r.m.x;
    v[i] = r.v.x;
    p[i] = r.p.x;
  }
}

// The same on tensors of a multiple of 4 elements, 4 per access (n counts vec4s here): software
// adapters load and store lane by lane, one vector per access. p4 .. v4 are p .. v as vec4s.
@group(0) @binding(1) var<storage, read_write> p4: array<vec4f>;
@group(0) @binding(2) var<storage, read> g4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> m4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> v4: array<vec4f>;

@compute @workgroup_size(WG)
fn sgd_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var q = 0u; q < PER; q++) {
    let i = lane_id(gid, nwg) + q * stride_of(nwg);
    if (i >= s.n) { return; }
    p4[i] = sgd_rule(p4[i], g4[i]);
  }
}

@compute @workgroup_size(WG)
fn sgd_momentum_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var q = 0u; q < PER; q++) {
    let i = lane_id(gid, nwg) + q * stride_of(nwg);
    if (i >= s.n) { return; }
    let r = momentum_rule(p4[i], g4[i], m4[i]);
    m4[i] = r.buf;
    p4[i] = r.p;
  }
}

@compute @workgroup_size(WG)
fn adam_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var q = 0u; q < PER; q++) {
    let i = lane_id(gid, nwg) + q * stride_of(nwg);
    if (i >= a.n) { return; }
    let r = adam_rule(p4[i], g4[i], m4[i], v4[i]);
    m4[i] = r.m;
    v4[i] = r.v;
    p4[i] = r.p;
  }
}
