// Gradient of gather: out[c] = sum over j of grad[c with c[dim] = j] where index[c with dim = j] == c[dim].
// One invocation per element of the (contiguous) output, so no float atomics are needed. A launch
// covers a sub-box of the output (whole along dim; ishape is then relative to the sub-box).
//#include lib/gather
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= u.n) { return; }
  var rem = i;
  var go = i32(u.src_off);
  var io = i32(u.idx_off);
  var oo = i32(u.out_off);
  var want = 0;
  var inside = true;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let size = at(u.shape, u32(d));
    let c = rem % size;
    rem = rem / size;
    oo += i32(c) * ati(u.out_strides, u32(d));
    if (u32(d) == u.dim) {
      want = i32(c);
    } else {
      if (c >= at(u.ishape, u32(d))) { inside = false; }
      go += i32(c) * ati(u.src_strides, u32(d));
      io += i32(c) * ati(u.idx_strides, u32(d));
    }
  }
  var acc = 0.0;
  if (inside) {
    for (var j = 0u; j < u.len; j++) {
      if (IDX[io + i32(j) * u.idx_dstride] == want) { acc += G[go + i32(j) * u.src_dstride]; }
    }
  }
  OUT[oo] = acc;
}
