// Strided copy of 32-bit words: dst[offset0(i)] = src[offset1(i)]. Serves contiguous(), writes
// into sub-views (cat, pad, slice gradients) and any layout change; dtype-agnostic.
//#include lib/common
@group(0) @binding(1) var<storage, read> SRC: array<u32>;
@group(0) @binding(2) var<storage, read_write> DST: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = linear_id(wid, nwg, lid, 256u);
  if (i >= u.n) { return; }
  let o = offsets(i);
  DST[o.x] = SRC[o.y];
}
