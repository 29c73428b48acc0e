// Row-wise softmax / log-softmax ({{LOG}}) over contiguous rows of length L, one 64-wide
// workgroup per row; max-shifted for stability.
//#include lib/special
struct SParams {
  rows: u32,
  L: u32,
  x_off: u32,
  y_off: u32,
}
@group(0) @binding(0) var<uniform> u: SParams;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;

const WG = 64u;
var<workgroup> red: array<f32, 64>;

fn reduce_max(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn reduce_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.rows) { return; }
  let xb = u.x_off + row * u.L;
  let yb = u.y_off + row * u.L;
  var m = -inf_f32();
  for (var j = lid; j < u.L; j += WG) { m = max(m, X[xb + j]); }
  m = reduce_max(m, lid);
  var s = 0.0;
  for (var j = lid; j < u.L; j += WG) { s += exp(X[xb + j] - m); }
  s = reduce_sum(s, lid);
  let ls = log(s);
  for (var j = lid; j < u.L; j += WG) {
    if ({{LOG}}) { Y[yb + j] = X[xb + j] - m - ls; } else { Y[yb + j] = exp(X[xb + j] - m) / s; }
  }
}
