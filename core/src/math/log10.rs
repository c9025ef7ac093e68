//! Base-10 logarithm for f64 and f32, without tables or branches.
//!
//! Same reduction as [`super::ln`]: `x = 2^e (1 + f)`, `ln(1 + f) = f - f^2/2 + tail`.
//! Multiplying a rounded `ln x` by `1/ln 10` would add up to an ulp, so instead
//! `ln(1 + f)` is kept as `hi + lo` with `hi` cut to 21 significant bits; `hi` times
//! the 32-bit high part of `1/ln 10` is then exact, and the small products are
//! summed separately, as is `e log10(2)` in two parts. The final sum rounds once at
//! full size. Special values are patched in with selects, as in `ln`.
//!
//! The f32 version does the same in f32 arithmetic, from `lnf`'s reduction: `hi`
//! keeps 12 significant bits and `1/ln 10` and `log10 2` are split at 12 and 15
//! bits, so the two large products are exact in f32.

use super::arith::{MulAdd, Separate, select};
use super::coefficients::{INV_LN10_HI, INV_LN10_LO, LOG10_2_HI, LOG10_2_LO};
use super::ln::{
    lift_subnormal, ln1p_tail, log_regular, log_regular_f32, log_special, log_special_f32, reduce,
    reduce_f32,
};

/// Keeps the sign, exponent and top 20 mantissa bits (21 significant bits).
const HIGH_WORD: u64 = 0xffff_ffff_0000_0000;
/// Keeps an f32's sign, exponent and top 11 mantissa bits (12 significant bits).
const HIGH_BITS_F32: u32 = 0xffff_f000;
/// 1/ln 10 to 12 significant bits (0x3ede5000): `hi * INV_LN10_HI_F32` is exact.
const INV_LN10_HI_F32: f32 = f32::from_bits(0x3ede_5000);
/// 1/ln 10 - INV_LN10_HI_F32, rounded to f32.
const INV_LN10_LO_F32: f32 = 9.038_034e-5;
/// log10 2 to 15 significant bits (0x3e9a2000): `e * LOG10_2_HI_F32` is exact.
const LOG10_2_HI_F32: f32 = f32::from_bits(0x3e9a_2000);
/// log10 2 - LOG10_2_HI_F32, rounded to f32.
const LOG10_2_LO_F32: f32 = 4.605_039e-6;

/// [`log10`] for either multiply-add flavour.
#[inline(always)]
pub(crate) fn log10_generic<M: MulAdd>(x: f64) -> f64 {
    let (lifted, offset) = lift_subnormal(x);
    let red = reduce(lifted, offset);
    let tail = ln1p_tail::<M>(&red);
    // ln(1 + f) = hi + lo exactly up to the tail's own error: `f - hi` is exact because
    // hi is within a factor two of f.
    let hi = f64::from_bits((red.f - red.hfsq).to_bits() & HIGH_WORD);
    let lo = ((red.f - hi) - red.hfsq) + tail;
    let y = red.e * LOG10_2_HI; // exact
    let val_hi = hi * INV_LN10_HI; // exact: 21 x 32 significant bits
    let val_lo = red.e * LOG10_2_LO + ((lo + hi) * INV_LN10_LO + lo * INV_LN10_HI);
    // Fast2Sum of y + val_hi: |y| >= 0.3 > |val_hi| unless e = 0, where y = 0.
    let w = y + val_hi;
    let val_lo = val_lo + ((y - w) + val_hi);
    select(log_regular(x), val_lo + w, log_special(x))
}

/// [`log10f`] for either multiply-add flavour, in f32 arithmetic.
#[inline(always)]
pub(crate) fn log10f_generic<M: MulAdd>(x: f32) -> f32 {
    let red = reduce_f32::<M>(x);
    // ln(1 + f) = hi + lo; `f - hi` is exact (hi is within a factor two of f).
    let hi = f32::from_bits((red.f - red.hfsq).to_bits() & HIGH_BITS_F32);
    let lo = ((red.f - hi) - red.hfsq) + red.tail;
    let y = red.e * LOG10_2_HI_F32; // exact
    let val_hi = hi * INV_LN10_HI_F32; // exact: 12 x 12 significant bits
    let val_lo = red.e * LOG10_2_LO_F32 + ((lo + hi) * INV_LN10_LO_F32 + lo * INV_LN10_HI_F32);
    // Fast2Sum of y + val_hi, as in `log10`.
    let w = y + val_hi;
    let val_lo = val_lo + ((y - w) + val_hi);
    select(log_regular_f32(x), val_lo + w, log_special_f32(x))
}

/// Base-10 logarithm.
///
/// Maximum error: [`precision::LOG10`](super::precision::LOG10). Exact powers of
/// ten give exact integers.
/// `log10(±0) = -inf`, `log10(x < 0) = NaN`, `log10(inf) = inf`, `log10(NaN) = NaN`,
/// `log10(1) = 0` exactly. Branch-free: a loop over it vectorises.
#[inline(always)]
pub fn log10(x: f64) -> f64 {
    log10_generic::<Separate>(x)
}

/// Base-10 logarithm for f32.
///
/// Computed in f32 arithmetic (see the [`math`](crate::math) docs). Maximum
/// error: [`precision::LOG10F`](super::precision::LOG10F). Same special values as
/// [`log10`]. Branch-free.
#[inline(always)]
pub fn log10f(x: f32) -> f32 {
    log10f_generic::<Separate>(x)
}
