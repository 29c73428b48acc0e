// Clips → augmented float32 clips in one pass (src/video/clip.ts): per clip, crop (x, y, w, h in
// source pixels) → bilinear resize (half-pixel centres, as PyTorch's interpolate(align_corners=False)
// on the crop; samples clamped into the crop) → rotation by k·90° (torch.rot90 over (H, W)) →
// horizontal flip → colour jitter (brightness, contrast, saturation, hue in the clip's own order;
// torchvision semantics on [0, 1] floats) → grayscale → (x − mean) / std. Every output value is
// written once. One workgroup per (frame t, clip n) of the output batch [N, 3, T, H, W].
//
// {{YUV}} true: SRC holds I420 frames as bytes (read as u32 words; YUV→RGB BT.601 limited range,
// FFmpeg's default; chroma sited between luma pairs). false: SRC holds float32 clips (bitcast from
// u32) with channel/row/column strides s_c, s_y, s_x.
//
// Per-clip records (REC words in P from p_off; floats bitcast): see packClipRecords in clip.ts.
// Frame t of clip n starts at P[ftab + t] (a byte offset of the Y plane, or an element offset).
//
// Cost on a CPU adapter (lavapipe) is dominated by storage-buffer accesses, each a per-lane scalar
// load with a bounds check, so: an invocation computes a run of up to RUN outputs along a row of
// the resized crop and loads the source words under that run once (a window of 4 luma and 3
// chroma words per source row; the CPU picks the run length so the window always covers it), and
// bytes are picked out of the window with selects. Contrast needs the frame's mean grey level
// after the ops that precede it: the workgroup first computes its pixels up to that step and
// reduces the mean, then computes them again and writes them (recomputing costs fewer buffer
// accesses than writing and re-reading the intermediate values).
const YUV = {{YUV}};
const RUN = 8u;
const WG = 64u;
const REC = 20u;

struct U {
  H: u32, W: u32, T: u32, p_off: u32,
  out_off: u32, s_c: i32, s_y: i32, s_x: i32,
  mean: vec4<f32>,
  inv_std: vec4<f32>,
}
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> P: array<u32>;
@group(0) @binding(2) var<storage, read> SRC: array<u32>;
@group(0) @binding(3) var<storage, read_write> DST: array<f32>;

var<workgroup> part: array<f32, WG>;
var<private> acc: f32;

struct Clip {
  sw: u32, sh: u32, run: u32, ftab: u32,
  crop: vec4<f32>,
  a: i32, b: i32, c: i32,      // output pixel offset = ry·a + rx·b + c (rotation and flip)
  wr: u32, hr: u32,            // the resized crop before rotation
  ops: u32,                    // jitter: op count in bits 0–3, op i's code in bits 4i+4.. (0 b, 1 c, 2 s, 3 h)
  cpos: u32,                   // position of contrast in the order (≥ 4: none)
  flags: u32,                  // 1: grayscale, 2: normalise here
  f: vec4<f32>,                // brightness, contrast, saturation, hue factors
}

fn pf(i: u32) -> f32 { return bitcast<f32>(P[i]); }

fn load_clip(n: u32) -> Clip {
  let r = u.p_off + n * REC;
  return Clip(P[r], P[r + 1u], P[r + 2u], P[r + 3u],
    vec4<f32>(pf(r + 4u), pf(r + 5u), pf(r + 6u), pf(r + 7u)),
    bitcast<i32>(P[r + 8u]), bitcast<i32>(P[r + 9u]), bitcast<i32>(P[r + 10u]),
    P[r + 11u], P[r + 12u], P[r + 13u], P[r + 14u], P[r + 15u],
    vec4<f32>(pf(r + 16u), pf(r + 17u), pf(r + 18u), pf(r + 19u)));
}

// ---- colour ops (torchvision's ColorJitter / rgb_to_grayscale) ----
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
  // sector i = fi mod 6 (h in [0, 1), so fi in 0..6), chosen with selects: integer division and
  // divergent switches are slow on CPU adapters
  let i = select(fi, fi - 6.0, fi >= 6.0);
  let p = clamp(v * (1.0 - s), 0.0, 1.0);
  let q = clamp(v * (1.0 - s * f), 0.0, 1.0);
  let t = clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0);
  // (v, t, p) (q, v, p) (p, v, t) (p, q, v) (t, p, v) (v, p, q) for i = 0..5
  let r = select(select(select(v, q, i == 1.0), p, i == 2.0 || i == 3.0), select(t, v, i == 5.0), i >= 4.0);
  let g = select(select(t, v, i == 1.0 || i == 2.0), select(q, p, i >= 4.0), i >= 3.0);
  let b = select(select(p, t, i == 2.0), select(v, q, i == 5.0), i >= 3.0);
  return vec3<f32>(r, g, b);
}

fn adjust_hue(c: vec3<f32>, factor: f32) -> vec3<f32> {
  var hsv = rgb2hsv(c);
  let x = hsv.x + factor;
  hsv.x = x - floor(x); // Python's % 1.0 (result in [0, 1))
  return hsv2rgb(hsv);
}

