// 2-D max and average pooling over planes (one plane per example and channel) of H x W.
// Forward: one invocation per output. Backward: one invocation per input element, gathering from
// the windows that contain it (no atomics, no scatter); max pooling recomputes each window's first
// maximal element (row-major, PyTorch's choice) instead of storing indices.

override WG: u32 = 64;

struct Pool {
  planes: u32, H: u32, W: u32, KH: u32,
  KW: u32, SH: u32, SW: u32, PH: u32,
  PW: u32, OH: u32, OW: u32, _p: u32,
}

@group(0) @binding(0) var<uniform> pp: Pool;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// #include "grid.wgsl"

// A NaN beats every number (PyTorch's max_pool2d propagates NaN): the first NaN of a window wins.
// #include "nan.wgsl"
fn beats(v: f32, best: f32) -> bool { return v > best || (is_nan(v) && !is_nan(best)); }

// RELU != 0: the fused reluMaxPool2d, i.e. maxPool2d(relu(x)) without the relu pass. The window's
// first maximum of relu(x) is that of x when the max is > 0 or NaN (relu is monotone and keeps NaN),
// else the window's first element (all relu values are 0): one fix-up per window, none per element.
// The output is relu of that element (the expression of elementwise.wgsl's relu: NaN passes), so
// output bits and gradient routing are those of the unfused pair. The backward multiplies the routed
// gradient by step(x) there, as relu's reluGrad does: no gradient where the window max is <= 0 or NaN,
// and Inf · 0 = NaN as in the pair.
override RELU: u32 = 0u;
fn relu_if(v: f32) -> f32 { return select(v, select(max(v, 0.0), v, is_nan(v)), RELU != 0u); }
fn relu_grad_if(g: f32, v: f32) -> f32 { return select(g, g * select(0.0, 1.0, v > 0.0), RELU != 0u); }
// A window's chosen element: its address and its value (carried along, so no kernel loads it twice:
// on software adapters every per-lane load is a gather).
struct Pick { at: u32, v: f32 }

fn relu_pick(best: Pick, first: Pick) -> Pick {
  if (RELU != 0u && !(best.v > 0.0) && !is_nan(best.v)) { return first; }
  return best;
}

// The first maximal element of window (plane, oh, ow); padding never wins.
fn window_argmax(plane: u32, oh: u32, ow: u32) -> Pick {
  let ih0 = i32(oh * pp.SH) - i32(pp.PH);
  let iw0 = i32(ow * pp.SW) - i32(pp.PW);
  let base = plane * pp.H * pp.W;
  var best = Pick(0xffffffffu, 0.0);
  var first = best;
  for (var i = 0u; i < pp.KH; i++) {
    let ih = ih0 + i32(i);
    if (ih < 0 || ih >= i32(pp.H)) { continue; }
    for (var j = 0u; j < pp.KW; j++) {
      let iw = iw0 + i32(j);
      if (iw < 0 || iw >= i32(pp.W)) { continue; }
      let a = base + u32(ih) * pp.W + u32(iw);
      let v = x[a];
      if (best.at == 0xffffffffu) { first = Pick(a, v); best = first; }
      else if (beats(v, best.v)) { best = Pick(a, v); }
    }
  }
  return relu_pick(best, first);
}

@compute @workgroup_size(WG)
fn max_pool_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = lane_id(gid, nwg);
  let ohw = pp.OH * pp.OW;
  if (k >= pp.planes * ohw) { return; }
  let r = k % ohw;
  y[k] = relu_if(window_argmax(k / ohw, r / pp.OW, r % pp.OW).v);
}

// The outputs whose windows contain input row ih: oh in [lo, hi] (empty when lo > hi).
fn out_range(ih: u32, P: u32, K: u32, S: u32, O: u32) -> vec2i {
  let t = i32(ih + P);
  let lo = max(0, (t - i32(K) + i32(S)) / i32(S)); // ceil((t − K + 1) / S), t − K + 1 may be < 0
  let lo2 = select(lo, 0, t - i32(K) + 1 <= 0);
  let hi = min(i32(O) - 1, t / i32(S));
  return vec2i(lo2, hi);
}

@compute @workgroup_size(WG)
fn max_pool_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = lane_id(gid, nwg);
  let hw = pp.H * pp.W;
  if (k >= pp.planes * hw) { return; }
  let plane = k / hw;
  let ih = (k % hw) / pp.W;
  let iw = k % pp.W;
  let rh = out_range(ih, pp.PH, pp.KH, pp.SH, pp.OH);
  let rw = out_range(iw, pp.PW, pp.KW, pp.SW, pp.OW);
  var acc = 0.0;
  for (var oh = rh.x; oh <= rh.y; oh++) {
    for (var ow = rw.x; ow <= rw.y; ow++) {
      if (window_argmax(plane, u32(oh), u32(ow)).at == k) {
        acc += gy[(plane * pp.OH + u32(oh)) * pp.OW + u32(ow)];
      }
    }
  }
  y[k] = relu_grad_if(acc, x[k]);
}

