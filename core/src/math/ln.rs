//! Natural logarithm for f64 and f32, without tables or branches.
//!
//! Method: write `x = 2^e (1 + f)` with `1 + f` in `[sqrt(1/2), sqrt(2))` by integer
//! arithmetic on the bits (subnormals are first scaled by 2^54), so `f` is exact.
//! Then `ln(1 + f) = f - f^2/2 + f^3 P(f)` with a degree-18 minimax `P`, and the
//! result is `e ln2_hi + (f - (f^2/2 - (f^3 P + e ln2_lo)))`: the large terms are
//! exact and only the last addition rounds at full size. There is no division (the
//! usual `s = f/(2+f)` form needs one, and the divider is the scarcest unit in a
//! kernel such as Black-Scholes that divides on its own); zero, negative, infinite
//! and NaN inputs are patched in at the end with selects, so the function is
//! straight-line code that vectorises.
//!
//! The f32 version computes in f32 arithmetic (no f64 anywhere: cheap on a
//! single-precision FPU) in the classic `ln(1+f) = 2 atanh(s)`, `s = f/(2+f)`
//! form, written as `f - f^2/2 + s (f^2/2 + s^2 Q(s^2))` so that the large term
//! `f` is exact and only small corrections round; subnormal inputs are lifted by
//! 2^24 first ([`ReducedF32`]).

use super::arith::{MulAdd, Separate, poly, poly_f32, select, small_u64_to_f64, to_f32};
use super::coefficients::{LN_P, LN2_HI, LN2_LO, LNF_Q};

/// Bits of sqrt(1/2) rounded: mantissas at or above it belong to the lower binade.
const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
/// 2^54, to lift subnormal inputs into the normal range.
const TWO_54: f64 = 18_014_398_509_481_984.0;

/// Bits of sqrt(1/2) in f32 rounded: mantissas at or above it belong to the
/// lower binade.
const SQRT_HALF_BITS_F32: u32 = 0x3f35_04f3;
/// 2^24, to lift subnormal f32 inputs into the normal range.
const TWO_24: f32 = 16_777_216.0;
/// ln 2 to 15 significant bits (0x3f317200): `k * LN2_HI_F32` is exact in f32
/// for every integer `|k| <= 256` (`lnf`'s exponent, `expf`'s reduction).
pub(crate) const LN2_HI_F32: f32 = f32::from_bits(0x3f31_7200);
/// ln 2 - LN2_HI_F32, rounded to f32.
pub(crate) const LN2_LO_F32: f32 = 1.428_606_8e-6;
/// LNF_Q in f32: `(2 atanh(s) - 2s) / s^3` in `z = s^2`.
const LNF_Q_F32: [f32; 4] = to_f32(LNF_Q);

/// The f32 decomposition `x = 2^e (1 + f)` used by `lnf` and `log10f`, with the
/// pieces of `ln(1 + f) = f - hfsq + tail`.
pub(crate) struct ReducedF32 {
    /// The binary exponent `e`, as a float.
    pub(crate) e: f32,
    /// `f`, exact, with `1 + f` in `[sqrt(1/2), sqrt(2))`.
    pub(crate) f: f32,
    /// `f^2 / 2`.
    pub(crate) hfsq: f32,
    /// `s (f^2/2 + s^2 Q(s^2))`, the small rest of `ln(1 + f)`.
    pub(crate) tail: f32,
}

/// Splits a positive f32 (subnormals lifted by 2^24) into `2^e (1 + f)` and the
/// pieces of `ln(1 + f)`. Garbage for non-positive, infinite or NaN `x`; callers
/// select those away.
#[inline(always)]
pub(crate) fn reduce_f32<M: MulAdd>(x: f32) -> ReducedF32 {
    let tiny = x < f32::MIN_POSITIVE;
    let lifted = select(tiny, x * TWO_24, x);
    let offset = select(tiny, 24.0f32, 0.0);
    let bits = lifted.to_bits();
    // As in `reduce`: the carry into the exponent field picks the binade.
    let shifted = bits.wrapping_add(1.0f32.to_bits().wrapping_sub(SQRT_HALF_BITS_F32));
    let biased = shifted >> 23;
    let m = f32::from_bits(bits.wrapping_sub(biased << 23).wrapping_add(127 << 23));
    let f = m - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let tail = s * M::mul_add_f32(z, poly_f32::<M, 4>(z, &LNF_Q_F32), hfsq);
    ReducedF32 {
        e: biased as f32 - 127.0 - offset,
        f,
        hfsq,
        tail,
    }
}

/// [`log_special`] in f32.
#[inline(always)]
pub(crate) fn log_special_f32(x: f32) -> f32 {
    select(x == 0.0, f32::NEG_INFINITY, select(x < 0.0, f32::NAN, x))
}

