// Batched C[b] = A[b] · B[b] (+ bias) with A: M×K, B: K×N given by arbitrary row/column strides
// (so transposed views need no copy) and batch dims broadcast through batch strides.
// Tiling: a 64×64 output tile per 256-invocation workgroup, 4×4 outputs per invocation, K in
// steps of 16 through workgroup memory.
struct MParams {
  M: u32,
  N: u32,
  K: u32,
  batch_rank: u32,
  a_off: u32,
  b_off: u32,
  bias_off: u32,
  pad0: u32,
  a_rs: i32,   // A row (M) and column (K) strides
  a_cs: i32,
  b_rs: i32,   // B row (K) and column (N) strides
  b_cs: i32,
  batch_shape: array<vec4<u32>, 2>,
  a_bstrides: array<vec4<i32>, 2>,
  b_bstrides: array<vec4<i32>, 2>,
}
@group(0) @binding(0) var<uniform> u: MParams;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
{{BIAS_DECL}}

const TM = 64u;
const TN = 64u;
const TK = 16u;
var<workgroup> As: array<f32, 1024>; // [TK][TM]
var<workgroup> Bs: array<f32, 1024>; // [TK][TN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let batch = wid.z;
  var a_base = i32(u.a_off);
  var b_base = i32(u.b_off);
  var rem = batch;
  for (var d = i32(u.batch_rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let size = u.batch_shape[q][r];
    let c = i32(rem % size);
    rem = rem / size;
    a_base += c * u.a_bstrides[q][r];
    b_base += c * u.b_bstrides[q][r];
  }
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let tr = lid3.y * 4u;
  let tc = lid3.x * 4u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < u.K; k0 += TK) {
    // Each invocation stages 4 elements of A's and of B's tile.
    for (var e = 0u; e < 4u; e++) {
      let idx = lid * 4u + e;     // 0..1023
      let kk = idx / TM;          // 0..15
      let mm = idx % TM;          // 0..63
      let gm = row0 + mm;
      let gk = k0 + kk;
      var av = 0.0;
      if (gm < u.M && gk < u.K) { av = A[a_base + i32(gm) * u.a_rs + i32(gk) * u.a_cs]; }
      As[kk * TM + mm] = av;
      let gn = col0 + mm;
      var bv = 0.0;
      if (gn < u.N && gk < u.K) { bv = B[b_base + i32(gk) * u.b_rs + i32(gn) * u.b_cs]; }
      Bs[kk * TN + mm] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a = vec4<f32>(As[kk * TM + tr], As[kk * TM + tr + 1u], As[kk * TM + tr + 2u], As[kk * TM + tr + 3u]);
      let b = vec4<f32>(Bs[kk * TN + tc], Bs[kk * TN + tc + 1u], Bs[kk * TN + tc + 2u], Bs[kk * TN + tc + 3u]);
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  let c_base = batch * u.M * u.N;
  for (var i = 0u; i < 4u; i++) {
    let gm = row0 + tr + i;
    if (gm >= u.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let gn = col0 + tc + j;
      if (gn < u.N) { C[c_base + gm * u.N + gn] = acc[i][j]{{BIAS_ADD}}; }
    }
  }
}
