// Per-clip crop + bilinear resize + rotation by quarter turns + horizontal flip, the same for every
// frame of a clip: out = flip(rot90(resize(crop(x)), k)). Bilinear with half-pixel centres and
// edge clamping inside the crop (F.interpolate(mode='bilinear', align_corners=False) of the crop).
// Input: any strides over [N, C, T, H, W]; output: contiguous [N, C, T, OH, OW] from out_off.
// Params (P, f32 x 8 per clip): crop x, y, w, h (pixels), quarter turns k (CCW, torch.rot90 over
// (H, W)), flip (0/1), unused, unused.
struct U {
  total: u32, c: u32, t: u32, oh: u32,
  ow: u32, in_off: u32, out_off: u32, p_off: u32,
  s_n: i32, s_c: i32, s_t: i32, s_y: i32,
  s_x: i32, _a: u32, _b: u32, _c: u32,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> P: array<f32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= u.total) { return; }
  var ox = i32(i % u.ow);
  let oy = i32((i / u.ow) % u.oh);
  let t = (i / (u.ow * u.oh)) % u.t;
  let ch = (i / (u.ow * u.oh * u.t)) % u.c;
  let n = i / (u.ow * u.oh * u.t * u.c);
  let pb = (u.p_off + n) * 8u;
  let k = u32(P[pb + 4u]) % 4u;
  let ow = i32(u.ow);
  let oh = i32(u.oh);
  if (P[pb + 5u] != 0.0) { ox = ow - 1 - ox; }
  // Size of the resized crop before rotation, and the source pixel (ry, rx) in it.
  var rh = oh;
  var rw = ow;
  if (k % 2u == 1u) { rh = ow; rw = oh; }
  var ry = oy;
  var rx = ox;
  if (k == 1u) { ry = ox; rx = rw - 1 - oy; }
  else if (k == 2u) { ry = rh - 1 - oy; rx = rw - 1 - ox; }
  else if (k == 3u) { ry = rh - 1 - ox; rx = oy; }
  let cw = P[pb + 2u];
  let chh = P[pb + 3u];
  let sx = clamp((f32(rx) + 0.5) * cw / f32(rw) - 0.5, 0.0, cw - 1.0);
  let sy = clamp((f32(ry) + 0.5) * chh / f32(rh) - 0.5, 0.0, chh - 1.0);
  let x0 = floor(sx);
  let y0 = floor(sy);
  let fx = sx - x0;
  let fy = sy - y0;
  let ix0 = i32(P[pb]) + i32(x0);
  let iy0 = i32(P[pb + 1u]) + i32(y0);
  let ix1 = i32(P[pb]) + i32(min(x0 + 1.0, cw - 1.0));
  let iy1 = i32(P[pb + 1u]) + i32(min(y0 + 1.0, chh - 1.0));
  let base = i32(u.in_off) + i32(n) * u.s_n + i32(ch) * u.s_c + i32(t) * u.s_t;
  let a = X[base + iy0 * u.s_y + ix0 * u.s_x];
  let b = X[base + iy0 * u.s_y + ix1 * u.s_x];
  let c = X[base + iy1 * u.s_y + ix0 * u.s_x];
  let d = X[base + iy1 * u.s_y + ix1 * u.s_x];
  OUT[u.out_off + i] = (a * (1.0 - fx) + b * fx) * (1.0 - fy) + (c * (1.0 - fx) + d * fx) * fy;
}
