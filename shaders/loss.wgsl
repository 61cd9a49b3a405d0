// Softmax cross-entropy against target rows, fused: for row b of logits z [rows, classes] and
// targets t [rows, classes] (one-hot, smoothed or soft labels),
//   loss_b = lse_b · Σ_c t_bc − Σ_c t_bc · z_bc   (= −Σ_c t_bc · log softmax(z_b)_c),
//   lse_b  = log Σ_c exp(z_bc − s_b) + s_b, with s_b = max_c z_bc, or 0 where that max is ±Inf
//            (as PyTorch's logsumexp: a row holding +Inf gives +Inf, a row of −Inf gives −Inf);
// and its gradient with respect to z: dz_bc = gy_b · (softmax(z_b)_c · Σ_c t_bc − t_bc).
// The composite (max, shift, exp, sum, log, sub, mul, sum and their adjoints) took about thirty
// dispatches on [batch, 10] tensors per training step; this is one each way. One invocation per
// row: rows are short (the classes), and each is read two or three times. A NaN anywhere in a row
// makes its max or its sum NaN, so the row's loss and gradient are NaN, as the composite's.

override WG: u32 = 64;

struct Rows { rows: u32, classes: u32, _p0: u32, _p1: u32 }

@group(0) @binding(0) var<uniform> u: Rows;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read> gy: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// #include "grid.wgsl"

// The shift s and Σ_c exp(z_c − s) of the row starting at base.
struct Lse { shift: f32, se: f32 }

fn row_lse(base: u32) -> Lse {
  var m = z[base];
  for (var k = 1u; k < u.classes; k++) {
    let v = z[base + k];
    if (v > m) { m = v; }
  }
  let shift = select(m, 0.0, abs(m) > 3.4028234e38);
  var se = 0.0;
  for (var k = 0u; k < u.classes; k++) { se += exp(z[base + k] - shift); }
  return Lse(shift, se);
}

@compute @workgroup_size(WG)
fn softmax_cross_entropy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = lane_id(gid, nwg);
  if (r >= u.rows) { return; }
  let base = r * u.classes;
  let l = row_lse(base);
  let lse = log(l.se) + l.shift;
  var st = 0.0;
  var stz = 0.0;
  for (var k = 0u; k < u.classes; k++) {
    let tk = t[base + k];
    st += tk;
    stz += tk * z[base + k];
  }
  out[r] = lse * st - stz;
}

@compute @workgroup_size(WG)
fn softmax_cross_entropy_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = lane_id(gid, nwg);
  if (r >= u.rows) { return; }
  let base = r * u.classes;
  let l = row_lse(base);
  var st = 0.0;
  for (var k = 0u; k < u.classes; k++) { st += t[base + k]; }
  let g = gy[r];
  for (var k = 0u; k < u.classes; k++) {
    let p = exp(z[base + k] - l.shift) / l.se;
    out[base + k] = g * (p * st - t[base + k]);
  }
}
