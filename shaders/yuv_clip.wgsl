// I420 frames → a float32 clip [3, T, H, W] in one dispatch (src/video/clip.ts):
// crop (x, y, w, h in source pixels) → bilinear resize (half-pixel centres, like PyTorch's
// interpolate(align_corners=False) on the cropped image) → rotation by rot·90° (torch.rot90 on the
// last two dims) → horizontal flip → YUV→RGB (BT.601 limited range, FFmpeg's default) → (x - mean) / std.
// The frames arrive as one byte buffer read as u32 words: frame t starts at byte t·frame_bytes and
// holds Y (sw×sh), U and V (cw×ch) planes, tightly packed. One invocation per output pixel.
struct Params {
  n: u32,            // T·H·W
  T: u32,
  H: u32,
  W: u32,
  sw: u32,           // source size
  sh: u32,
  cw: u32,           // chroma plane size
  ch: u32,
  frame_bytes: u32,
  rot: u32,          // 0..3 quarter turns (torch.rot90 direction)
  flip: u32,         // 1: mirror left-right (after rotation)
  wr: u32,           // size of the resized crop before rotation
  hr: u32,
  out_off: u32,      // element offset of the clip in the output buffer
  clip_stride: u32,  // elements between channels: T·H·W of this clip's tensor
  _pad: u32,
  crop: vec4<f32>,   // x, y, w, h
  mean: vec4<f32>,
  inv_std: vec4<f32>,
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> SRC: array<u32>;
@group(0) @binding(2) var<storage, read_write> DST: array<f32>;

fn byte_at(i: u32) -> f32 {
  return f32((SRC[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu);
}

// Bilinear sample of a plane (w×h, row stride w) at continuous coords (x, y), pixel centres at
// integers; the caller clamps the coords into the plane.
fn sample(base: u32, w: u32, h: u32, x: f32, y: f32) -> f32 {
  let x0 = u32(floor(x));
  let y0 = u32(floor(y));
  let x1 = min(x0 + 1u, w - 1u);
  let y1 = min(y0 + 1u, h - 1u);
  let fx = x - floor(x);
  let fy = y - floor(y);
  let a = byte_at(base + y0 * w + x0);
  let b = byte_at(base + y0 * w + x1);
  let c = byte_at(base + y1 * w + x0);
  let d = byte_at(base + y1 * w + x1);
  return mix(mix(a, b, fx), mix(c, d, fx), fy);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= u.n) { return; }
  let hw = u.H * u.W;
  let t = i / hw;
  let rem = i - t * hw;
  let oy = rem / u.W;
  let ox = rem - oy * u.W;
  // undo the flip, then the rotation: (ry, rx) in the resized crop (hr × wr)
  let fx = select(ox, u.W - 1u - ox, u.flip == 1u);
  let fy = oy;
  var ry = fy;
  var rx = fx;
  if (u.rot == 1u) { ry = fx; rx = u.wr - 1u - fy; }
  else if (u.rot == 2u) { ry = u.hr - 1u - fy; rx = u.wr - 1u - fx; }
  else if (u.rot == 3u) { ry = u.hr - 1u - fx; rx = fy; }
  // resized crop → source luma coords (clamped to the crop)
  let sx = clamp(u.crop.x + (f32(rx) + 0.5) * u.crop.z / f32(u.wr) - 0.5, u.crop.x, u.crop.x + u.crop.z - 1.0);
  let sy = clamp(u.crop.y + (f32(ry) + 0.5) * u.crop.w / f32(u.hr) - 0.5, u.crop.y, u.crop.y + u.crop.w - 1.0);
  let base = t * u.frame_bytes;
  let Y = sample(base, u.sw, u.sh, sx, sy);
  // chroma sample centres sit between luma pairs (4:2:0, centred siting)
  let cx = clamp((sx + 0.5) * 0.5 - 0.5, 0.0, f32(u.cw - 1u));
  let cy = clamp((sy + 0.5) * 0.5 - 0.5, 0.0, f32(u.ch - 1u));
  let ubase = base + u.sw * u.sh;
  let U = sample(ubase, u.cw, u.ch, cx, cy) - 128.0;
  let V = sample(ubase + u.cw * u.ch, u.cw, u.ch, cx, cy) - 128.0;
  let L = 1.164383 * (Y - 16.0);
  let rgb = clamp(vec3<f32>(L + 1.596027 * V, L - 0.391762 * U - 0.812968 * V, L + 2.017232 * U), vec3<f32>(0.0), vec3<f32>(255.0)) / 255.0;
  let o = u.out_off + t * hw + rem;
  DST[o] = (rgb.x - u.mean.x) * u.inv_std.x;
  DST[o + u.clip_stride] = (rgb.y - u.mean.y) * u.inv_std.y;
  DST[o + 2u * u.clip_stride] = (rgb.z - u.mean.z) * u.inv_std.z;
}
