// out[i] = start + i * step ({{EXPR}} computes it in the output type from the global index
// k = off1 + i; a launch covers elements off1.. and writes them from OUT[off0]).
//#include lib/common
@group(0) @binding(1) var<storage, read_write> OUT: array<{{T}}>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = linear_id(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  let k = u.off1 + i;
  OUT[u.off0 + i] = {{EXPR}};
}
