// out[i] = EXPR(a, b) with broadcasting through strides; the output is contiguous (addressed through
// off0 and s0: a launch may cover a sub-box of it).
//#include lib/common
//#include lib/math
@group(0) @binding(1) var<storage, read> A: array<{{TA}}>;
@group(0) @binding(2) var<storage, read> B: array<{{TB}}>;
@group(0) @binding(3) var<storage, read_write> OUT: array<{{TO}}>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = linear_id(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  var io = u.off0 + i;
  var ia = u.off1 + i;
  var ib = u.off2 + i;
  if (!{{CONTIG}}) {
    let o = offsets(i);
    io = o.x;
    ia = o.y;
    ib = o.z;
  }
  let a = {{CT}}(A[ia]);
  let b = {{CT}}(B[ib]);
  let p0 = u.p0;
  let p1 = u.p1;
  OUT[io] = {{TO}}({{EXPR}});
}
