// Shared by the matmul kernels (matmul, matmul_cpu, matmul_sg): the uniform block, the bindings and
// the batch → operand offsets. C[b] = A[b] · B[b] (+ bias) with A: M×K and B: K×N addressed through
// arbitrary row/column element strides (transposed views need no copy) and batch dims broadcast
// through batch strides (0 where an operand is broadcast). C's rows and batches are addressed through
// strides too (its columns are contiguous), so a launch may cover any sub-box of [batch..., M, N]:
// big operands are bound as windows and their launches split (see src/engine/ops/split.ts).
struct MParams {
  M: u32,
  N: u32,
  K: u32,
  batch_rank: u32,
  a_off: u32,
  b_off: u32,
  bias_off: u32,
  batch0: u32,   // first batch of this dispatch (launches over 65,535 workgroups in a dimension
                 // are split into several dispatches: by batch, by rows and by columns)
  a_rs: i32,     // A row (M) and column (K) strides
  a_cs: i32,
  b_rs: i32,     // B row (K) and column (N) strides
  b_cs: i32,
  c_off: u32,    // element offset of this dispatch's first output (row r0, column c0)
  pad0: u32,
  c_rs: u32,     // output row stride (u.N counts this dispatch's columns)
  pad1: u32,
  batch_shape: array<vec4<u32>, 2>,
  a_bstrides: array<vec4<i32>, 2>,
  b_bstrides: array<vec4<i32>, 2>,
  c_bstrides: array<vec4<i32>, 2>,
}
@group(0) @binding(0) var<uniform> u: MParams;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
{{BIAS_DECL}}

// Element offsets of the A, B and C matrices of batch `batch` (row-major over batch_shape).
fn batch_bases(batch: u32) -> vec3<i32> {
  var o = vec3<i32>(i32(u.a_off), i32(u.b_off), i32(u.c_off));
  var rem = batch;
  for (var d = i32(u.batch_rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let size = u.batch_shape[q][r];
    let c = i32(rem % size);
    rem = rem / size;
    o += c * vec3<i32>(u.a_bstrides[q][r], u.b_bstrides[q][r], u.c_bstrides[q][r]);
  }
  return o;
}

// The fused bias of output column n (0 without bias).
fn bias_at(n: u32) -> f32 {
  return {{BIAS}};
}
