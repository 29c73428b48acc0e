// Colour augmentation of ONE clip with one parameter set (the same for every frame): ColorJitter
// (brightness, contrast, saturation, hue, in the clip's random order; torchvision semantics on
// [0, 1] floats), RandomGrayscale, then optionally the dataset normalisation.
// The op order is compiled in: {{PRE}} holds the ops before contrast, {{POST}} contrast and the ops
// after it (statements such as `c = op_b(c);`), so each pixel runs straight-line code; there are at
// most 65 variants. {{CONTRAST}}: whether contrast is applied, which needs the mean grey level of
// the frame as it is just before the contrast step: one 256-wide workgroup per frame first reduces
// it, then writes the frame. Factors and flags travel in the uniforms.
// Input: the clip at in_off with strides (c, t, y, x); output: contiguous [3, T, H, W] at out_off.
struct U {
  t: u32, h: u32, w: u32, in_off: u32,
  out_off: u32, grey: u32, normalize: u32, contiguous: u32,
  s_c: i32, s_t: i32, s_y: i32, s_x: i32,
  fb: f32, fc: f32, fs: f32, fh: f32,
  mean: vec4<f32>,
  inv_std: vec4<f32>,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;

const WG = 256u;
var<workgroup> part: array<f32, 256>;
var<workgroup> frame_mean: f32;

fn gray(c: vec3<f32>) -> f32 {
  return 0.2989 * c.x + 0.587 * c.y + 0.114 * c.z;
}

fn blend(a: vec3<f32>, b: vec3<f32>, ratio: f32) -> vec3<f32> {
  return clamp(ratio * a + (1.0 - ratio) * b, vec3<f32>(0.0), vec3<f32>(1.0));
}

// torchvision's _rgb2hsv / _hsv2rgb.
fn rgb2hsv(c: vec3<f32>) -> vec3<f32> {
  let maxc = max(c.x, max(c.y, c.z));
  let minc = min(c.x, min(c.y, c.z));
  let eqc = maxc == minc;
  let cr = maxc - minc;
  let s = cr / select(maxc, 1.0, eqc);
  let d = select(cr, 1.0, eqc);
  let rc = (maxc - c.x) / d;
  let gc = (maxc - c.y) / d;
  let bc = (maxc - c.z) / d;
  var h = 0.0;
  if (maxc == c.x) { h = bc - gc; }
  else if (maxc == c.y) { h = 2.0 + rc - bc; }
  else { h = 4.0 + gc - rc; }
  h = h / 6.0 + 1.0;
  h = h - trunc(h); // fmod(h, 1) for h >= 0
  return vec3<f32>(h, s, maxc);
}

fn hsv2rgb(c: vec3<f32>) -> vec3<f32> {
  let h = c.x;
  let s = c.y;
  let v = c.z;
  let fi = floor(h * 6.0);
  let f = h * 6.0 - fi;
  let i = ((i32(fi) % 6) + 6) % 6;
  let p = clamp(v * (1.0 - s), 0.0, 1.0);
  let q = clamp(v * (1.0 - s * f), 0.0, 1.0);
  let t = clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0);
  switch (i) {
    case 0: { return vec3<f32>(v, t, p); }
    case 1: { return vec3<f32>(q, v, p); }
    case 2: { return vec3<f32>(p, v, t); }
    case 3: { return vec3<f32>(p, q, v); }
    case 4: { return vec3<f32>(t, p, v); }
    default: { return vec3<f32>(v, p, q); }
  }
}

fn adjust_hue(c: vec3<f32>, factor: f32) -> vec3<f32> {
  var hsv = rgb2hsv(c);
  let x = hsv.x + factor;
  hsv.x = x - floor(x); // Python's % 1.0 (result in [0, 1))
  return hsv2rgb(hsv);
}

fn op_b(c: vec3<f32>) -> vec3<f32> { return blend(c, vec3<f32>(0.0), u.fb); }
fn op_c(c: vec3<f32>, mean: f32) -> vec3<f32> { return blend(c, vec3<f32>(mean), u.fc); }
fn op_s(c: vec3<f32>) -> vec3<f32> { return blend(c, vec3<f32>(gray(c)), u.fs); }
fn op_h(c: vec3<f32>) -> vec3<f32> { return adjust_hue(c, u.fh); }

fn load(base: i32, px: u32) -> vec3<f32> {
  // Contiguous frames (the usual case) skip the division into (y, x).
  var o = base + i32(px);
  if (u.contiguous == 0u) {
    o = base + i32(px / u.w) * u.s_y + i32(px % u.w) * u.s_x;
  }
  return vec3<f32>(X[o], X[o + u.s_c], X[o + 2 * u.s_c]);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wid.x;
  let hw = u.h * u.w;
  let base = i32(u.in_off) + i32(t) * u.s_t;
  if ({{CONTRAST}}) {
    var acc = 0.0;
    for (var px = lid; px < hw; px += WG) {
      var c = load(base, px);
      {{PRE}}
      acc += gray(c);
    }
    part[lid] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
      if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
      workgroupBarrier();
    }
    if (lid == 0u) { frame_mean = part[0] / f32(hw); }
    workgroupBarrier();
  }
  let mean = frame_mean;
  let cs = u.t * hw;
  let ob = u.out_off + t * hw;
  for (var px = lid; px < hw; px += WG) {
    var c = load(base, px);
    {{PRE}}
    {{POST}}
    if (u.grey != 0u) { c = vec3<f32>(gray(c)); }
    if (u.normalize != 0u) { c = (c - u.mean.xyz) * u.inv_std.xyz; }
    OUT[ob + px] = c.x;
    OUT[ob + cs + px] = c.y;
    OUT[ob + 2u * cs + px] = c.z;
  }
}
