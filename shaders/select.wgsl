// Selection: the median of all `size` values of a float32 buffer, numpy's convention (for an even
// count, the mean of the two middle values), without reading the values back (methods.md §1.1: the
// RBF bandwidth is the median of all n² squared distances, the zero diagonal included).
//
// Radix select over order-preserving u32 keys: a float's bits, with the sign bit flipped for
// non-negative values and every bit flipped for negative ones, order as the floats do (-0 just below
// +0, NaN above +Inf). Four passes, 8 bits each from the top: `histogram` counts the digits of the
// keys that agree with the prefix found so far, and `pick` (one workgroup) finds the digit whose
// bucket holds the wanted rank, appends it to the prefix and makes the rank relative to that bucket.
// After the last pass the prefix is the key of the lower middle value. For an even count the upper
// middle is the same value when its bucket holds one more element, otherwise the smallest key above
// it (`min_above`). `finish` writes the median to a one-element buffer that later kernels read.
//
// state (u32): [0] prefix key, [1] rank within the keys that share the prefix, [2] how many keys equal
// the final prefix, [3] smallest key above it, [4 + 256·slot + digit] the histogram of each pass.
// The launcher uploads [0, k, 0, 0xffffffff, 0, …] before the first pass.

struct Sel {
  size: u32,   // values in src
  shift: u32,  // lowest bit of this pass's digit: 24, 16, 8, 0
  slot: u32,   // 0..3: the pass, which histogram
  odd: u32,    // 1 when size is odd (the median is one value)
}

@group(0) @binding(0) var<uniform> u: Sel;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

const HIST = 4u;  // index of the first histogram in state

fn order_key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn from_key(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

var<workgroup> bins: array<atomic<u32>, 256>;

// Digit counts of this pass for the keys whose higher digits equal the prefix: per-workgroup counts
// in shared memory, then one global atomic add per non-empty bin. A grid-stride loop covers `size`.
@compute @workgroup_size(256)
fn histogram(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  atomicStore(&bins[lid.x], 0u);
  workgroupBarrier();
  // Bits above this digit (none in the first pass: a shift by 32 is not allowed).
  let high = select(0xffffffffu << (u.shift + 8u), 0u, u.shift >= 24u);
  let prefix = atomicLoad(&state[0]) & high;
  let stride = nwg.x * 256u;
  for (var i = gid.x; i < u.size; i += stride) {
    let key = order_key(src[i]);
    if ((key & high) == prefix) { atomicAdd(&bins[(key >> u.shift) & 0xffu], 1u); }
  }
  workgroupBarrier();
  let c = atomicLoad(&bins[lid.x]);
  if (c > 0u) { atomicAdd(&state[HIST + 256u * u.slot + lid.x], c); }
}

var<workgroup> scan: array<u32, 256>;
var<workgroup> sought: u32;

// One workgroup: an inclusive prefix sum over the 256 bins (Hillis–Steele); the one lane whose bucket
// [before, before + count) holds the rank extends the prefix by its digit.
@compute @workgroup_size(256)
fn pick(@builtin(local_invocation_id) lid: vec3u) {
  let count = atomicLoad(&state[HIST + 256u * u.slot + lid.x]);
  if (lid.x == 0u) { sought = atomicLoad(&state[1]); }
  scan[lid.x] = count;
  workgroupBarrier();
  for (var off = 1u; off < 256u; off = off << 1u) {
    var v = scan[lid.x];
    if (lid.x >= off) { v += scan[lid.x - off]; }
    workgroupBarrier();
    scan[lid.x] = v;
    workgroupBarrier();
  }
  let through = scan[lid.x];
  let before = through - count;
  let rank = sought;
  if (before <= rank && rank < through) {
    atomicStore(&state[0], atomicLoad(&state[0]) | (lid.x << u.shift));
    atomicStore(&state[1], rank - before);
    atomicStore(&state[2], count);
  }
}

var<workgroup> smallest: atomic<u32>;

// The smallest key above the final prefix (the upper middle value when it differs from the lower).
@compute @workgroup_size(256)
fn min_above(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  if (lid.x == 0u) { atomicStore(&smallest, 0xffffffffu); }
  workgroupBarrier();
  let lower = atomicLoad(&state[0]);
  var best = 0xffffffffu;
  let stride = nwg.x * 256u;
  for (var i = gid.x; i < u.size; i += stride) {
    let key = order_key(src[i]);
    if (key > lower) { best = min(best, key); }
  }
  atomicMin(&smallest, best);
  workgroupBarrier();
  if (lid.x == 0u) { atomicMin(&state[3], atomicLoad(&smallest)); }
}

// dst[0] = the median. The mean of two different middle values is formed without overflow
// (lo + (hi − lo)/2 for equal signs, (lo + hi)/2 otherwise; not lo/2 + hi/2, which the drivers' fast
// math turns back into (lo + hi)/2). A subnormal hi − lo may be flushed to 0 (WGSL allows it): the
// result is then lo, off by less than f32's smallest normal.
@compute @workgroup_size(1)
fn finish() {
  let lo = from_key(atomicLoad(&state[0]));
  let tied = atomicLoad(&state[1]) + 1u < atomicLoad(&state[2]);
  if (u.odd == 1u || tied) { dst[0] = lo; return; }
  let hi = from_key(atomicLoad(&state[3]));
  if ((lo < 0.0) == (hi < 0.0)) { dst[0] = lo + (hi - lo) * 0.5; } else { dst[0] = (lo + hi) * 0.5; }
}
