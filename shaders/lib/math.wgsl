// Scalar math with PyTorch's semantics where WGSL leaves results undefined.
//#include lib/special

// erf with |error| < 1.5e-7 (Abramowitz & Stegun 7.1.26), enough for float32.
fn erf_f32(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return select(-y, y, x >= 0.0);
}

// tanh that stays finite for large |x| (the textbook formula overflows).
fn tanh_f32(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let t = (1.0 - e) / (1.0 + e);
  return select(-t, t, x >= 0.0);
}

fn sigmoid_f32(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

// pow with negative bases (integer exponents), zeros and NaN handled as in C/PyTorch.
fn pow_f32(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (x == 0.0) {
    if (y > 0.0) { return 0.0; }
    return inf_f32(); // +inf
  }
  let m = exp2(y * log2(abs(x)));
  if (x > 0.0) { return m; }
  if (floor(y) != y) { return nan_f32(); } // NaN
  let odd = (abs(y) % 2.0) == 1.0;
  return select(m, -m, odd);
}

