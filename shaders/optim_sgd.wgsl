// Fused SGD step of one parameter tensor, PyTorch's torch.optim.SGD (single-tensor path):
//   d = maximize ? -g : g;  if wd != 0: d = d + wd * p
//   momentum: buf = first ? d : momentum * buf + (1 - dampening) * d
//             d = nesterov ? d + momentum * buf : buf
//   p = p - lr * d
// Entry points: main_plain (momentum = 0, binds P and G) and main_momentum (also BUF).
// Each invocation updates one element; P and G may start at an element offset, BUF at 0.
struct Params {
  n: u32,
  p_off: u32,
  g_off: u32,
  flags: u32,        // bit 0: first step (buf = d), bit 1: nesterov, bit 2: maximize
  lr: f32,
  weight_decay: f32,
  momentum: f32,
  one_minus_dampening: f32,
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> P: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> BUF: array<f32>;

fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid;
}

fn direction(i: u32, p: f32) -> f32 {
  var d = G[u.g_off + i];
  if ((u.flags & 4u) != 0u) { d = -d; }
  if (u.weight_decay != 0.0) { d = d + u.weight_decay * p; }
  return d;
}

@compute @workgroup_size(256)
fn main_plain(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= u.n) { return; }
  let p = P[u.p_off + i];
  P[u.p_off + i] = p - u.lr * direction(i, p);
}

@compute @workgroup_size(256)
fn main_momentum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i >= u.n) { return; }
  let p = P[u.p_off + i];
  var d = direction(i, p);
  var buf = d;
  if ((u.flags & 1u) == 0u) { buf = u.momentum * BUF[i] + u.one_minus_dampening * d; }
  BUF[i] = buf;
  if ((u.flags & 2u) != 0u) { d = d + u.momentum * buf; } else { d = buf; }
  P[u.p_off + i] = p - u.lr * d;
}
