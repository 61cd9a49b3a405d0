// NaN tests use the bits, not `!=`: WGSL lets a compiler assume values are finite, and on lavapipe
// `NaN != y` came out false (which broke ne and where in elementwise.wgsl).
fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
