// out[i] = start + i * step ({{EXPR}} computes it in the output type).
//#include lib/common
@group(0) @binding(1) var<storage, read_write> OUT: array<{{T}}>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = linear_id(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  OUT[i] = {{EXPR}};
}