@compute @workgroup_size(WG)
fn avg_pool_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = lane_id(gid, nwg);
  let ohw = pp.OH * pp.OW;
  if (k >= pp.planes * ohw) { return; }
  let plane = k / ohw;
  let r = k % ohw;
  let ih0 = i32((r / pp.OW) * pp.SH) - i32(pp.PH);
  let iw0 = i32((r % pp.OW) * pp.SW) - i32(pp.PW);
  let base = plane * pp.H * pp.W;
  var acc = 0.0;
  for (var i = 0u; i < pp.KH; i++) {
    let ih = ih0 + i32(i);
    if (ih < 0 || ih >= i32(pp.H)) { continue; }
    for (var j = 0u; j < pp.KW; j++) {
      let iw = iw0 + i32(j);
      if (iw >= 0 && iw < i32(pp.W)) { acc += x[base + u32(ih) * pp.W + u32(iw)]; }
    }
  }
  y[k] = acc / f32(pp.KH * pp.KW);
}

@compute @workgroup_size(WG)
fn avg_pool_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = lane_id(gid, nwg);
  let hw = pp.H * pp.W;
  if (k >= pp.planes * hw) { return; }
  let plane = k / hw;
  let rh = out_range((k % hw) / pp.W, pp.PH, pp.KH, pp.SH, pp.OH);
  let rw = out_range(k % pp.W, pp.PW, pp.KW, pp.SW, pp.OW);
  var acc = 0.0;
  for (var oh = rh.x; oh <= rh.y; oh++) {
    for (var ow = rw.x; ow <= rw.y; ow++) {
      acc += gy[(plane * pp.OH + u32(oh)) * pp.OW + u32(ow)];
    }
  }
  y[k] = acc / f32(pp.KH * pp.KW);
}

// Non-overlapping windows (stride = kernel, no padding, H and W multiples of the kernel): the
// common 2×2/2 case. A 3-D grid (ow, oh, plane) replaces the index divisions, which software
// adapters execute lane by lane; each window is read once. The backward pass writes all K·K inputs
// of its window (the gradient at the first maximum, zeros elsewhere), so it needs no zero fill and
// no gathering from neighbouring windows.
// TK != 0: the launcher's square TK x TK window as a pipeline constant, so that the window loops
// have constant bounds and unroll (software adapters run a loop of uniform bounds lane by lane).
override TK: u32 = 0u;
fn tile_h() -> u32 { return select(pp.KH, TK, TK != 0u); }
fn tile_w() -> u32 { return select(pp.KW, TK, TK != 0u); }

fn tiled_argmax(plane: u32, oh: u32, ow: u32) -> Pick {
  let base = (plane * pp.H + oh * tile_h()) * pp.W + ow * tile_w();
  let first = Pick(base, x[base]);
  var best = first;
  for (var i = 0u; i < tile_h(); i++) {
    for (var j = 0u; j < tile_w(); j++) {
      if (i == 0u && j == 0u) { continue; } // folds away where the window is a constant
      let a = base + i * pp.W + j;
      let v = x[a];
      if (beats(v, best.v)) { best = Pick(a, v); }
    }
  }
  return relu_pick(best, first);
}

// PZ planes per invocation (grid z = ceil(planes / PZ)): a small pooled plane (14 x 14) is four
// workgroups, and a software adapter pays a fixed cost per workgroup that one plane's few loads do
// not cover.
override PZ: u32 = 1u;

@compute @workgroup_size(8, 8, 1)
fn max_pool_tiled_forward(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= pp.OW || gid.y >= pp.OH) { return; }
  for (var p = gid.z * PZ; p < min(gid.z * PZ + PZ, pp.planes); p++) {
    y[(p * pp.OH + gid.y) * pp.OW + gid.x] = relu_if(tiled_argmax(p, gid.y, gid.x).v);
  }
}

@compute @workgroup_size(8, 8, 1)
fn max_pool_tiled_backward(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= pp.OW || gid.y >= pp.OH) { return; }
  for (var p = gid.z * PZ; p < min(gid.z * PZ + PZ, pp.planes); p++) {
    let best = tiled_argmax(p, gid.y, gid.x);
    let g = relu_grad_if(gy[(p * pp.OH + gid.y) * pp.OW + gid.x], best.v);
    let base = (p * pp.H + gid.y * tile_h()) * pp.W + gid.x * tile_w();
    for (var i = 0u; i < tile_h(); i++) {
      for (var j = 0u; j < tile_w(); j++) {
        let a = base + i * pp.W + j;
        y[a] = select(0.0, g, a == best.at);
      }
    }
  }
}

// The 2x2 tiled kernels with each window row as one vec2 (W = 2·OW is even, so every window row
// starts on an 8-byte boundary): software adapters gather and scatter lane by lane, and a vec2 load
// or store is one such access instead of two. x2 and y2 are x and y (bindings 1 and 3) as vec2s; an
// entry point uses one view of each. Same windows, order and results as the scalar kernels above.
@group(0) @binding(1) var<storage, read> x2: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> y2: array<vec2f>;

