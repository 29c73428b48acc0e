// argmax / argmin over the inner dims: the first index of the extreme value (NaN counts as the
// maximum, as in PyTorch). {{OP}}: 1 max, 2 min. Writes values and int32 indices (both at the
// output offset: the two outputs have the same layout).
//#include lib/special
//#include lib/reduce
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> VALUES: array<f32>;
@group(0) @binding(3) var<storage, read_write> INDICES: array<i32>;

const WG = 64u;
var<workgroup> part_v: array<f32, 64>;
var<workgroup> part_i: array<u32, 64>;

// Is (v, i) a better candidate than (w, k)?
fn better(v: f32, i: u32, w: f32, k: u32) -> bool {
  if (is_nan(v)) { return !is_nan(w) || i < k; }
  if (is_nan(w)) { return false; }
  if (v == w) { return i < k; }
  if ({{OP}} == 1) { return v > w; }
  return v < w;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= u.n_out) { return; }
  let base = outer_offset(o);
  var bv = X[base.x];
  var bi = 0u;
  for (var j = lid; j < u.n_inner; j += WG) {
    let v = X[base.x + inner_offset(j)];
    if (better(v, j, bv, bi)) { bv = v; bi = j; }
  }
  part_v[lid] = bv;
  part_i[lid] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s && better(part_v[lid + s], part_i[lid + s], part_v[lid], part_i[lid])) {
      part_v[lid] = part_v[lid + s];
      part_i[lid] = part_i[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    VALUES[base.y] = part_v[0];
    INDICES[base.y] = i32(part_i[0]);
  }
}
