// out[c] = x[c with c[dim] = index[c]] (torch.gather); out-of-range indices give {{INVALID}}.
//#include lib/gather
//#include lib/special
@group(0) @binding(1) var<storage, read> X: array<{{T}}>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<{{T}}>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= u.n) { return; }
  var rem = i;
  var xo = i32(u.src_off);
  var io = i32(u.idx_off);
  var oo = i32(u.out_off);
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let size = at(u.shape, u32(d));
    let c = i32(rem % size);
    rem = rem / size;
    io += c * ati(u.idx_strides, u32(d));
    oo += c * ati(u.out_strides, u32(d));
    if (u32(d) != u.dim) { xo += c * ati(u.src_strides, u32(d)); }
  }
  let k = IDX[io];
  if (k < 0 || u32(k) >= u.len) { OUT[oo] = {{INVALID}}; return; }
  OUT[oo] = X[xo + k * u.src_dstride];
}
