// Backward pass of 3D pooling: each input element sums the gradients of the windows containing
// it (max: only windows whose argmax it is; average: divided by the window's divisor).
//#include lib/pool3d
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;

// Outputs along one dim whose window can contain input position i: [lo, hi].
fn candidates(i: i32, size: i32, out: i32, k: i32, s: i32, p: i32) -> vec2<i32> {
  if ({{MODE}} == 2) {
    return vec2<i32>(max(0, (i * out) / size - 1), min(out - 1, ((i + 1) * out) / size + 1));
  }
  // o·s − p <= i < o·s − p + k  ⇔  ⌈(i + p − k + 1) / s⌉ <= o <= ⌊(i + p) / s⌋
  let num = i + p - k + s;
  return vec2<i32>(select(0, num / s, num > 0), min(out - 1, (i + p) / s));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * 256u + lid;
  let ivol = u.D * u.H * u.W;
  if (t >= u.nc * ivol) { return; }
  let nc = t / ivol;
  let flat = i32(t % ivol);
  let id = flat / i32(u.H * u.W);
  let ih = (flat / i32(u.W)) % i32(u.H);
  let iw = flat % i32(u.W);
  let cd = candidates(id, i32(u.D), i32(u.OD), u.KD, u.sd, u.pd);
  let ch = candidates(ih, i32(u.H), i32(u.OH), u.KH, u.sh, u.ph);
  let cw = candidates(iw, i32(u.W), i32(u.OW), u.KW, u.sw, u.pw);
  let obase = nc * u.OD * u.OH * u.OW;
  var acc = 0.0;
  for (var od = cd.x; od <= cd.y; od++) {
    for (var oh = ch.x; oh <= ch.y; oh++) {
      for (var ow = cw.x; ow <= cw.y; ow++) {
        let w = wins(od, oh, ow);
        if (id < w[0].begin || id >= w[0].end || ih < w[1].begin || ih >= w[1].end || iw < w[2].begin || iw >= w[2].end) { continue; }
        let o = obase + u32((od * i32(u.OH) + oh) * i32(u.OW) + ow);
        if ({{MODE}} == 0) {
          if (IDX[u.off2 + o] == flat) { acc += DY[u.off1 + o]; }
        } else {
          acc += DY[u.off1 + o] / divisor(w[0], w[1], w[2]);
        }
      }
    }
  }
  DX[u.off3 + t] = acc;
}
