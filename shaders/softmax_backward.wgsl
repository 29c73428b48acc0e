// Gradient of row-wise softmax ({{LOG}} = false) or log-softmax ({{LOG}} = true), one 64-wide
// workgroup per contiguous row:  softmax: dx = y ⊙ (dy − Σ dy ⊙ y);  log-softmax: dx = dy − exp(y) Σ dy.
struct SParams {
  rows: u32,
  L: u32,
  y_off: u32,
  g_off: u32,
  dx_off: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}
@group(0) @binding(0) var<uniform> u: SParams;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;

const WG = 64u;
var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= u.rows) { return; }
  let yb = u.y_off + row * u.L;
  let gb = u.g_off + row * u.L;
  var s = 0.0;
  for (var j = lid; j < u.L; j += WG) {
    if ({{LOG}}) { s += G[gb + j]; } else { s += G[gb + j] * Y[yb + j]; }
  }
  red[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) { red[lid] = red[lid] + red[lid + k]; }
    workgroupBarrier();
  }
  let total = red[0];
  let db = u.dx_off + row * u.L;
  for (var j = lid; j < u.L; j += WG) {
    if ({{LOG}}) { DX[db + j] = G[gb + j] - exp(Y[yb + j]) * total; }
    else { DX[db + j] = Y[yb + j] * (G[gb + j] - total); }
  }
}
