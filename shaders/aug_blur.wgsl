// One pass of a separable Gaussian blur over the clips that are blurred (the same weights for every
// frame of a clip), reflect padding as torchvision's gaussian_blur; the second pass can finish with
// the dataset normalisation.
// {{AXIS}}: 0 blurs along W (batch clip → compact scratch), 1 along H (compact scratch → batch clip).
// {{KSIZE}}: the odd kernel size (a constant, so loops unroll).
// Each invocation computes RUN consecutive outputs of one row (or column) from the RUN + K − 1
// inputs they need, loaded once: ~2 loads per output instead of K. z: one layer per
// (blurred clip, channel, frame) plane, offset by z_off when a batch needs several dispatches.
// Params (P, f32 × (1 + K) per blurred clip): its index n in the batch, then the K weights.
struct U {
  w: u32, h: u32, ct: u32, t: u32,
  _k: u32, normalize: u32, z_off: u32, _a: u32,
  mean: vec4<f32>,
  inv_std: vec4<f32>,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> P: array<f32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;

const K = {{KSIZE}}u;
const R = i32({{KSIZE}}u / 2u);
const RUN = 8;
const SPAN = 8u + {{KSIZE}}u - 1u;

fn reflect(i: i32, n: i32) -> i32 {
  let j = abs(i);
  return select(j, 2 * (n - 1) - j, j >= n);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let z = wid.z + u.z_off;
  let j = z / u.ct;
  let rem = z % u.ct;
  let pb = j * (K + 1u);
  let w = i32(u.w);
  let h = i32(u.h);
  // Invocation idx: line (row for AXIS 0, column for AXIS 1) × runs along the axis.
  var len = w; var other = h;
  if ({{AXIS}} == 1) { len = h; other = w; }
  let runs = (len + RUN - 1) / RUN;
  let idx = i32(gid.x);
  if (idx >= runs * other) { return; }
  let line = idx / runs;          // row (AXIS 0) or column (AXIS 1)
  let a0 = (idx % runs) * RUN;     // first output along the axis
  var wts: array<f32, K>;
  for (var k = 0u; k < K; k++) { wts[k] = P[pb + 1u + k]; }
  let n = u32(P[pb]);
  let plane = u.w * u.h;
  var src_base: u32; var step: u32; var dst_base: u32;
  if ({{AXIS}} == 0) {
    src_base = (n * u.ct + rem) * plane + u32(line * w); step = 1u;
    dst_base = z * plane + u32(line * w);
  } else {
    src_base = z * plane + u32(line); step = u.w;
    dst_base = (n * u.ct + rem) * plane + u32(line);
  }
  var vals: array<f32, SPAN>;
  if (a0 - R >= 0 && a0 + RUN - 1 + R < len) {
    let b = src_base + u32(a0 - R) * step;
    for (var k = 0u; k < SPAN; k++) { vals[k] = X[b + k * step]; }
  } else {
    // Reflect; positions past the clamp only feed outputs beyond the end, which are not written.
    for (var k = 0u; k < SPAN; k++) { vals[k] = X[src_base + u32(reflect(clamp(a0 - R + i32(k), 1 - len, 2 * len - 2), len)) * step]; }
  }
  var ch = 0u;
  if ({{AXIS}} == 1) { ch = rem / u.t; }
  for (var o = 0u; o < u32(RUN); o++) {
    let a = a0 + i32(o);
    if (a >= len) { break; }
    var v = 0.0;
    for (var k = 0u; k < K; k++) { v += wts[k] * vals[o + k]; }
    if ({{AXIS}} == 1 && u.normalize != 0u) { v = (v - u.mean[ch]) * u.inv_std[ch]; }
    OUT[dst_base + u32(a) * step] = v;
  }
}
