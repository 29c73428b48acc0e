// Counter-based random numbers (Philox4x32-10): element i of a call is a pure function of
// (seed, counter offset, i), so results are reproducible and identical on every adapter.
// Each invocation writes 4 consecutive outputs. {{DIST}}: 0 = uniform [0, 1), 1 = standard normal.
struct RParams {
  n: u32,          // outputs of this launch
  block0: u32,     // first block (of 4 outputs) of this launch: big tensors take several launches
  off_lo: u32,     // stream offset (counter words 1, 2)
  off_hi: u32,
  seed_lo: u32,    // key
  seed_hi: u32,
  out_off: u32,    // element offset of this launch's first output in OUT
  pad: u32,
}
@group(0) @binding(0) var<uniform> u: RParams;
@group(0) @binding(1) var<storage, read_write> OUT: array<f32>;

// 32x32 -> 64-bit product as (hi, lo), without 64-bit integers.
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let p0 = a_lo * b_lo;
  let p1 = a_lo * b_hi;
  let p2 = a_hi * b_lo;
  let p3 = a_hi * b_hi;
  let mid = (p0 >> 16u) + (p1 & 0xffffu) + (p2 & 0xffffu);
  let lo = (p0 & 0xffffu) | (mid << 16u);
  let hi = p3 + (p1 >> 16u) + (p2 >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, lo);
}

fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let m0 = mul_wide(0xD2511F53u, c.x);
    let m1 = mul_wide(0xCD9E8D57u, c.z);
    c = vec4<u32>(m1.x ^ c.y ^ k.x, m1.y, m0.x ^ c.w ^ k.y, m0.y);
    k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}

fn to_unit(x: u32) -> f32 {
  return f32(x >> 8u) * (1.0 / 16777216.0); // [0, 1) with 24 bits
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = (wid.x + wid.y * nwg.x) * 64u + lid;
  let base = q * 4u;
  if (base >= u.n) { return; }
  // counter = (block index, stream offset lo, stream offset hi, 0); key = seed.
  let r = philox(vec4<u32>(u.block0 + q, u.off_lo, u.off_hi, 0u), vec2<u32>(u.seed_lo, u.seed_hi));
  var v: vec4<f32>;
  if ({{DIST}} == 0) {
    v = vec4<f32>(to_unit(r.x), to_unit(r.y), to_unit(r.z), to_unit(r.w));
  } else {
    // Box-Muller on two pairs; 1 - u keeps the log argument in (0, 1].
    let r1 = sqrt(-2.0 * log(1.0 - to_unit(r.x)));
    let r2 = sqrt(-2.0 * log(1.0 - to_unit(r.z)));
    let t1 = 6.283185307179586 * to_unit(r.y);
    let t2 = 6.283185307179586 * to_unit(r.w);
    v = vec4<f32>(r1 * cos(t1), r1 * sin(t1), r2 * cos(t2), r2 * sin(t2));
  }
  for (var j = 0u; j < 4u; j++) {
    if (base + j < u.n) { OUT[u.out_off + base + j] = v[j]; }
  }
}
