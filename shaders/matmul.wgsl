// Matmul for GPUs: a BM×BN output tile per 16×16-invocation workgroup, TR×TC outputs per invocation
// (register tile), K in steps of TK staged through workgroup memory.
// Invocation (tx, ty) owns rows ty·4 + (i % 4) + 64·(i / 4) and columns tx·4 + (j % 4) + 64·(j / 4)
// of the tile, so the 16 invocations of a row of the workgroup read consecutive vec4s of the staged
// tiles. Staging maps consecutive invocations to consecutive addresses of A (A_KMAJOR: along K when
// A's K-stride is 1, else along M) and of B (B_NMAJOR: along N when B's N-stride is 1, else along
// K) for coalesced loads. Out-of-range rows/columns are clamped (dropped at the store) and k past K
// is staged as 0, so the staging loop has no branches.
//#include lib/matmul

const TR = {{TR}}u;        // rows per invocation (4 or 8)
const TC = {{TC}}u;        // columns per invocation (4 or 8)
const TK = {{TK}}u;        // K-step
const BM = 16u * TR;
const BN = 16u * TC;
const A_KMAJOR = {{A_KMAJOR}};
const B_NMAJOR = {{B_NMAJOR}};
var<workgroup> As: array<f32, TK * BM>; // [TK][BM]
var<workgroup> Bs: array<f32, TK * BN>; // [TK][BN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = u.M;
  let N = u.N;
  let K = u.K;
  let batch = wid.z + u.batch0;
  let base = batch_bases(batch);
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let tr = lid3.y * 4u;
  let tc = lid3.x * 4u;
  var acc: array<array<vec4<f32>, TC / 4u>, TR>;
  for (var k0 = 0u; k0 < K; k0 += TK) {
    for (var e = lid; e < TK * BM; e += 256u) {
      var kk: u32;
      var m: u32;
      if (A_KMAJOR) { kk = e % TK; m = e / TK; } else { kk = e / BM; m = e % BM; }
      let gk = k0 + kk;
      let v = A[base.x + i32(min(row0 + m, M - 1u)) * u.a_rs + i32(min(gk, K - 1u)) * u.a_cs];
      As[kk * BM + m] = select(0.0, v, gk < K);
    }
    for (var e = lid; e < TK * BN; e += 256u) {
      var kk: u32;
      var n: u32;
      if (B_NMAJOR) { kk = e / BN; n = e % BN; } else { kk = e % TK; n = e / TK; }
      let gk = k0 + kk;
      let v = B[base.y + i32(min(gk, K - 1u)) * u.b_rs + i32(min(col0 + n, N - 1u)) * u.b_cs];
      Bs[kk * BN + n] = select(0.0, v, gk < K);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var b: array<vec4<f32>, TC / 4u>;
      for (var q = 0u; q < TC / 4u; q++) {
        let o = kk * BN + q * 64u + tc;
        b[q] = vec4<f32>(Bs[o], Bs[o + 1u], Bs[o + 2u], Bs[o + 3u]);
      }
      for (var p = 0u; p < TR / 4u; p++) {
        let o = kk * BM + p * 64u + tr;
        let a = vec4<f32>(As[o], As[o + 1u], As[o + 2u], As[o + 3u]);
        for (var q = 0u; q < TC / 4u; q++) {
          acc[p * 4u][q] += a.x * b[q];
          acc[p * 4u + 1u][q] += a.y * b[q];
          acc[p * 4u + 2u][q] += a.z * b[q];
          acc[p * 4u + 3u][q] += a.w * b[q];
        }
      }
    }
    workgroupBarrier();
  }
  let c_base = u32(base.z);
  for (var i = 0u; i < TR; i++) {
    let gm = row0 + (i / 4u) * 64u + tr + i % 4u;
    if (gm >= M) { continue; }
    for (var q = 0u; q < TC / 4u; q++) {
      for (var c = 0u; c < 4u; c++) {
        let gn = col0 + q * 64u + tc + c;
        if (gn < N) { C[c_base + gm * u.c_rs + gn] = acc[i][q][c] + bias_at(gn); }
      }
    }
  }
}
