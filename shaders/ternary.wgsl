// out[i] = EXPR(a, b, c) with broadcasting through strides (where, fused backward formulas).
//#include lib/common
//#include lib/math
@group(0) @binding(1) var<storage, read> A: array<{{TA}}>;
@group(0) @binding(2) var<storage, read> B: array<{{TB}}>;
@group(0) @binding(3) var<storage, read> C: array<{{TC}}>;
@group(0) @binding(4) var<storage, read_write> OUT: array<{{TO}}>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = linear_id(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  let o = offsets(i);
  let a = {{CTA}}(A[o.y]);
  let b = {{CT}}(B[o.z]);
  let c = {{CT}}(C[o.w]);
  let p0 = u.p0;
  let p1 = u.p1;
  OUT[o.x] = {{TO}}({{EXPR}});
}
