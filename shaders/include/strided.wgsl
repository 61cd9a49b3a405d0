// Shapes and strides of rank <= 8 travel in uniforms as array<vec4u, 2> (16-byte aligned); at(a, d)
// reads entry d.
fn at(a: array<vec4u, 2>, d: u32) -> u32 { return a[d / 4u][d % 4u]; }
