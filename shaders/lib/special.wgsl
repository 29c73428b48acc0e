// Infinity and NaN. WGSL rejects them as constant expressions, so they are built from a variable.
fn inf_f32() -> f32 {
  var bits = 0x7f800000u;
  return bitcast<f32>(bits);
}

fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// NaN test on the bit pattern: compilers may fold `x != x` to false under finite-math assumptions.
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}