// Jitter ops first..end−1 of the clip's order (`mean`: the frame's mean grey before contrast).
fn jitter(c0: vec3<f32>, cl: Clip, first: u32, end: u32, mean: f32) -> vec3<f32> {
  var c = c0;
  for (var i = first; i < end; i++) {
    switch ((cl.ops >> (4u * i + 4u)) & 15u) {
      case 0u: { c = blend(c, vec3<f32>(0.0), cl.f.x); }
      case 1u: { c = blend(c, vec3<f32>(mean), cl.f.y); }
      case 2u: { c = blend(c, vec3<f32>(gray(c)), cl.f.z); }
      default: { c = adjust_hue(c, cl.f.w); }
    }
  }
  return c;
}

// ---- sources ----
// One byte of a window of words (w0..w3) that starts at byte 4·origin; o = byte offset in it.
fn pick(w0: u32, w1: u32, w2: u32, w3: u32, o: u32) -> f32 {
  let k = o >> 2u;
  let w = select(select(select(w0, w1, k == 1u), w2, k == 2u), w3, k >= 3u);
  return f32((w >> ((o & 3u) * 8u)) & 0xffu);
}

fn to_rgb(Y: f32, U: f32, V: f32) -> vec3<f32> {
  let L = 1.164383 * (Y - 16.0);
  let Uc = U - 128.0;
  let Vc = V - 128.0;
  return clamp(vec3<f32>(L + 1.596027 * Vc, L - 0.391762 * Uc - 0.812968 * Vc, L + 2.017232 * Uc), vec3<f32>(0.0), vec3<f32>(255.0)) / 255.0;
}

fn fsrc(i: u32) -> f32 { return bitcast<f32>(SRC[i]); }

