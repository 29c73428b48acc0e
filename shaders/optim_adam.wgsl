// Fused Adam / AdamW step of one parameter tensor, PyTorch's torch.optim.Adam and AdamW
// (single-tensor path), with the bias corrections computed on the CPU in float64:
//   g = maximize ? -g : g
//   Adam:  if wd != 0: g = g + wd * p          AdamW: p = p * (1 - lr * wd)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g * g
//   amsgrad: vmax = max(vmax, v), and vmax replaces v below
//   p = p - step_size * m / (sqrt(v) / bc2_sqrt + eps)
//   with step_size = lr / (1 - beta1^t), bc2_sqrt = sqrt(1 - beta2^t).
// Entry points: main (binds P, G, M, V) and main_amsgrad (also VMAX). State buffers start at 0.
struct Params {
  n: u32,
  p_off: u32,
  g_off: u32,
  flags: u32,        // bit 0: decoupled weight decay (AdamW), bit 1: maximize
  weight_decay: f32, // Adam's L2 coefficient
  decay: f32,        // AdamW's factor 1 - lr * wd
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  step_size: f32,
  bc2_sqrt: f32,
  eps: f32,
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> P: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> M: array<f32>;
@group(0) @binding(4) var<storage, read_write> V: array<f32>;
@group(0) @binding(5) var<storage, read_write> VMAX: array<f32>;

fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid;
}

struct Moments {
  p: f32,
  m: f32,
  v: f32,
}

fn moments(i: u32) -> Moments {
  var p = P[u.p_off + i];
  var g = G[u.g_off + i];
  if ((u.flags & 2u) != 0u) { g = -g; }
  if ((u.flags & 1u) != 0u) {
    p = p * u.decay;
  } else if (u.weight_decay != 0.0) {
    g = g + u.weight_decay * p;
  }
  let m = u.beta1 * M[i] + u.one_minus_beta1 * g;
  let v = u.beta2 * V[i] + u.one_minus_beta2 * g * g;
  M[i] = m;
  V[i] = v;
  return Moments(p, m, v);
}

fn update(p: f32, m: f32, v: f32) -> f32 {
  let denom = sqrt(v) / u.bc2_sqrt + u.eps;
  return p - u.step_size * m / denom;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= u.n) { return; }
  let s = moments(i);
  P[u.p_off + i] = update(s.p, s.m, s.v);
}

@compute @workgroup_size(256)
fn main_amsgrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= u.n) { return; }
  let s = moments(i);
  let vmax = max(VMAX[i], s.v);
  VMAX[i] = vmax;
  P[u.p_off + i] = update(s.p, s.m, vmax);
}
