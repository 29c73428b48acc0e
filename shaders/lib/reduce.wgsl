// Shared by the reduction kernels: the input is viewed as [outer..., inner...] through strides;
// each output element reduces the `inner` elements of one outer position. Outputs are addressed
// through out_off and out_strides (a launch may cover a sub-box of the outer positions).
struct RParams {
  n_out: u32,
  n_inner: u32,
  outer_rank: u32,
  inner_rank: u32,
  off: u32,
  split: u32,       // workgroups per output (partial results when > 1)
  chunk: u32,       // inner elements per workgroup
  scale: f32,       // multiplies the result (mean = sum * 1/n)
  out_off: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  outer_shape: array<vec4<u32>, 2>,
  outer_strides: array<vec4<i32>, 2>,
  inner_shape: array<vec4<u32>, 2>,
  inner_strides: array<vec4<i32>, 2>,
  out_strides: array<vec4<i32>, 2>,
}
@group(0) @binding(0) var<uniform> u: RParams;

// Offsets of outer position o in the input (x) and in the output (y).
fn outer_offset(o: u32) -> vec2<i32> {
  var rem = o;
  var off = vec2<i32>(i32(u.off), i32(u.out_off));
  for (var d = i32(u.outer_rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let size = u.outer_shape[q][r];
    off += i32(rem % size) * vec2<i32>(u.outer_strides[q][r], u.out_strides[q][r]);
    rem = rem / size;
  }
  return off;
}

fn inner_offset(j: u32) -> i32 {
  if (u.inner_rank == 1u) { return i32(j) * u.inner_strides[0][0]; }
  var rem = j;
  var off = 0;
  for (var d = i32(u.inner_rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let size = u.inner_shape[q][r];
    off += i32(rem % size) * u.inner_strides[q][r];
    rem = rem / size;
  }
  return off;
}
