// Matmul for CPU adapters (lavapipe/llvmpipe) on devices without the `subgroups` feature.
// See matmul_sg.wgsl for why CPU adapters get their own kernel: per-lane loads are what costs, so
// no workgroup memory, no barriers, and a large per-invocation register tile. A workgroup is 8
// lanes computing RM rows × 32·CV columns; lane l owns the 4 contiguous columns
// col0 + 4l + 32j .. +3 (j < CV) of every row, so each k-step costs 4·CV B loads and RM A loads per
// lane for 4·RM·CV multiply-adds. Out-of-range rows/columns are clamped and dropped at the store.
// Any strides work.
//#include lib/matmul

const RM = {{RM}}u;   // rows per workgroup
const CV = {{CV}}u;   // groups of 4 columns per lane; a workgroup covers 32·CV columns

@compute @workgroup_size(8, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = u.M;
  let N = u.N;
  let K = u.K;
  let batch = wid.z + u.batch0;
  let base = batch_bases(batch);
  let row0 = wid.y * RM;
  let col0 = wid.x * (32u * CV) + lid.x * 4u;
  let a_cs = u.a_cs;
  let b_rs = u.b_rs;
  var ao: array<i32, RM>;
  var bo: array<vec4<i32>, CV>;
  for (var i = 0u; i < RM; i++) { ao[i] = base.x + i32(min(row0 + i, M - 1u)) * u.a_rs; }
  for (var j = 0u; j < CV; j++) {
    let n = col0 + 32u * j;
    bo[j] = base.y + vec4<i32>(min(vec4<u32>(n, n + 1u, n + 2u, n + 3u), vec4<u32>(N - 1u))) * u.b_cs;
  }
  var acc: array<array<vec4<f32>, CV>, RM>;
  for (var k = 0u; k < K; k++) {
    let kb = i32(k) * b_rs;
    var b: array<vec4<f32>, CV>;
    for (var j = 0u; j < CV; j++) {
      let o = bo[j] + kb;
      b[j] = vec4<f32>(B[o.x], B[o.y], B[o.z], B[o.w]);
    }
    let ka = i32(k) * a_cs;
    for (var i = 0u; i < RM; i++) {
      let a = A[ao[i] + ka];
      for (var j = 0u; j < CV; j++) { acc[i][j] += a * b[j]; }
    }
  }
  let c_base = u32(base.z);
  for (var i = 0u; i < RM; i++) {
    let gm = row0 + i;
    if (gm >= M) { break; }
    for (var j = 0u; j < CV; j++) {
      for (var c = 0u; c < 4u; c++) {
        let gn = col0 + 32u * j + c;
        if (gn < N) { C[c_base + gm * u.c_rs + gn] = acc[i][j][c] + bias_at(gn); }
      }
    }
  }
}
