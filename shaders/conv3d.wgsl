// 3D convolution as an implicit GEMM: the im2col matrix is never materialised; tiles of it are
// gathered straight from the input while staging into workgroup memory. {{MODE}} picks the GEMM:
//   0 forward       Y[n,co,o]  = Σ_(ci,r)  W[co,ci,r] · X[n,ci,o·s−p+r·d]        M=Cout/g  N=N·|o|  K=Cin/g·|r|
//   1 input grad    dX[n,ci,i] = Σ_(co,r)  W[co,ci,r] · dY[n,co,(i+p−r·d)/s]     M=Cin/g   N=N·|i|  K=Cout/g·|r|
//   2 weight grad   dW[co,ci,r] = Σ_(n,o)  dY[n,co,o] · X[n,ci,o·s−p+r·d]        M=Cout/g  N=Cin/g·|r|  K=N·|o|
// Workgroup z = group index × K-splits + split (weight grad splits its long K; partial results
// are summed afterwards). Tiles: 64×64 outputs per 256 invocations, 4×4 per invocation, K step 16.
struct CParams {
  batch: u32, cin: u32, cout: u32, groups: u32,
  D: u32, H: u32, W: u32, splits: u32,
  OD: u32, OH: u32, OW: u32, kchunk: u32,
  KD: u32, KH: u32, KW: u32, pad0: u32,
  sd: i32, sh: i32, sw: i32, pad1: u32,
  pd: i32, ph: i32, pw: i32, pad2: u32,
  dd: i32, dh: i32, dw: i32, pad3: u32,
  M: u32, N: u32, K: u32, pad4: u32,
  a_off: u32, b_off: u32, bias_off: u32, pad5: u32,   // element offsets into SA, SB, BIAS
}
@group(0) @binding(0) var<uniform> u: CParams;
@group(0) @binding(1) var<storage, read> SA: array<f32>;   // 0: W, 1: W, 2: dY
@group(0) @binding(2) var<storage, read> SB: array<f32>;   // 0: X, 1: dY, 2: X
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;
{{BIAS_DECL}}

const TM = 64u;
const TN = 64u;
const TK = 16u;
var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;

fn kvol() -> u32 { return u.KD * u.KH * u.KW; }
fn ovol() -> u32 { return u.OD * u.OH * u.OW; }
fn ivol() -> u32 { return u.D * u.H * u.W; }

// X[n, c, id, ih, iw] or 0 outside the input.
fn x_at(n: u32, c: u32, id: i32, ih: i32, iw: i32) -> f32 {
  if (id < 0 || ih < 0 || iw < 0 || id >= i32(u.D) || ih >= i32(u.H) || iw >= i32(u.W)) { return 0.0; }
  return SB[u.b_off + ((n * u.cin + c) * u.D + u32(id)) * u.H * u.W + u32(ih) * u.W + u32(iw)];
}

// Element (m, k) of the GEMM's left matrix for group g.
fn load_a(g: u32, m: u32, k: u32) -> f32 {
  let cin_g = u.cin / u.groups;
  let cout_g = u.cout / u.groups;
  if ({{MODE}} == 0) {
    return SA[u.a_off + (g * cout_g + m) * u.K + k];
  } else if ({{MODE}} == 1) {
    let co = k / kvol();
    let r = k % kvol();
    return SA[u.a_off + ((g * cout_g + co) * cin_g + m) * kvol() + r];
  }
  let n = k / ovol();
  let o = k % ovol();
  return SA[u.a_off + (n * u.cout + g * cout_g + m) * ovol() + o];
}

