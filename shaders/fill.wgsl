// dst[off0 + i] = off1 (a 32-bit pattern, any dtype) for i < n: zeros, ones, full.
//#include lib/common
@group(0) @binding(1) var<storage, read_write> DST: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = linear_id(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  DST[u.off0 + i] = u.off1;
}
