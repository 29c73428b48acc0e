// 3D pooling over [N·C, D, H, W] volumes. {{MODE}}: 0 max, 1 average, 2 adaptive average.
// `forward`: one invocation per output element (max also writes the argmax as a flat D·H·W index).
// `backward`: one invocation per input element, summing the gradients of every window that
// contains it, so no atomics are needed.
//#include lib/special
struct PParams {
  nc: u32, D: u32, H: u32, W: u32,
  OD: u32, OH: u32, OW: u32, count_include_pad: u32,
  KD: i32, KH: i32, KW: i32, pad0: u32,
  sd: i32, sh: i32, sw: i32, pad1: u32,
  pd: i32, ph: i32, pw: i32, pad2: u32,
  off1: u32, off2: u32, off3: u32, pad3: u32,   // element offsets into the bindings 1, 2, 3
}
@group(0) @binding(0) var<uniform> u: PParams;

// Window of output o along one dim: [begin, end) clipped to the input, and the padded extent
// used by count_include_pad averaging.
struct Win { begin: i32, end: i32, padded: i32 }

fn window(o: i32, size: i32, out: i32, k: i32, s: i32, p: i32) -> Win {
  if ({{MODE}} == 2) {
    let b = (o * size) / out;
    let e = ((o + 1) * size + out - 1) / out;
    return Win(b, e, e - b);
  }
  let start = o * s - p;
  let padded_end = min(start + k, size + p);
  return Win(max(start, 0), min(start + k, size), padded_end - start);
}

fn divisor(wd: Win, wh: Win, ww: Win) -> f32 {
  if ({{MODE}} == 1 && u.count_include_pad != 0u) { return f32(wd.padded * wh.padded * ww.padded); }
  return f32((wd.end - wd.begin) * (wh.end - wh.begin) * (ww.end - ww.begin));
}

fn wins(od: i32, oh: i32, ow: i32) -> array<Win, 3> {
  return array<Win, 3>(
    window(od, i32(u.D), i32(u.OD), u.KD, u.sd, u.pd),
    window(oh, i32(u.H), i32(u.OH), u.KH, u.sh, u.ph),
    window(ow, i32(u.W), i32(u.OW), u.KW, u.sw, u.pw));
}
