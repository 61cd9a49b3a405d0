// Layout kernels: read a strided view into a contiguous tensor (transpose, slice, expand),
// write a contiguous tensor into a strided view of another (pad, concat), gather along an axis
// and its adjoint (index_add). Shapes and strides are uniforms; rank <= 8.

override WG: u32 = 64;

struct View {
  n: u32, rank: u32, offset: u32, _p: u32,
  shape: array<vec4u, 2>,
  strides: array<vec4u, 2>,
}

struct Gather { outer: u32, axis_len: u32, inner: u32, count: u32 }

@group(0) @binding(0) var<uniform> v: View;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@group(0) @binding(0) var<uniform> gp: Gather;
@group(0) @binding(3) var<storage, read> idx: array<i32>;

// #include "strided.wgsl"

fn view_index(i: u32) -> u32 {
  var rem = i;
  var off = v.offset;
  for (var d = i32(v.rank) - 1; d >= 0; d--) {
    let dim = at(v.shape, u32(d));
    off += (rem % dim) * at(v.strides, u32(d));
    rem = rem / dim;
  }
  return off;
}

// dst[i] = src[view(i)]
@compute @workgroup_size(WG)
fn read_view(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= v.n) { return; }
  dst[i] = src[view_index(i)];
}

// dst[view(i)] = src[i]; the view must not alias itself (no two i map to one place).
@compute @workgroup_size(WG)
fn write_view(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= v.n) { return; }
  dst[view_index(i)] = src[i];
}

// dst[o, k, i] = src[o, idx[k], i]; indices were range-checked on the host.
@compute @workgroup_size(WG)
fn gather_axis(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= gp.outer * gp.count * gp.inner) { return; }
  let i = t % gp.inner;
  let k = (t / gp.inner) % gp.count;
  let o = t / (gp.inner * gp.count);
  dst[t] = src[(o * gp.axis_len + u32(idx[k])) * gp.inner + i];
}

// Adjoint of gather: dst[o, a, i] = sum_{k : idx[k] == a} src[o, k, i]. One invocation per output
// element, scanning the indices: no float atomics needed, and the sum order is deterministic.
@compute @workgroup_size(WG)
fn index_add(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * WG;
  if (t >= gp.outer * gp.axis_len * gp.inner) { return; }
  let i = t % gp.inner;
  let a = (t / gp.inner) % gp.axis_len;
  let o = t / (gp.inner * gp.axis_len);
  var acc = 0.0;
  for (var k = 0u; k < gp.count; k++) {
    if (u32(idx[k]) == a) { acc += src[(o * gp.count + k) * gp.inner + i]; }
  }
  dst[t] = acc;
}

// read_view over a view coalesced to rank 3 on the host: the grid gives the multi-index directly.
@compute @workgroup_size(WG)
fn read_view_grid3(@builtin(global_invocation_id) gid: vec3u) {
  let d2 = v.shape[0][2];
  if (gid.x >= d2) { return; }
  dst[(gid.z * v.shape[0][1] + gid.y) * d2 + gid.x] = src[v.offset + gid.z * v.strides[0][0] + gid.y * v.strides[0][1] + gid.x * v.strides[0][2]];
}
