//! e^x for f64 and f32, without tables or branches.
//!
//! Method: `x = k ln2 + r` with `k = round(x / ln2)` and `|r| <= ln2/2`, found with
//! the shifter trick (adding 1.5 * 2^52 rounds to an integer and leaves `k` in the
//! low mantissa bits) and a two-part ln 2 so that `x - k*LN2_HI` is exact. Then
//! `e^r = 1 + r + r^2 P(r)` with a degree-9 minimax `P`, summed so that the `1 + r`
//! step is error-free, and the result is scaled by `2^k` with two exact power-of-two
//! multiplications, so that overflow gives `inf` and underflow gives correctly
//! rounded subnormals and then 0 with no special-case code. Out-of-range inputs are
//! clamped first (NaN passes through the comparisons), so the whole function is
//! straight-line code that vectorises.
//!
//! The f32 version runs the same method in f32 arithmetic (no f64 anywhere, so
//! it stays cheap on cores with a single-precision FPU only, such as the
//! Cortex-M4F): ln 2 split so that `k ln2_hi` is exact in f32, a degree-7 `e^r`,
//! and the two-factor scaling with f32 exponents, which again gives infinities
//! and correctly rounded subnormals without special cases.

use super::arith::{MulAdd, SHIFTER, Separate, poly, poly_f32, to_f32};
use super::coefficients::{EXP_P, EXPF_P, LN2_HI, LN2_LO};
use super::ln::{LN2_HI_F32, LN2_LO_F32};
use core::f64::consts::LOG2_E;

/// Inputs above this overflow anyway (e^709.79 > f64::MAX); clamping keeps `k <= 1025`.
const OVERFLOW_CLAMP: f64 = 710.0;
/// Inputs below this give 0 anyway (e^-745.14 < half the least subnormal).
const UNDERFLOW_CLAMP: f64 = -746.0;
/// f32 overflows above ln(f32::MAX) = 88.72.
const OVERFLOW_CLAMP_F32: f32 = 89.0;
/// f32 underflows to 0 below ln(2^-150) = -103.97.
const UNDERFLOW_CLAMP_F32: f32 = -104.0;
/// 1.5 * 2^23: the f32 shifter (rounds to an integer kept in the low bits).
const SHIFTER_F32: f32 = 12_582_912.0;
/// EXPF_P in f32: `(e^r - 1 - r) / r^2` on `|r| <= ln2/2`.
const EXPF_P_F32: [f32; 6] = to_f32(EXPF_P);

/// e^(hi + lo), where `lo` is a small correction to `hi` (at most a few ulps of it).
///
/// What [`exp`] runs (with `lo = 0`): every input, overflow and subnormals included.
#[inline(always)]
pub(crate) fn exp_split<M: MulAdd>(hi: f64, lo: f64) -> f64 {
    let x = if hi > OVERFLOW_CLAMP {
        OVERFLOW_CLAMP
    } else {
        hi
    };
    let x = if x < UNDERFLOW_CLAMP {
        UNDERFLOW_CLAMP
    } else {
        x
    };
    let shifted = M::mul_add(x, LOG2_E, SHIFTER);
    let k = shifted - SHIFTER;
    // Exact: k*LN2_HI has at most 43 significant bits and x is within a factor two of it
    // (or k = 0).
    let r_hi = x - k * LN2_HI;
    let tail = lo - k * LN2_LO;
    let r = r_hi + tail;
    let r_lo = (r_hi - r) + tail;
    // e^(r + r_lo) = 1 + r + r_lo + r^2 P(r) to well below an ulp; `1 + r` is formed
    // exactly (Fast2Sum, |r| < 1) so that only the last addition rounds at full size.
    let q = r * r * poly::<M, 10>(r, &EXP_P);
    let one_r = 1.0 + r;
    let one_r_lo = (1.0 - one_r) + r;
    let p = one_r + (one_r_lo + (r_lo + q));
    // Scale by 2^k as 2^k1 * 2^k2 with k1 = floor(k/2): each factor is a normal power
    // of two for every clamped k, the first product is exact and the second rounds once,
    // into a subnormal or to infinity when it must.
    let biased = shifted
        .to_bits()
        .wrapping_sub(SHIFTER.to_bits())
        .wrapping_add(2048); // k + 2048 >= 971
    let half = biased >> 1; // k1 + 1024
    let scale1 = f64::from_bits(half.wrapping_sub(1) << 52); // 2^k1
    let scale2 = f64::from_bits(biased.wrapping_sub(half).wrapping_sub(1) << 52); // 2^(k - k1)
    p * scale1 * scale2
}

