// Geometry shared by the im2col / col2im kernels: input [N, Cin, D, H, W], output positions
// [OD, OH, OW], kernel taps [KD, KH, KW]; the column matrix is [N, G, K = Cin/G·taps, OD·OH·OW].
// A launch covers a chunk of it: its samples (x_off: offset of the first one's input or input
// gradient) and the output positions o0 .. o0 + ocount of each (the matrix is then
// [samples, G, K, ocount]), so that big layers never need the whole column matrix at once.
struct Geo {
  batch: u32, cin: u32, groups: u32, total: u32,   // total = elements this dispatch writes
  D: u32, H: u32, W: u32, x_off: u32,
  OD: u32, OH: u32, OW: u32, o0: u32,
  KD: u32, KH: u32, KW: u32, ocount: u32,
  sd: i32, sh: i32, sw: i32, accumulate: u32,      // col2im: add to DX (a later chunk of positions)
  pd: i32, ph: i32, pw: i32, pad3: u32,
  dd: i32, dh: i32, dw: i32, pad4: u32,
}
@group(0) @binding(0) var<uniform> u: Geo;

fn taps() -> u32 { return u.KD * u.KH * u.KW; }
fn opos() -> u32 { return u.OD * u.OH * u.OW; }
fn ipos() -> u32 { return u.D * u.H * u.W; }
