// sum / max / min over the inner dims. {{OP}}: 0 sum, 1 max, 2 min. Entry points:
// main_thread: one invocation per output (short inner extents, many outputs);
// main_group: one 64-wide workgroup per (output, chunk) with a shared-memory tree; with split > 1
// chunk s of output o goes to OUT[out(o) · split + s] (partial results, reduced by a second launch).
//#include lib/special
//#include lib/reduce
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;

const WG = 64u;
var<workgroup> part: array<f32, 64>;

fn identity() -> f32 {
  if ({{OP}} == 0) { return 0.0; }
  if ({{OP}} == 1) { return -inf_f32(); }
  return inf_f32();
}

// NaN propagates, as in PyTorch.
fn combine(a: f32, b: f32) -> f32 {
  if ({{OP}} == 0) { return a + b; }
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  if ({{OP}} == 1) { return max(a, b); }
  return min(a, b);
}

@compute @workgroup_size(64)
fn main_thread(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = (wid.x + wid.y * nwg.x) * WG + lid;
  if (o >= u.n_out) { return; }
  let base = outer_offset(o);
  var acc = identity();
  for (var j = 0u; j < u.n_inner; j++) { acc = combine(acc, X[base.x + inner_offset(j)]); }
  OUT[base.y] = acc * u.scale;
}

@compute @workgroup_size(64)
fn main_group(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  let o = g / u.split;
  if (o >= u.n_out) { return; }
  let begin = (g % u.split) * u.chunk;
  let end = min(begin + u.chunk, u.n_inner);
  let base = outer_offset(o);
  var acc = identity();
  for (var j = begin + lid; j < end; j += WG) { acc = combine(acc, X[base.x + inner_offset(j)]); }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { part[lid] = combine(part[lid], part[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { OUT[u32(base.y) * u.split + g % u.split] = part[0] * u.scale; }
}
