enable subgroups;
// Matmul for CPU adapters (lavapipe/llvmpipe) on devices with the `subgroups` feature.
//
// On llvmpipe a workgroup runs on one CPU thread and its invocations are the lanes of 8-wide SIMD
// registers. Every storage-buffer load inside a loop is emitted as a per-lane sequence (exec-mask
// test, bounds check, scalar load, insert), so the cost of a kernel is dominated by how many
// per-lane loads it issues, not by arithmetic or memory bandwidth; workgroup memory and barriers
// don't help (barriers are coroutine switches and push every temporary into the coroutine frame).
// So this kernel uses no workgroup memory and minimises loads per multiply-add:
//   - a workgroup is 8 lanes (one subgroup with AVX2); it computes RM rows × 8·CN columns, lane l
//     owning columns col0 + l + 8j (j < CN), so the B loads of a k-step are CN loads per lane;
//   - the RM rows are shared by all lanes: instead of every lane loading A[row, k] (8 loads of the
//     same value), subgroup lane sl loads A[row, k0 + sl] once per block of SG k-steps and the
//     inner loop takes it from lane kk with subgroupShuffle (a register permute);
//   - the inner loop does one k-step per iteration: unrolling k makes llvmpipe keep more per-lane
//     load results live, which spills and runs slower.
// Out-of-range rows/columns are clamped (their results are dropped at the store), so the inner loop
// has no bounds branches; k never runs past K. Any strides work.
//#include lib/matmul

const RM = {{RM}}u;   // rows per workgroup
const CN = {{CN}}u;   // columns per lane; a workgroup covers 8·CN columns
const SG = {{SG}}u;   // the device's (fixed) subgroup size, a divisor of 8; a constant K-block
                      // is much faster than a loop bounded by the subgroup_size builtin

@compute @workgroup_size(8, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(subgroup_invocation_id) sl: u32) {
  let M = u.M;
  let N = u.N;
  let K = u.K;
  let batch = wid.z + u.batch0;
  let base = batch_bases(batch);
  let row0 = wid.y * RM;
  let col0 = wid.x * (8u * CN) + lid.x;
  let a_cs = u.a_cs;
  let b_rs = u.b_rs;
  var ao: array<i32, RM>;
  var bo: array<i32, CN>;
  for (var i = 0u; i < RM; i++) { ao[i] = base.x + i32(min(row0 + i, M - 1u)) * u.a_rs; }
  for (var j = 0u; j < CN; j++) { bo[j] = base.y + i32(min(col0 + 8u * j, N - 1u)) * u.b_cs; }
  var acc: array<array<f32, CN>, RM>;
  for (var k0 = 0u; k0 < K; k0 += SG) {
    // Lane sl of each subgroup holds A[row, k0 + sl] of every row (clamped past K; never read there).
    let ka = i32(min(k0 + sl, K - 1u)) * a_cs;
    var a: array<f32, RM>;
    for (var i = 0u; i < RM; i++) { a[i] = A[ao[i] + ka]; }
    let kn = min(SG, K - k0);
    for (var kk = 0u; kk < kn; kk++) {
      let kb = i32(k0 + kk) * b_rs;
      var b: array<f32, CN>;
      for (var j = 0u; j < CN; j++) { b[j] = B[bo[j] + kb]; }
      for (var i = 0u; i < RM; i++) {
        let s = subgroupShuffle(a[i], kk);
        for (var j = 0u; j < CN; j++) { acc[i][j] += s * b[j]; }
      }
    }
  }
  let c_base = u32(base.z);
  for (var i = 0u; i < RM; i++) {
    let gm = row0 + i;
    if (gm >= M) { break; }
    for (var j = 0u; j < CN; j++) {
      let gn = col0 + 8u * j;
      if (gn < N) { C[c_base + gm * u.c_rs + gn] = acc[i][j] + bias_at(gn); }
    }
  }
}
