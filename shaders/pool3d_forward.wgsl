// Forward pass of 3D max / average / adaptive-average pooling (see lib/pool3d).
//#include lib/pool3d
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> IDX: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  let ovol = u.OD * u.OH * u.OW;
  if (i >= u.nc * ovol) { return; }
  let nc = i / ovol;
  let o = i % ovol;
  let w = wins(i32(o / (u.OH * u.OW)), i32((o / u.OW) % u.OH), i32(o % u.OW));
  let base = u.off1 + nc * u.D * u.H * u.W;
  var best = -inf_f32();
  var best_i = -1;
  var total = 0.0;
  for (var d = w[0].begin; d < w[0].end; d++) {
    for (var h = w[1].begin; h < w[1].end; h++) {
      for (var x = w[2].begin; x < w[2].end; x++) {
        let flat = (d * i32(u.H) + h) * i32(u.W) + x;
        let v = X[base + u32(flat)];
        if ({{MODE}} == 0) {
          if (v > best || is_nan(v) || best_i < 0) { best = v; best_i = flat; }
          if (is_nan(v)) { break; }
        } else {
          total += v;
        }
      }
    }
  }
  if ({{MODE}} == 0) {
    Y[u.off2 + i] = best;
    IDX[u.off3 + i] = best_i;
  } else {
    Y[u.off2 + i] = total / divisor(w[0], w[1], w[2]);
    IDX[u.off3 + i] = 0;
  }
}
