// Momentum (EMA) update of one target tensor from its online twin, in place, no readback:
//   T = m * T + (1 - m) * O
// Used by the BYOL and MoCo objectives (src/plugins/objectives/ema.ts). T and O may start at an
// element offset; both are contiguous.
struct Params {
  n: u32,
  t_off: u32,
  o_off: u32,
  _pad: u32,
  m: f32,
  one_minus_m: f32,
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> T: array<f32>;
@group(0) @binding(2) var<storage, read> O: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= u.n) { return; }
  T[u.t_off + i] = u.m * T[u.t_off + i] + u.one_minus_m * O[u.o_off + i];
}
