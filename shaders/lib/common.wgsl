// Shared by the elementwise, copy and indexing kernels: one uniform layout for up to four strided
// operands (rank <= 8) and the index arithmetic that maps a linear output index to each operand.
struct Params {
  n: u32,          // number of output elements
  rank: u32,
  off0: u32,       // element offsets of operands 0..3 in their buffers
  off1: u32,
  off2: u32,
  off3: u32,
  p0: f32,         // scalar parameters of the op
  p1: f32,
  shape: array<vec4<u32>, 2>,   // iteration shape
  s0: array<vec4<i32>, 2>,      // element strides of operands 0..3 (0 where broadcast)
  s1: array<vec4<i32>, 2>,
  s2: array<vec4<i32>, 2>,
  s3: array<vec4<i32>, 2>,
}
@group(0) @binding(0) var<uniform> u: Params;

fn linear_id(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, wg: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * wg + lid;
}

// Offsets of the element at linear index i (row-major over u.shape) in each operand.
fn offsets(i: u32) -> vec4<u32> {
  var rem = i;
  var o = vec4<i32>(i32(u.off0), i32(u.off1), i32(u.off2), i32(u.off3));
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let size = u.shape[q][r];
    let c = i32(rem % size);
    rem = rem / size;
    o += c * vec4<i32>(u.s0[q][r], u.s1[q][r], u.s2[q][r], u.s3[q][r]);
  }
  return vec4<u32>(o);
}
