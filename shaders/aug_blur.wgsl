// One pass of a separable Gaussian blur over the clips that are blurred (the same weights for every
// frame of a clip), reflect padding as torchvision's gaussian_blur; the second pass can finish with
// the dataset normalisation.
// {{AXIS}}: 0 blurs along W (batch clip → compact scratch), 1 along H (compact scratch → batch clip).
// {{KSIZE}}: the odd kernel size (a constant, so loops unroll).
// {{VEC}}: true when W is a multiple of 4, so every row starts on a vec4 boundary; X and OUT are
// then arrays of vec4 ({{ELEM}}) and most accesses move four floats at once. On a CPU adapter each
// storage access is a per-lane scalar operation with a bounds check, whatever its width, so:
// AXIS 0: an invocation computes RUN consecutive outputs of a row from the RUN + K − 1 inputs they
// need, loaded once (as aligned vec4s away from the edges); AXIS 1: an invocation computes RUN
// rows of four adjacent columns, one vec4 per input row. One workgroup per (blurred clip, channel,
// frame) plane (z, offset by z_off when a batch needs several dispatches), its invocations looping
// over the plane: few large workgroups cost less than many small ones on a CPU adapter.
// Params (P, f32 × (1 + K) per blurred clip): its index n in the batch, then the K weights.
struct U {
  w: u32, h: u32, ct: u32, t: u32,
  _k: u32, normalize: u32, z_off: u32, _a: u32,
  mean: vec4<f32>,
  inv_std: vec4<f32>,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> X: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> P: array<f32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<{{ELEM}}>;

const VEC = {{VEC}};
const K = {{KSIZE}}u;
const R = i32({{KSIZE}}u / 2u);
const RUN = 8;
const SPAN = 8u + {{KSIZE}}u - 1u;
// AXIS 0, VEC: the interior run's first input sits M floats after a vec4 boundary; NV vec4s cover it.
const M = (4u - (u32(R) & 3u)) & 3u;
const NV = (SPAN + M + 3u) / 4u;

fn ld(i: u32) -> f32 { return {{LD}}; }
fn ld4(i: u32) -> vec4<f32> { return {{LD4}}; }          // floats i..i+3 (i a multiple of 4 when VEC)
fn st(i: u32, v: f32) { {{ST}}; }
fn st4(i: u32, v: vec4<f32>) { {{ST4}}; }                // floats i..i+3 (VEC only)

fn reflect(i: i32, n: i32) -> i32 {
  let j = abs(i);
  return select(j, 2 * (n - 1) - j, j >= n);
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let z = wid.z + u.z_off;
  let j = z / u.ct;
  let rem = z % u.ct;
  let pb = j * (K + 1u);
  let w = i32(u.w);
  let h = i32(u.h);
  let plane = u.w * u.h;
  var wts: array<f32, K>;
  for (var k = 0u; k < K; k++) { wts[k] = P[pb + 1u + k]; }
  let n = u32(P[pb]);
  var ch = 0u;
  if ({{AXIS}} == 1) { ch = rem / u.t; }
  if ({{AXIS}} == 0) {
    let runs = (w + RUN - 1) / RUN;
    for (var idx = i32(lid); idx < runs * h; idx += 64) {
    let line = idx / runs;
    let a0 = (idx % runs) * RUN;
    let src_base = (n * u.ct + rem) * plane + u32(line * w);
    let dst_base = z * plane + u32(line * w);
    var vals: array<f32, SPAN>;
    let interior = a0 - R >= 0 && a0 + RUN - 1 + R < w;
    if (VEC && interior) {
      let q0 = src_base + u32(a0 - R) - M;
      var v4: array<vec4<f32>, NV>;
      for (var q = 0u; q < NV; q++) { v4[q] = ld4(q0 + 4u * q); }
      for (var k = 0u; k < SPAN; k++) { vals[k] = v4[(k + M) / 4u][(k + M) % 4u]; }
    } else if (interior) {
      let b = src_base + u32(a0 - R);
      for (var k = 0u; k < SPAN; k++) { vals[k] = ld(b + k); }
    } else {
      // Reflect; positions past the clamp only feed outputs beyond the end, which are not written.
      for (var k = 0u; k < SPAN; k++) { vals[k] = ld(src_base + u32(reflect(clamp(a0 - R + i32(k), 1 - w, 2 * w - 2), w))); }
    }
    var o8: array<f32, RUN>;
    for (var o = 0u; o < u32(RUN); o++) {
      var v = 0.0;
      for (var k = 0u; k < K; k++) { v += wts[k] * vals[o + k]; }
      o8[o] = v;
    }
    if (VEC && a0 + RUN <= w) {
      st4(dst_base + u32(a0), vec4<f32>(o8[0], o8[1], o8[2], o8[3]));
      st4(dst_base + u32(a0) + 4u, vec4<f32>(o8[4], o8[5], o8[6], o8[7]));
    } else {
      for (var o = 0; o < RUN; o++) {
        if (a0 + o < w) { st(dst_base + u32(a0 + o), o8[o]); }
      }
    }
    }
  } else {
    // Four adjacent columns per invocation (the last group may hang over the row end: those
    // columns are computed from whatever follows and not written).
    let groups = (w + 3) / 4;
    let runs = (h + RUN - 1) / RUN;
    for (var idx = i32(lid); idx < runs * groups; idx += 64) {
    let col = (idx % groups) * 4;
    let a0 = (idx / groups) * RUN;
    let src_base = z * plane + u32(col);
    let dst_base = (n * u.ct + rem) * plane + u32(col);
    var vals: array<vec4<f32>, SPAN>;
    for (var k = 0u; k < SPAN; k++) {
      let row = reflect(clamp(a0 - R + i32(k), 1 - h, 2 * h - 2), h);
      vals[k] = ld4(src_base + u32(row * w));
    }
    for (var o = 0; o < RUN; o++) {
      // (no early exit: a loop with constant bounds unrolls, and vals stays in registers)
      let a = a0 + o;
      var v = vec4<f32>(0.0);
      for (var k = 0u; k < K; k++) { v += wts[k] * vals[u32(o) + k]; }
      if (u.normalize != 0u) { v = (v - u.mean[ch]) * u.inv_std[ch]; }
      let at = dst_base + u32(a * w);
      if (a >= h) {
      } else if (VEC) {
        st4(at, v);
      } else {
        for (var c = 0; c < 4; c++) {
          if (col + c < w) { st(at + u32(c), v[c]); }
        }
      }
    }
    }
  }
}