// Element (k, col) of the GEMM's right matrix for group g.
fn load_b(g: u32, k: u32, col: u32) -> f32 {
  let cin_g = u.cin / u.groups;
  let cout_g = u.cout / u.groups;
  if ({{MODE}} == 1) {
    // dY gathered at the output position that input position i sees through tap r.
    let co = k / kvol();
    let r = k % kvol();
    let kd = i32(r / (u.KH * u.KW));
    let kh = i32((r / u.KW) % u.KH);
    let kw = i32(r % u.KW);
    let n = col / ivol();
    let i = col % ivol();
    let td = i32(i / (u.H * u.W)) + u.pd - kd * u.dd;
    let th = i32((i / u.W) % u.H) + u.ph - kh * u.dh;
    let tw = i32(i % u.W) + u.pw - kw * u.dw;
    if (td < 0 || th < 0 || tw < 0 || td % u.sd != 0 || th % u.sh != 0 || tw % u.sw != 0) { return 0.0; }
    let od = td / u.sd;
    let oh = th / u.sh;
    let ow = tw / u.sw;
    if (od >= i32(u.OD) || oh >= i32(u.OH) || ow >= i32(u.OW)) { return 0.0; }
    return SB[u.b_off + ((n * u.cout + g * cout_g + co) * u.OD + u32(od)) * u.OH * u.OW + u32(oh) * u.OW + u32(ow)];
  }
  // im2col(X): (ci, r) and the output position o, in forward (k = (ci,r), col = (n,o)) or
  // weight-grad (k = (n,o), col = (ci,r)) order.
  var cr = k;
  var no = col;
  if ({{MODE}} == 2) {
    cr = col;
    no = k;
  }
  let ci = cr / kvol();
  let r = cr % kvol();
  let kd = i32(r / (u.KH * u.KW));
  let kh = i32((r / u.KW) % u.KH);
  let kw = i32(r % u.KW);
  let n = no / ovol();
  let o = no % ovol();
  let od = i32(o / (u.OH * u.OW));
  let oh = i32((o / u.OW) % u.OH);
  let ow = i32(o % u.OW);
  return x_at(n, g * cin_g + ci, od * u.sd - u.pd + kd * u.dd, oh * u.sh - u.ph + kh * u.dh, ow * u.sw - u.pw + kw * u.dw);
}

fn store(g: u32, split: u32, m: u32, col: u32, v: f32) {
  let cin_g = u.cin / u.groups;
  let cout_g = u.cout / u.groups;
  if ({{MODE}} == 0) {
    let n = col / ovol();
    let o = col % ovol();
    let co = g * cout_g + m;
    OUT[(n * u.cout + co) * ovol() + o] = v{{BIAS_ADD}};
  } else if ({{MODE}} == 1) {
    let n = col / ivol();
    let i = col % ivol();
    OUT[(n * u.cin + g * cin_g + m) * ivol() + i] = v;
  } else {
    OUT[(split * u.cout + g * cout_g + m) * u.N + col] = v;
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wid.z / u.splits;
  let split = wid.z % u.splits;
  let k_begin = split * u.kchunk;
  let k_end = min(u.K, k_begin + u.kchunk);
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let tr = lid3.y * 4u;
  let tc = lid3.x * 4u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = k_begin; k0 < k_end; k0 += TK) {
    for (var e = 0u; e < 4u; e++) {
      let idx = lid * 4u + e;
      let kk = idx / TM;
      let mm = idx % TM;
      let gk = k0 + kk;
      var av = 0.0;
      if (row0 + mm < u.M && gk < k_end) { av = load_a(g, row0 + mm, gk); }
      As[kk * TM + mm] = av;
      var bv = 0.0;
      if (col0 + mm < u.N && gk < k_end) { bv = load_b(g, gk, col0 + mm); }
      Bs[kk * TN + mm] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a = vec4<f32>(As[kk * TM + tr], As[kk * TM + tr + 1u], As[kk * TM + tr + 2u], As[kk * TM + tr + 3u]);
      let b = vec4<f32>(Bs[kk * TN + tc], Bs[kk * TN + tc + 1u], Bs[kk * TN + tc + 2u], Bs[kk * TN + tc + 3u]);
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + tr + i;
    if (m >= u.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + tc + j;
      if (col < u.N) { store(g, split, m, col, acc[i][j]); }
    }
  }
}