// A 2x2 window's first maximum (row-major): its place 0..3 in the window and its value.
struct Pick4 { at: u32, v: f32 }

fn pair_argmax(r0: vec2f, r1: vec2f) -> Pick4 {
  var best = Pick4(0u, r0.x);
  if (beats(r0.y, best.v)) { best = Pick4(1u, r0.y); }
  if (beats(r1.x, best.v)) { best = Pick4(2u, r1.x); }
  if (beats(r1.y, best.v)) { best = Pick4(3u, r1.y); }
  if (RELU != 0u && !(best.v > 0.0) && !is_nan(best.v)) { return Pick4(0u, r0.x); }
  return best;
}

// Half-index of the window's top row (its bottom row is W / 2 further).
fn pair_base(p: u32, oh: u32, ow: u32) -> u32 { return ((p * pp.H + oh * 2u) * pp.W) / 2u + ow; }

@compute @workgroup_size(8, 8, 1)
fn max_pool_pairs_forward(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= pp.OW || gid.y >= pp.OH) { return; }
  let half = pp.W / 2u;
  for (var p = gid.z * PZ; p < min(gid.z * PZ + PZ, pp.planes); p++) {
    let b = pair_base(p, gid.y, gid.x);
    y[(p * pp.OH + gid.y) * pp.OW + gid.x] = relu_if(pair_argmax(x2[b], x2[b + half]).v);
  }
}

@compute @workgroup_size(8, 8, 1)
fn max_pool_pairs_backward(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= pp.OW || gid.y >= pp.OH) { return; }
  let half = pp.W / 2u;
  for (var p = gid.z * PZ; p < min(gid.z * PZ + PZ, pp.planes); p++) {
    let b = pair_base(p, gid.y, gid.x);
    let best = pair_argmax(x2[b], x2[b + half]);
    let g = relu_grad_if(gy[(p * pp.OH + gid.y) * pp.OW + gid.x], best.v);
    let z = vec2f(0.0);
    y2[b] = select(z, vec2f(g), vec2<bool>(best.at == 0u, best.at == 1u));
    y2[b + half] = select(z, vec2f(g), vec2<bool>(best.at == 2u, best.at == 3u));
  }
}

// Two neighbouring windows per invocation where rows are a multiple of 4 wide: each row of the
// pair as one vec4, the two outputs (forward) or output gradients (backward) as one vec2.
@group(0) @binding(1) var<storage, read> x4: array<vec4f>;
@group(0) @binding(2) var<storage, read> gy2: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> y4: array<vec4f>;

// The two window rows of windows (oh, 2q) and (oh, 2q + 1) in plane p, and the top row's index.
struct Quad { b: u32, r0: vec4f, r1: vec4f }

fn quad_rows(p: u32, oh: u32, q: u32) -> Quad {
  let b = ((p * pp.H + oh * 2u) * pp.W) / 4u + q;
  return Quad(b, x4[b], x4[b + pp.W / 4u]);
}

// The pair's index in y (forward) or gy (backward) as vec2s.
fn quad_out(p: u32, oh: u32, q: u32) -> u32 { return ((p * pp.OH + oh) * pp.OW) / 2u + q; }

@compute @workgroup_size(8, 8, 1)
fn max_pool_quads_forward(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= pp.OW / 2u || gid.y >= pp.OH) { return; }
  for (var p = gid.z * PZ; p < min(gid.z * PZ + PZ, pp.planes); p++) {
    let w = quad_rows(p, gid.y, gid.x);
    y2[quad_out(p, gid.y, gid.x)] = vec2f(relu_if(pair_argmax(w.r0.xy, w.r1.xy).v), relu_if(pair_argmax(w.r0.zw, w.r1.zw).v));
  }
}

@compute @workgroup_size(8, 8, 1)
fn max_pool_quads_backward(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= pp.OW / 2u || gid.y >= pp.OH) { return; }
  for (var p = gid.z * PZ; p < min(gid.z * PZ + PZ, pp.planes); p++) {
    let w = quad_rows(p, gid.y, gid.x);
    let l = pair_argmax(w.r0.xy, w.r1.xy);
    let r = pair_argmax(w.r0.zw, w.r1.zw);
    let gg = gy2[quad_out(p, gid.y, gid.x)];
    let gl = relu_grad_if(gg.x, l.v);
    let gr = relu_grad_if(gg.y, r.v);
    let z = vec4f(0.0);
    let g4 = vec4f(gl, gl, gr, gr);
    y4[w.b] = select(z, g4, vec4<bool>(l.at == 0u, l.at == 1u, r.at == 0u, r.at == 1u));
    y4[w.b + pp.W / 4u] = select(z, g4, vec4<bool>(l.at == 2u, l.at == 3u, r.at == 2u, r.at == 3u));
  }
}
