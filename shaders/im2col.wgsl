// col[n, g, (c, kd, kh, kw), o] = x[n, g·Cin/G + c, o·s − p + k·d] (0 in the padding): the
// explicit im2col matrix, so CPU adapters can run convolution on their fastest matmul kernel.
//#include lib/conv
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> COL: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= u.total) { return; }
  let cin_g = u.cin / u.groups;
  let o = u.o0 + i % u.ocount;
  let k = (i / u.ocount) % (cin_g * taps());
  let ng = i / (u.ocount * cin_g * taps());  // n·G + g (n counted from the chunk's first sample)
  let c = (ng % u.groups) * cin_g + k / taps();
  let n = ng / u.groups;
  let r = k % taps();
  let d = i32(o / (u.OH * u.OW)) * u.sd - u.pd + i32(r / (u.KH * u.KW)) * u.dd;
  let h = i32((o / u.OW) % u.OH) * u.sh - u.ph + i32((r / u.KW) % u.KH) * u.dh;
  let w = i32(o % u.OW) * u.sw - u.pw + i32(r % u.KW) * u.dw;
  var v = 0.0;
  if (d >= 0 && h >= 0 && w >= 0 && d < i32(u.D) && h < i32(u.H) && w < i32(u.W)) {
    v = X[u.x_off + (n * u.cin + c) * ipos() + (u32(d) * u.H + u32(h)) * u.W + u32(w)];
  }
  COL[i] = v;
}
