// The uniform of the stride-1, 3-wide row kernels (conv.wgsl, conv_subgroups.wgsl), and their
// tap arithmetic.
struct Rows {
  N: u32, Cin: u32, Hin: u32, Win: u32,
  Cout: u32, OH: u32, OW: u32, KH: u32,
  PH: u32, PW: u32, blocks: u32, has_bias: u32,
  w_base: i32, w_so: i32, w_sc: i32, w_si: i32, // weight of (out k, in c, tap i, j) at base + k·so + c·sc + i·si + j·sj
  w_sj: i32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> rw: Rows;

// Three taps applied to 4 pixels: w.x·t0 + w.y·t1 + w.z·t2.
fn taps(w: vec3f, t0: vec4f, t1: vec4f, t2: vec4f) -> vec4f {
  return fma(vec4f(w.z), t2, fma(vec4f(w.y), t1, vec4f(w.x) * t0));
}
