//! The error function for f64 and f32, without tables or branches.
//!
//! Method, for `a = |x|` (the sign is put back at the end, so `erf(-0) = -0`):
//! - `a < 1`: `erf(a) = a + a P(a^2 - 1/2)`, a degree-11 minimax `P` (relative
//!   error; centring the variable halves the cancellation between terms near a = 1);
//! - `1 <= a`: `erf(a) = 1 - e^(-a^2) G((a - 2)/2)` with `G ~ erfc(a) e^(a^2)`, a
//!   degree-21 minimax polynomial fitted for absolute error in erfc on `[1, 6]` (so
//!   its relative accuracy may fade where erfc no longer shows in the sum); `a` is
//!   clamped to 6, past which erf rounds to 1; `(a - 2)/2` is exact.
//!
//! Both branches are evaluated and one is selected per lane, so the function is
//! straight-line code that vectorises; it has no division (the usual variables,
//! `1/a^2` or `1/(1 + p a)`, need one, and the divider is the scarcest unit in a
//! kernel such as Black-Scholes that also divides on its own). The f32 version
//! computes in f32 arithmetic with degree-7 polynomials, the second in
//! `1/(1 + a/2)` (one f32 division), on `[0, 4]`, and `e^(-a^2)` from `expf`'s
//! f32 code. Rounding `a^2` in f32 moves `e^(-a^2)` by up to `a^2` f32 ulps, but
//! that term only carries `erfc(a) <= 0.16` of the result, so the error stays near
//! one ulp without an exact split.

use super::arith::{
    MulAdd, SIGN_BIT, SIGN_BIT_F32, Separate, abs, abs_f32, poly, poly_f32, select, to_f32,
};
use super::coefficients::{
    ERF_LARGE, ERF_SMALL, ERF_SMALL_CENTRE, ERFF_LARGE, ERFF_LARGE_CENTRE, ERFF_SMALL,
};
use super::exp::{exp_normal, expf_generic};

/// Below this `a` the small-argument polynomial is used.
const SMALL_LIMIT: f64 = 1.0;
/// erf(a) rounds to 1 for a > 5.93; evaluating at 6 gives exactly 1.
const CLAMP: f64 = 6.0;
/// erf(a) rounds to 1f32 for a > 3.92.
const CLAMP_F32: f64 = 4.0;
/// The scale `p` in the f32 variable `1/(1 + p a) - centre` (as fitted by
/// gen_coefficients.py).
const VAR_SCALE_F32: f32 = 0.5;
/// ERFF_SMALL in f32.
const ERFF_SMALL_F32: [f32; 8] = to_f32(ERFF_SMALL);
/// ERFF_LARGE in f32.
const ERFF_LARGE_F32: [f32; 8] = to_f32(ERFF_LARGE);

/// [`erf`] for either multiply-add flavour.
#[inline(always)]
pub(crate) fn erf_generic<M: MulAdd>(x: f64) -> f64 {
    let a = abs(x);
    // Large arguments: 1 - e^(-a^2) G(u). Rounding a^2 costs at most 0.1 ulp of the
    // result (its error is scaled by a^2 erfc(a) / erf(a) <= 0.19), so no exact split.
    let big = if a > CLAMP { CLAMP } else { a }; // NaN stays NaN
    let gauss = exp_normal::<M>(-(big * big), 0.0);
    let large = M::mul_add(-gauss, poly::<M, 22>((big - 2.0) * 0.5, &ERF_LARGE), 1.0);
    // Small arguments: a + a P(a^2 - 1/2).
    let small = M::mul_add(a, poly::<M, 12>(a * a - ERF_SMALL_CENTRE, &ERF_SMALL), a);
    let y = select(a < SMALL_LIMIT, small, large);
    f64::from_bits(y.to_bits() | (x.to_bits() & SIGN_BIT))
}

/// [`erff`] for either multiply-add flavour.
#[inline(always)]
pub(crate) fn erff_generic<M: MulAdd>(x: f32) -> f32 {
    let a = abs_f32(x);
    let small = a < SMALL_LIMIT as f32;
    let clamp = CLAMP_F32 as f32;
    let big = if a > clamp { clamp } else { a }; // NaN stays NaN
    let gauss = expf_generic::<M>(-(big * big));
    let var = select(
        small,
        a * a,
        1.0 / M::mul_add_f32(VAR_SCALE_F32, big, 1.0) - ERFF_LARGE_CENTRE as f32,
    );
    let coef: [f32; 8] =
        core::array::from_fn(|i| select(small, ERFF_SMALL_F32[i], ERFF_LARGE_F32[i]));
    let p = poly_f32::<M, 8>(var, &coef);
    let y = M::mul_add_f32(select(small, a, -gauss), p, select(small, a, 1.0));
    f32::from_bits(y.to_bits() | (x.to_bits() & SIGN_BIT_F32))
}

/// The error function, `2/sqrt(pi) * integral from 0 to x of e^(-t^2) dt`.
///
/// Maximum error: [`precision::ERF`](super::precision::ERF). `erf(±0) = ±0`,
/// `erf(±inf) = ±1`, `erf(NaN) = NaN`, odd symmetry holds exactly. Branch-free: a
/// loop over it vectorises.
#[inline(always)]
pub fn erf(x: f64) -> f64 {
    erf_generic::<Separate>(x)
}

/// The error function for f32.
///
/// Computed in f32 arithmetic (see the [`math`](crate::math) docs). Maximum
/// error: [`precision::ERFF`](super::precision::ERFF). Same special values as
/// [`erf`]. Branch-free.
#[inline(always)]
pub fn erff(x: f32) -> f32 {
    erff_generic::<Separate>(x)
}