// The outputs of one run: stage 0 accumulates grey after the ops before contrast; stage 1 writes.
fn process(stage: u32, cl: Clip, fbase: u32, mean: f32, lid: u32, ob: u32, cs: u32) {
  let runs = (cl.wr + cl.run - 1u) / cl.run;
  let total = cl.hr * runs;
  let sxs = cl.crop.z / f32(cl.wr);
  let sys = cl.crop.w / f32(cl.hr);
  let xmax = cl.crop.x + cl.crop.z - 1.0;
  let ymax = cl.crop.y + cl.crop.w - 1.0;
  let cw = (cl.sw + 1u) >> 1u;
  let chh = (cl.sh + 1u) >> 1u;
  let nops = cl.ops & 15u;
  let upto = select(nops, cl.cpos, stage == 0u);
  for (var k = lid; k < total; k += WG) {
    let ry = k / runs;
    let rx0 = (k - ry * runs) * cl.run;
    let sy = clamp(cl.crop.y + (f32(ry) + 0.5) * sys - 0.5, cl.crop.y, ymax);
    let y0 = u32(floor(sy));
    let y1 = min(y0 + 1u, cl.sh - 1u);
    let fy = sy - floor(sy);
    // YUV: the words under the run, per source row, and each row's start relative to its
    // window's first byte (modular: only row start + column is used).
    var ya0 = 0u; var ya1 = 0u; var ya2 = 0u; var ya3 = 0u;
    var yb0 = 0u; var yb1 = 0u; var yb2 = 0u; var yb3 = 0u;
    var ua0 = 0u; var ua1 = 0u; var ua2 = 0u; var ub0 = 0u; var ub1 = 0u; var ub2 = 0u;
    var va0 = 0u; var va1 = 0u; var va2 = 0u; var vb0 = 0u; var vb1 = 0u; var vb2 = 0u;
    var yr0 = 0u; var yr1 = 0u; var ur0 = 0u; var ur1 = 0u; var vr0 = 0u; var vr1 = 0u;
    var cfy = 0.0;
    if (YUV) {
      let sx_first = clamp(cl.crop.x + (f32(rx0) + 0.5) * sxs - 0.5, cl.crop.x, xmax);
      let x_first = u32(floor(sx_first));
      let p0 = fbase + y0 * cl.sw;
      let p1 = fbase + y1 * cl.sw;
      let o0 = (p0 + x_first) >> 2u;
      let o1 = (p1 + x_first) >> 2u;
      ya0 = SRC[o0]; ya1 = SRC[o0 + 1u]; ya2 = SRC[o0 + 2u]; ya3 = SRC[o0 + 3u];
      yb0 = SRC[o1]; yb1 = SRC[o1 + 1u]; yb2 = SRC[o1 + 2u]; yb3 = SRC[o1 + 3u];
      yr0 = p0 - (o0 << 2u);
      yr1 = p1 - (o1 << 2u);
      let cy = clamp((sy + 0.5) * 0.5 - 0.5, 0.0, f32(chh - 1u));
      let cy0 = u32(floor(cy));
      let cy1 = min(cy0 + 1u, chh - 1u);
      cfy = cy - floor(cy);
      let cx_first = u32(floor(clamp((sx_first + 0.5) * 0.5 - 0.5, 0.0, f32(cw - 1u))));
      let ubase = fbase + cl.sw * cl.sh;
      let vbase = ubase + cw * chh;
      let q0 = ubase + cy0 * cw;
      let q1 = ubase + cy1 * cw;
      let q2 = vbase + cy0 * cw;
      let q3 = vbase + cy1 * cw;
      let c0 = (q0 + cx_first) >> 2u;
      let c1 = (q1 + cx_first) >> 2u;
      let c2 = (q2 + cx_first) >> 2u;
      let c3 = (q3 + cx_first) >> 2u;
      ua0 = SRC[c0]; ua1 = SRC[c0 + 1u]; ua2 = SRC[c0 + 2u];
      ub0 = SRC[c1]; ub1 = SRC[c1 + 1u]; ub2 = SRC[c1 + 2u];
      va0 = SRC[c2]; va1 = SRC[c2 + 1u]; va2 = SRC[c2 + 2u];
      vb0 = SRC[c3]; vb1 = SRC[c3 + 1u]; vb2 = SRC[c3 + 2u];
      ur0 = q0 - (c0 << 2u);
      ur1 = q1 - (c1 << 2u);
      vr0 = q2 - (c2 << 2u);
      vr1 = q3 - (c3 << 2u);
    }
    for (var j = 0u; j < RUN; j++) {
      let rx = rx0 + j;
      if (j >= cl.run || rx >= cl.wr) { break; }
      let sx = clamp(cl.crop.x + (f32(rx) + 0.5) * sxs - 0.5, cl.crop.x, xmax);
      let x0 = u32(floor(sx));
      let x1 = min(x0 + 1u, cl.sw - 1u);
      let fx = sx - floor(sx);
      var rgb: vec3<f32>;
      if (YUV) {
        let Y = mix(mix(pick(ya0, ya1, ya2, ya3, yr0 + x0), pick(ya0, ya1, ya2, ya3, yr0 + x1), fx),
                    mix(pick(yb0, yb1, yb2, yb3, yr1 + x0), pick(yb0, yb1, yb2, yb3, yr1 + x1), fx), fy);
        let cx = clamp((sx + 0.5) * 0.5 - 0.5, 0.0, f32(cw - 1u));
        let cx0 = u32(floor(cx));
        let cx1 = min(cx0 + 1u, cw - 1u);
        let cfx = cx - floor(cx);
        let Uv = mix(mix(pick(ua0, ua1, ua2, 0u, ur0 + cx0), pick(ua0, ua1, ua2, 0u, ur0 + cx1), cfx),
                     mix(pick(ub0, ub1, ub2, 0u, ur1 + cx0), pick(ub0, ub1, ub2, 0u, ur1 + cx1), cfx), cfy);
        let Vv = mix(mix(pick(va0, va1, va2, 0u, vr0 + cx0), pick(va0, va1, va2, 0u, vr0 + cx1), cfx),
                     mix(pick(vb0, vb1, vb2, 0u, vr1 + cx0), pick(vb0, vb1, vb2, 0u, vr1 + cx1), cfx), cfy);
        rgb = to_rgb(Y, Uv, Vv);
      } else {
        let r0 = i32(fbase) + i32(y0) * u.s_y;
        let r1 = i32(fbase) + i32(y1) * u.s_y;
        let i00 = u32(r0 + i32(x0) * u.s_x);
        let i01 = u32(r0 + i32(x1) * u.s_x);
        let i10 = u32(r1 + i32(x0) * u.s_x);
        let i11 = u32(r1 + i32(x1) * u.s_x);
        var v = vec3<f32>(0.0);
        for (var ch = 0u; ch < 3u; ch++) {
          let o = u32(i32(ch) * u.s_c);
          v[ch] = (fsrc(i00 + o) * (1.0 - fx) + fsrc(i01 + o) * fx) * (1.0 - fy) + (fsrc(i10 + o) * (1.0 - fx) + fsrc(i11 + o) * fx) * fy;
        }
        rgb = v;
      }
      rgb = jitter(rgb, cl, 0u, upto, mean);
      if (stage == 0u) {
        acc += gray(rgb);
      } else {
        if ((cl.flags & 1u) != 0u) { rgb = vec3<f32>(gray(rgb)); }
        if ((cl.flags & 2u) != 0u) { rgb = (rgb - u.mean.xyz) * u.inv_std.xyz; }
        let o = ob + u32(i32(ry) * cl.a + i32(rx) * cl.b + cl.c);
        DST[o] = rgb.x;
        DST[o + cs] = rgb.y;
        DST[o + 2u * cs] = rgb.z;
      }
    }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wid.x;
  let n = wid.y;
  let cl = load_clip(n);
  let fbase = P[cl.ftab + t];
  let hw = u.H * u.W;
  let cs = u.T * hw;
  let ob = u.out_off + n * 3u * cs + t * hw;
  acc = 0.0;
  if (cl.cpos < 4u) { process(0u, cl, fbase, 0.0, lid, ob, cs); }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
  let mean = part[0] / f32(cl.wr * cl.hr);
  process(1u, cl, fbase, mean, lid, ob, cs);
}
