// Per-example logit statistics (methods.md §4): one invocation per row of a [rows, classes] logit
// matrix, two passes over the row (top-2 and mean, then the softmax sums relative to the max).
// Output row r holds STATS = 7 values:
//   0 max logit z_(1)       1 gap z_(1) − z_(2)        2 max − mean
//   3 confidence softmax_(1) 4 entropy −Σ p log p (nats) 5 margin z_y − max_{j≠y} z_j (0 without labels)
//   6 argmax (first maximal index, as f32)
// Ties: z_(2) is the second entry in sorted order, so tied maxima give gap 0. With one class there
// is no runner-up: gap and margin are 0 by convention.

override WG: u32 = 64;

struct Logits { rows: u32, classes: u32, has_labels: u32, _p: u32 }

@group(0) @binding(0) var<uniform> u: Logits;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const STATS: u32 = 7u;

@compute @workgroup_size(WG)
fn logit_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= u.rows) { return; }
  let base = r * u.classes;
  var m1 = z[base];
  var a1 = 0u;
  var m2 = -3.4028234e38;
  var total = z[base];
  for (var k = 1u; k < u.classes; k++) {
    let v = z[base + k];
    total += v;
    if (v > m1) { m2 = m1; m1 = v; a1 = k; } else if (v > m2) { m2 = v; }
  }
  var y = 0u;
  if (u.has_labels != 0u) { y = u32(labels[r]); }
  // Softmax relative to the max: se = Σ e^{z−m}, sed = Σ e^{z−m}(z−m); H = log se − sed/se.
  var se = 0.0;
  var sed = 0.0;
  var other = -3.4028234e38;
  for (var k = 0u; k < u.classes; k++) {
    let v = z[base + k];
    let d = v - m1;
    let e = exp(d);
    se += e;
    sed += e * d;
    if (k != y) { other = max(other, v); }
  }
  let o = r * STATS;
  out[o] = m1;
  out[o + 1u] = select(0.0, m1 - m2, u.classes > 1u);
  out[o + 2u] = m1 - total / f32(u.classes);
  out[o + 3u] = 1.0 / se;
  out[o + 4u] = log(se) - sed / se;
  out[o + 5u] = select(0.0, z[base + y] - other, u.has_labels != 0u && u.classes > 1u);
  out[o + 6u] = f32(a1);
}

// ---- label hits: 1 where a row's label is its prediction, else 0 (the training loop's counts) ----
// ARGMAX false: the label's logit equals the row's maximum (ties count; a row holding NaN never
// does, its maximum being NaN). ARGMAX true: the label is the row's first maximum, or its first NaN
// where there is one (argmax's rule). A label outside [0, classes) is never a hit. Replaces
// max + eq + one-hot + mul (or argmax + two gathers + mul) before the sum.
override ARGMAX: bool = false;

// #include "nan.wgsl"

@compute @workgroup_size(WG)
fn label_hits(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= u.rows) { return; }
  let base = r * u.classes;
  let y = u32(labels[r]);
  var best = -3.4028234e38;
  var arg = 0u;
  var nan = false;
  for (var k = 0u; k < u.classes; k++) {
    let v = z[base + k];
    if (is_nan(v)) {
      if (!nan) { arg = k; }
      nan = true;
      if (ARGMAX) { break; }
    } else if (k == 0u || v > best) {
      best = v;
      if (!nan) { arg = k; }
    }
  }
  var hit = false;
  if (y < u.classes) {
    if (ARGMAX) { hit = arg == y; } else { hit = !nan && z[base + y] == best; }
  }
  out[r] = select(0.0, 1.0, hit);
}