/// [`log_regular`] in f32.
#[inline(always)]
pub(crate) fn log_regular_f32(x: f32) -> bool {
    x > 0.0 && x < f32::INFINITY
}

/// The decomposition `x = 2^e (1 + f)` used by `ln` and `log10`.
pub(crate) struct Reduced {
    /// The binary exponent `e`, as a float.
    pub(crate) e: f64,
    /// `f`, exact, with `1 + f` in `[sqrt(1/2), sqrt(2))`.
    pub(crate) f: f64,
    /// `f^2 / 2`.
    pub(crate) hfsq: f64,
}

/// Splits a positive normal `x` (scaled if subnormal) into `2^e (1 + f)`.
///
/// `e_offset` is subtracted from the exponent (54 for lifted subnormals, else 0).
/// Garbage for non-positive, infinite or NaN `x`; callers select those away.
#[inline(always)]
pub(crate) fn reduce(x: f64, e_offset: f64) -> Reduced {
    let bits = x.to_bits();
    // Adding the bit distance from sqrt(1/2) to 1.0 carries into the exponent field
    // exactly when the significand is at least sqrt(2); the field is then x's exponent
    // plus one, so that m = x / 2^e lands in [sqrt(1/2), sqrt(2)).
    let shifted = bits.wrapping_add(1.0f64.to_bits().wrapping_sub(SQRT_HALF_BITS));
    let biased = shifted >> 52;
    let m = f64::from_bits(bits.wrapping_sub(biased << 52).wrapping_add(1023 << 52));
    let f = m - 1.0;
    Reduced {
        e: small_u64_to_f64(biased) - 1023.0 - e_offset,
        f,
        hfsq: 0.5 * f * f,
    }
}

/// `f^3 P(f)`: the small tail of ln(1 + f) beyond `f - f^2/2`.
#[inline(always)]
pub(crate) fn ln1p_tail<M: MulAdd>(red: &Reduced) -> f64 {
    let f = red.f;
    (f * f) * f * poly::<M, 19>(f, &LN_P)
}

/// Lifts subnormal `x` into the normal range and returns it with the exponent offset.
#[inline(always)]
pub(crate) fn lift_subnormal(x: f64) -> (f64, f64) {
    let tiny = x < f64::MIN_POSITIVE;
    (select(tiny, x * TWO_54, x), select(tiny, 54.0, 0.0))
}

/// The value of a log-like function at the inputs where it is not computed:
/// `-inf` at ±0, NaN below 0 and at NaN, `+inf` at `+inf`.
#[inline(always)]
pub(crate) fn log_special(x: f64) -> f64 {
    select(x == 0.0, f64::NEG_INFINITY, select(x < 0.0, f64::NAN, x))
}

/// True where the log-like functions compute (positive and finite `x`).
#[inline(always)]
pub(crate) fn log_regular(x: f64) -> bool {
    x > 0.0 && x < f64::INFINITY
}

/// [`ln`] for either multiply-add flavour.
#[inline(always)]
pub(crate) fn ln_generic<M: MulAdd>(x: f64) -> f64 {
    let (lifted, offset) = lift_subnormal(x);
    let red = reduce(lifted, offset);
    let tail = ln1p_tail::<M>(&red);
    let y = red.e * LN2_HI + (red.f - (red.hfsq - (tail + red.e * LN2_LO)));
    select(log_regular(x), y, log_special(x))
}

/// [`lnf`] for either multiply-add flavour, in f32 arithmetic.
#[inline(always)]
pub(crate) fn lnf_generic<M: MulAdd>(x: f32) -> f32 {
    let red = reduce_f32::<M>(x);
    let y = red.e * LN2_HI_F32 + (red.f - (red.hfsq - (red.tail + red.e * LN2_LO_F32)));
    select(log_regular_f32(x), y, log_special_f32(x))
}

/// Natural logarithm.
///
/// Maximum error: [`precision::LN`](super::precision::LN).
/// `ln(±0) = -inf`, `ln(x < 0) = NaN`, `ln(inf) = inf`, `ln(NaN) = NaN`, `ln(1) = 0`
/// exactly. Branch-free: a loop over it vectorises.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    ln_generic::<Separate>(x)
}

/// Natural logarithm for f32.
///
/// Computed in f32 arithmetic (see the [`math`](crate::math) docs). Maximum
/// error: [`precision::LNF`](super::precision::LNF). Same special values as
/// [`ln`]. Branch-free.
#[inline(always)]
pub fn lnf(x: f32) -> f32 {
    lnf_generic::<Separate>(x)
}