/// e^(x + x_lo) for arguments whose result is a normal f64 (about -708 < x < 709),
/// with no clamping and a one-step scaling; within about 0.7 ulp. `erf` uses it for
/// e^(-a^2), a <= 6, where it saves a third of the work of [`exp_split`].
#[inline(always)]
pub(crate) fn exp_normal<M: MulAdd>(x: f64, x_lo: f64) -> f64 {
    let shifted = M::mul_add(x, LOG2_E, SHIFTER);
    let k = shifted - SHIFTER;
    let r = (x - k * LN2_HI) + (x_lo - k * LN2_LO);
    let p = 1.0 + M::mul_add(r * r, poly::<M, 10>(r, &EXP_P), r);
    // The result is normal, so adding k to the exponent field scales exactly.
    let k_bits = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    f64::from_bits(p.to_bits().wrapping_add(k_bits << 52))
}

/// [`exp`] for either multiply-add flavour.
#[inline(always)]
pub(crate) fn exp_generic<M: MulAdd>(x: f64) -> f64 {
    exp_split::<M>(x, 0.0)
}

/// [`expf`] for either multiply-add flavour, in f32 arithmetic.
#[inline(always)]
pub(crate) fn expf_generic<M: MulAdd>(x: f32) -> f32 {
    let x = if x > OVERFLOW_CLAMP_F32 {
        OVERFLOW_CLAMP_F32
    } else {
        x
    };
    let x = if x < UNDERFLOW_CLAMP_F32 {
        UNDERFLOW_CLAMP_F32
    } else {
        x
    };
    let shifted = M::mul_add_f32(x, core::f32::consts::LOG2_E, SHIFTER_F32);
    let k = shifted - SHIFTER_F32;
    // Exact (Sterbenz: x and k ln2_hi are within a factor two, or k = 0); then one
    // rounding far below the result's ulp.
    let r = (x - k * LN2_HI_F32) - k * LN2_LO_F32;
    // e^r = 1 + (r + r^2 P(r)): only the final addition rounds at full size.
    let p = 1.0 + M::mul_add_f32(r * r, poly_f32::<M, 6>(r, &EXPF_P_F32), r);
    // 2^k as 2^k1 * 2^k2, k1 = floor(k/2), both normal f32 for -151 <= k <= 129:
    // the first product is exact, the second rounds once (into a subnormal, or to
    // infinity, when it must).
    let biased = shifted
        .to_bits()
        .wrapping_sub(SHIFTER_F32.to_bits())
        .wrapping_add(512); // k + 512 > 0
    let half = biased >> 1; // k1 + 256
    let scale1 = f32::from_bits(half.wrapping_sub(256 - 127) << 23);
    let scale2 = f32::from_bits(biased.wrapping_sub(half).wrapping_sub(256 - 127) << 23);
    p * scale1 * scale2
}

/// e^x.
///
/// Maximum error: [`precision::EXP`](super::precision::EXP). `exp(NaN)` is NaN,
/// `exp(-inf)` is 0, `exp(inf)` and every `x > 709.78` give `inf`, and results
/// below `f64::MIN_POSITIVE` are subnormal down to 0. Branch-free: a loop over it
/// vectorises.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    exp_generic::<Separate>(x)
}

/// e^x for f32.
///
/// Computed in f32 arithmetic (see the [`math`](crate::math) docs). Maximum
/// error: [`precision::EXPF`](super::precision::EXPF). `expf(NaN)` is NaN,
/// overflow gives `inf`, underflow 0. Branch-free.
#[inline(always)]
pub fn expf(x: f32) -> f32 {
    expf_generic::<Separate>(x)
}
