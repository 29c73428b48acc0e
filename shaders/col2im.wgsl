// The adjoint of im2col: dx[n, c, i] = Σ over taps k with (i + p − k·d) divisible by s and the
// output position o = (i + p − k·d) / s inside the output, of dcol[n, g, (c, k), o]. One
// invocation per input element, so no atomics are needed. A launch sums the output positions
// o0 .. o0 + ocount (the chunk of dcol it gets) and adds to DX when `accumulate` is set.
//#include lib/conv
@group(0) @binding(1) var<storage, read> DCOL: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (t >= u.total) { return; }
  let cin_g = u.cin / u.groups;
  let ip = t % ipos();
  let nc = t / ipos();
  let c = nc % u.cin;
  let n = nc / u.cin;
  let g = c / cin_g;
  let id = i32(ip / (u.H * u.W)) + u.pd;
  let ih = i32((ip / u.W) % u.H) + u.ph;
  let iw = i32(ip % u.W) + u.pw;
  let row0 = ((n * u.groups + g) * cin_g + c % cin_g) * taps();
  var acc = 0.0;
  for (var kd = 0u; kd < u.KD; kd++) {
    let td = id - i32(kd) * u.dd;
    if (td < 0 || td % u.sd != 0 || td / u.sd >= i32(u.OD)) { continue; }
    for (var kh = 0u; kh < u.KH; kh++) {
      let th = ih - i32(kh) * u.dh;
      if (th < 0 || th % u.sh != 0 || th / u.sh >= i32(u.OH)) { continue; }
      for (var kw = 0u; kw < u.KW; kw++) {
        let tw = iw - i32(kw) * u.dw;
        if (tw < 0 || tw % u.sw != 0 || tw / u.sw >= i32(u.OW)) { continue; }
        let o = (u32(td / u.sd) * u.OH + u32(th / u.sh)) * u.OW + u32(tw / u.sw);
        if (o < u.o0 || o >= u.o0 + u.ocount) { continue; }
        acc += DCOL[(row0 + (kd * u.KH + kh) * u.KW + kw) * u.ocount + o - u.o0];
      }
    }
  }
  if (u.accumulate != 0u) { acc += DX[u.x_off + t]; }
  DX[u.x_off + t] = acc;
}
