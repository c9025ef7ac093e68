//! Natural and base-10 logarithms to a few ulps, with one division and no table.
//!
//! The lane types without a cheap per-lane table read (AVX2, whose gathers cost
//! more than the polynomial they would shorten, and NEON) use these instead of
//! [`crate::math::ln`] and [`crate::math::log10`], whose division-free degree-18
//! polynomial and exact hi/lo splits cost about 1.5 times the arithmetic.
//!
//! Method, for positive finite `x`: the reduction of [`crate::math::ln`],
//! `x = 2^e (1 + f)` with `1 + f` in `[sqrt(1/2), sqrt(2))` and `f` exact. Then
//! `s = f / (2 + f)` (`|s| <= 0.172`) and `ln(1 + f) = 2 atanh(s)`, evaluated as
//! `f - (f^2/2 - s (f^2/2 + s^2 Q(s^2)))` with a degree-6 minimax `Q`
//! (`coefficients::LN_Q`, 1.2e-18 relative): the large term `f` is exact, so
//! the rounding of `s` and of the small corrections reaches the result scaled
//! down by at least `|s| / 2`. `ln x = e ln2_hi + (ln(1 + f) + e ln2_lo)` (the
//! first product exact); `log10 x = e log10(2)_hi + (ln(1 + f) / ln 10 +
//! e log10(2)_lo)`, rounding once more than `ln`. Near 1 (`e = 0`) both are
//! `ln(1 + f)` scaled, with `f = x - 1` exact, so they stay accurate relative to
//! their small values. Zero, negative, infinite and NaN inputs are patched in
//! with selects, and subnormals lifted by 2^54 first, as in `crate::math::ln`:
//! straight-line code that a loop over lanes vectorises.
//!
//! The cost is one divide per value. On the AVX2 path of Black-Scholes (two
//! divides and a square root per option of its own) the divider still has room,
//! while the FP adders and multipliers, the bottleneck there, get about a third
//! fewer operations per logarithm. `log10` is a few ulps looser than `ln`
//! because `ln(1 + f)` and `1/ln 10` each carry their rounding into the product.

use super::super::arith::{MulAdd, Separate, poly, select};
use super::super::coefficients::{LN_Q, LN2_HI, LN2_LO, LOG10_2_HI, LOG10_2_LO};
use super::super::ln::{lift_subnormal, log_regular, log_special, reduce};

/// 1/ln 10 correctly rounded (`log10(e)`; `1.0 / LN_10` would be 1 ulp low).
const INV_LN10: f64 = core::f64::consts::LOG10_E;

/// `(e, ln(1 + f))` for positive finite `x = 2^e (1 + f)`; garbage elsewhere.
#[inline(always)]
fn exponent_and_ln1p<M: MulAdd>(x: f64) -> (f64, f64) {
    let (lifted, offset) = lift_subnormal(x);
    let red = reduce(lifted, offset);
    let s = red.f / (2.0 + red.f);
    let z = s * s;
    let r = z * poly::<M, 7>(z, &LN_Q);
    (red.e, red.f + M::mul_add(s, red.hfsq + r, -red.hfsq))
}

/// [`ln_atanh`] for either multiply-add flavour.
#[inline(always)]
fn ln_generic<M: MulAdd>(x: f64) -> f64 {
    let (e, ln1p) = exponent_and_ln1p::<M>(x);
    let y = M::mul_add(e, LN2_HI, M::mul_add(e, LN2_LO, ln1p));
    select(log_regular(x), y, log_special(x))
}

/// [`log10_atanh`] for either multiply-add flavour.
#[inline(always)]
fn log10_generic<M: MulAdd>(x: f64) -> f64 {
    let (e, ln1p) = exponent_and_ln1p::<M>(x);
    let y = M::mul_add(e, LOG10_2_HI, M::mul_add(ln1p, INV_LN10, e * LOG10_2_LO));
    select(log_regular(x), y, log_special(x))
}

/// Natural logarithm to a few ulps, with one division and no table.
///
/// Maximum error: [`precision::FAST_LN_ATANH`](crate::math::precision::FAST_LN_ATANH);
/// relative accuracy holds near 1 too. `ln(±0) = -inf`, `ln(x < 0) = NaN`,
/// `ln(inf) = inf`, `ln(NaN) = NaN`, `ln(1) = 0`.
///
/// ```
/// use accel_core::math::fast::ln_atanh;
/// assert!((ln_atanh(2.0) - core::f64::consts::LN_2).abs() < 2e-16);
/// assert_eq!((ln_atanh(1.0), ln_atanh(0.0)), (0.0, f64::NEG_INFINITY));
/// assert!(ln_atanh(-1.0).is_nan());
/// ```
#[inline(always)]
pub fn ln_atanh(x: f64) -> f64 {
    ln_generic::<Separate>(x)
}

/// Base-10 logarithm to a few ulps, with one division and no table.
///
/// Maximum error: [`precision::FAST_LOG10_ATANH`](crate::math::precision::FAST_LOG10_ATANH);
/// relative accuracy holds near 1 too. `log10(±0) = -inf`, `log10(x < 0) = NaN`,
/// `log10(inf) = inf`, `log10(NaN) = NaN`, `log10(1) = 0`.
///
/// ```
/// use accel_core::math::fast::log10_atanh;
/// assert!((log10_atanh(2.0) - 0.3010299956639812).abs() < 2e-16);
/// assert_eq!((log10_atanh(1.0), log10_atanh(0.0)), (0.0, f64::NEG_INFINITY));
/// assert!(log10_atanh(-1.0).is_nan());
/// ```
#[inline(always)]
pub fn log10_atanh(x: f64) -> f64 {
    log10_generic::<Separate>(x)
}

/// [`ln_atanh`] with fused multiply-adds: what the AVX2 and NEON lanes run.
///
/// # Safety
/// The CPU must support FMA (see [`crate::math::fma`] for how to call it fast).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
pub unsafe fn ln_atanh_fma(x: f64) -> f64 {
    ln_generic::<super::super::arith::Fused>(x)
}

/// [`log10_atanh`] with fused multiply-adds: what the AVX2 and NEON lanes run.
///
/// # Safety
/// The CPU must support FMA (see [`crate::math::fma`] for how to call it fast).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
pub unsafe fn log10_atanh_fma(x: f64) -> f64 {
    log10_generic::<super::super::arith::Fused>(x)
}
