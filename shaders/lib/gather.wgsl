// Layout shared by gather and its gradient (scatter-add). Coordinates run over `shape`; the
// coordinate along `dim` comes from the index tensor instead. The output is addressed through
// out_off and out_strides (a launch may cover a sub-box of it).
struct GParams {
  n: u32,
  rank: u32,
  dim: u32,
  len: u32,          // gather: size of x along dim; scatter: size of index along dim
  src_off: u32,
  idx_off: u32,
  src_dstride: i32,  // stride along dim of the source (x for gather, grad for scatter)
  idx_dstride: i32,
  shape: array<vec4<u32>, 2>,   // iteration shape
  ishape: array<vec4<u32>, 2>,  // index shape (scatter: bounds of the valid region)
  src_strides: array<vec4<i32>, 2>,
  idx_strides: array<vec4<i32>, 2>,
  out_off: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  out_strides: array<vec4<i32>, 2>,
}
@group(0) @binding(0) var<uniform> u: GParams;

fn at(a: array<vec4<u32>, 2>, d: u32) -> u32 { return a[d / 4u][d % 4u]; }
fn ati(a: array<vec4<i32>, 2>, d: u32) -> i32 { return a[d / 4u][d % 4u]; }
