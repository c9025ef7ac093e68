//! Shared helpers of the math accuracy tests (`math_ulp`, `math_fast`): a
//! seedable generator of test arguments and the ulp distance.
#![allow(dead_code)]

/// SplitMix64: a small, seedable generator, so that failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0);
        lo + (hi - lo) * unit
    }
    /// Random sign and mantissa, binary exponent uniform in [min_exp, max_exp].
    pub fn log_uniform(&mut self, min_exp: i32, max_exp: i32) -> f64 {
        let bits = self.next_u64();
        let span = (max_exp - min_exp + 1) as u64;
        let e = min_exp + ((bits >> 53) % span) as i32;
        let m = 1.0 + (bits & ((1 << 52) - 1)) as f64 / 4_503_599_627_370_496.0;
        let sign = if bits & (1 << 52) != 0 { -1.0 } else { 1.0 };
        sign * m * pow2(e)
    }
    /// A positive finite f64 with uniformly random bits (subnormals included).
    pub fn positive_bits(&mut self) -> f64 {
        f64::from_bits(1 + self.next_u64() % 0x7fef_ffff_ffff_ffff)
    }
    /// A positive subnormal f64.
    pub fn subnormal(&mut self) -> f64 {
        f64::from_bits(1 + self.next_u64() % ((1 << 52) - 1))
    }
}

/// 2^e for any e in the f64 range, subnormal included (exact).
pub fn pow2(e: i32) -> f64 {
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// Distance in representable f64 values (0 for equal values, ±0 and NaN pairs).
pub fn ulp_distance(a: f64, b: f64) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u64::MAX
        };
    }
    let ordered = |x: f64| {
        let bits = x.to_bits() as i64;
        if bits < 0 { -(bits & i64::MAX) } else { bits }
    };
    ordered(a).abs_diff(ordered(b))
}
