// 3D convolution as an implicit GEMM: the im2col matrix is never materialised; tiles of it are
// gathered straight from the input while staging into workgroup memory. {{MODE}} picks the GEMM:
//   0 forward       Y[n,co,o]  = Σ_(ci,r)  W[co,ci,r] · X[n,ci,o·s−p+r·d]        M=Cout/g  N=N·|o|  K=Cin/g·|r|
//   1 input grad    dX[n,ci,i] = Σ_(co,r)  W[co,ci,r] · dY[n,co,(i+p−r·d)/s]     M=Cin/g   N=N·|i|  K=Cout/g·|r|
//   2 weight grad   dW[co,ci,r] = Σ_(n,o)  dY[n,co,o] · X[n,ci,o·s−p+r·d]        M=Cout/g  N=Cin/g·|r|  K=N·|o|
// Workgroup z = group index × K-splits + split (weight grad splits its long K; partial results
// are summed afterwards). Tiles: 64×64 outputs per 256 invocations, 4×4 per invocation, K step 16.
// Index arithmetic is hoisted: per-column data once per tile, one k decomposition per K step.
struct CParams {
  batch: u32, cin: u32, cout: u32, groups: u32,
  D: u32, H: u32, W: u32, splits: u32,
  OD: u32, OH: u32, OW: u32, kchunk: u32,
  KD: u32, KH: u32, KW: u32, pad0: u32,
  sd: i32, sh: i32, sw: i32, pad1: u32,
  pd: i32, ph: i32, pw: i32, pad2: u32,
  dd: i32, dh: i32, dw: i32, pad3: u32,
  M: u32, N: u32, K: u32, pad4: u32,
  a_off: u32, b_off: u32, bias_off: u32, out_off: u32,   // element offsets into SA, SB, BIAS, OUT
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

fn inside(d: i32, h: i32, w: i32, D: u32, H: u32, W: u32) -> bool {
  return d >= 0 && h >= 0 && w >= 0 && d < i32(D) && h < i32(H) && w < i32(W);
}

// Staging: invocation `lid` stages K-row kk = lid·4 / 64 of the slab and 4 consecutive tile
// rows (A) and columns (B) from mm0 = lid·4 mod 64. Everything that depends only on the row or
// column is computed once, before the K loop; each K step decomposes its k once and shares it
// across the invocation's 8 loads (integer division is the expensive part on every adapter).
struct Col { base: i32, d: i32, h: i32, w: i32 }

// Displacement r·d of kernel tap r = (kd, kh, kw) along (D, H, W).
fn tap(r: u32) -> vec3<i32> {
  return vec3<i32>(i32(r / (u.KH * u.KW)) * u.dd, i32((r / u.KW) % u.KH) * u.dh, i32(r % u.KW) * u.dw);
}  // base < 0: column outside the matrix

fn column(g: u32, col: u32) -> Col {
  let cin_g = u.cin / u.groups;
  if (col >= u.N) { return Col(-1, 0, 0, 0); }
  if ({{MODE}} == 0) {
    // (n, o): input offset of sample n / group g, and the window origin of output o
    let n = col / ovol();
    let o = col % ovol();
    return Col(i32(u.b_off + (n * u.cin + g * cin_g) * ivol()),
               i32(o / (u.OH * u.OW)) * u.sd - u.pd, i32((o / u.OW) % u.OH) * u.sh - u.ph, i32(o % u.OW) * u.sw - u.pw);
  } else if ({{MODE}} == 1) {
    // (n, i): dY offset of sample n / group g, and i + p
    let n = col / ivol();
    let i = col % ivol();
    return Col(i32(u.b_off + (n * u.cout + g * (u.cout / u.groups)) * ovol()),
               i32(i / (u.H * u.W)) + u.pd, i32((i / u.W) % u.H) + u.ph, i32(i % u.W) + u.pw);
  }
  // (ci, r): channel offset and the tap's displacement r·d − p
  let ci = col / kvol();
  let t = tap(col % kvol());
  return Col(i32((g * cin_g + ci) * ivol()), t.x - u.pd, t.y - u.ph, t.z - u.pw);
}

fn store(g: u32, split: u32, m: u32, col: u32, v: f32) {
  let cin_g = u.cin / u.groups;
  let cout_g = u.cout / u.groups;
  if ({{MODE}} == 0) {
    let n = col / ovol();
    let o = col % ovol();
    let co = g * cout_g + m;
    OUT[u.out_off + (n * u.cout + co) * ovol() + o] = v{{BIAS_ADD}};
  } else if ({{MODE}} == 1) {
    let n = col / ivol();
    let i = col % ivol();
    OUT[u.out_off + (n * u.cin + g * cin_g + m) * ivol() + i] = v;
  } else {
    OUT[u.out_off + (split * u.cout + g * cout_g + m) * u.N + col] = v;
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
  let cin_g = u.cin / u.groups;
  let cout_g = u.cout / u.groups;
  let sk = (lid * 4u) / TM;
  let mm0 = (lid * 4u) % TM;
  var cols: array<Col, 4>;
  for (var e = 0u; e < 4u; e++) { cols[e] = column(g, col0 + mm0 + e); }
  for (var k0 = k_begin; k0 < k_end; k0 += TK) {
    let k = k0 + sk;
    let kin = k < k_end;
    var a4 = vec4<f32>(0.0);
    var b4 = vec4<f32>(0.0);
    if ({{MODE}} == 0) {
      // k = (ci, r)
      let ci = k / kvol();
      let r = k % kvol();
      let t = tap(r);
      for (var e = 0u; e < 4u; e++) {
        let m = row0 + mm0 + e;
        if (kin && m < u.M) { a4[e] = SA[u.a_off + (g * cout_g + m) * u.K + k]; }
        let c = cols[e];
        let d = c.d + t.x;
        let h = c.h + t.y;
        let w = c.w + t.z;
        if (kin && c.base >= 0 && inside(d, h, w, u.D, u.H, u.W)) {
          b4[e] = SB[u32(c.base) + ci * ivol() + u32(d) * u.H * u.W + u32(h) * u.W + u32(w)];
        }
      }
    } else if ({{MODE}} == 1) {
      // k = (co, r): dY at o = (i + p − r·d) / s when that divides exactly
      let co = k / kvol();
      let r = k % kvol();
      let t = tap(r);
      for (var e = 0u; e < 4u; e++) {
        let m = row0 + mm0 + e;
        if (kin && m < u.M) { a4[e] = SA[u.a_off + ((g * cout_g + co) * cin_g + m) * kvol() + r]; }
        let c = cols[e];
        let d = c.d - t.x;
        let h = c.h - t.y;
        let w = c.w - t.z;
        if (kin && c.base >= 0 && d >= 0 && h >= 0 && w >= 0 && d % u.sd == 0 && h % u.sh == 0 && w % u.sw == 0) {
          let od = d / u.sd;
          let oh = h / u.sh;
          let ow = w / u.sw;
          if (od < i32(u.OD) && oh < i32(u.OH) && ow < i32(u.OW)) {
            b4[e] = SB[u32(c.base) + co * ovol() + (u32(od) * u.OH + u32(oh)) * u.OW + u32(ow)];
          }
        }
      }
    } else {
      // k = (n, o)
      let n = k / ovol();
      let o = k % ovol();
      let od = i32(o / (u.OH * u.OW)) * u.sd;
      let oh = i32((o / u.OW) % u.OH) * u.sh;
      let ow = i32(o % u.OW) * u.sw;
      let xbase = u.b_off + n * u.cin * ivol();
      for (var e = 0u; e < 4u; e++) {
        let m = row0 + mm0 + e;
        if (kin && m < u.M) { a4[e] = SA[u.a_off + (n * u.cout + g * cout_g + m) * ovol() + o]; }
        let c = cols[e];
        let d = c.d + od;
        let h = c.h + oh;
        let w = c.w + ow;
        if (kin && c.base >= 0 && inside(d, h, w, u.D, u.H, u.W)) {
          b4[e] = SB[xbase + u32(c.base) + u32(d) * u.H * u.W + u32(h) * u.W + u32(w)];
        }
      }
    }
    for (var e = 0u; e < 4u; e++) {
      As[sk * TM + mm0 + e] = a4[e];
      Bs[sk * TN + mm0 + e] = b4[e];
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
