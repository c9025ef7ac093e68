//! The error function by one Taylor step from a tabulated grid: the `erf` of the
//! AVX2 path.
//!
//! Method, for `a = |x|`: the nearest grid point `r = k/128` (`k = round(128 a)`,
//! by the shifter trick, `a` clamped to 6 first) and `d = a - r` (exact,
//! `|d| <= 1/256`). A 769-row table holds `erf(r)` and the slope
//! `s = 2/sqrt(pi) e^(-r^2)`, both rounded once, and
//!
//! `erf(a) = erf(r) + s d (1 - r d + c3 d^2 + c4 d^3 + c5 d^4 + c6 d^5)`,
//!
//! the Taylor series of erf around `r`, whose coefficients are polynomials in `r`
//! (`c3 = (2r^2 - 1)/3`, `c4 = r (3 - 2r^2)/6`, `c5 = (4r^4 - 12r^2 + 3)/30`,
//! `c6 = r (-4r^4 + 20r^2 - 15)/90`: each derivative of erf is a Hermite
//! polynomial times the slope). The next term is below 1e-19. The sign of `x` is
//! put back at the end, so `erf(-0) = -0`; NaN stays NaN and `erf(±inf) = ±1`.
//!
//! The result is the table entry plus a correction below `s/256`, so the error
//! is mostly the entry's rounding and the final one, about an ulp; just past
//! `1/256`, where `erf(1/128)` and a correction half its size nearly cancel, the
//! entry's rounding doubles relative to the result, hence the bound of the
//! accuracy table
//! ([`precision::FAST_ERF_STEP`](crate::math::precision::FAST_ERF_STEP)). Near 0
//! (`k = 0`) the result is `s a (1 + …)`, accurate relative to its small value.
//!
//! Why this and not [`super::erf`] or [`crate::math::erf`] on AVX2: both need
//! either a per-lane coefficient table (16 pieces of 13 coefficients: 13 table
//! reads per value) or an `exp` and two long polynomials in every lane. Here a
//! value costs two table reads — one AVX2 gather per row column, from one
//! 12 KiB table that stays in cache — and about twenty arithmetic operations.
//! [`erf_step_avx2`] is that vector code; [`erf_step_fma`] gives its bits one
//! value at a time (the tests hold them to it), and [`erf_step`] is the portable
//! flavour.

use super::super::arith::{MulAdd, SHIFTER, SIGN_BIT, Separate, abs};
use super::erf_step_table::{GRID, ROWS, STEPS};

/// Past this erf rounds to 1 (from 5.93); the grid ends here.
const LIMIT: f64 = 6.0;
/// The grid spacing, `1/STEPS`.
const STEP: f64 = 1.0 / STEPS;
/// The Taylor coefficients' own coefficients, `cN = ∑ CN[i] r^(2i)` (times `r`
/// for the odd `N`).
const C3: [f64; 2] = [-1.0 / 3.0, 2.0 / 3.0];
const C4: [f64; 2] = [0.5, -1.0 / 3.0];
const C5: [f64; 3] = [0.1, -0.4, 4.0 / 30.0];
const C6: [f64; 3] = [-15.0 / 90.0, 20.0 / 90.0, -4.0 / 90.0];

const _: () = assert!(LIMIT * STEPS + 1.0 == ROWS as f64);

/// [`erf_step`] for either multiply-add flavour; [`erf_step_avx2`] performs the
/// same operations in the same order, lane by lane.
#[inline(always)]
fn erf_step_generic<M: MulAdd>(x: f64) -> f64 {
    let a = abs(x);
    // As vminpd(a, LIMIT): NaN picks LIMIT, so the row is always in the table.
    let for_row = if a < LIMIT { a } else { LIMIT };
    // As vminpd(LIMIT, a): NaN passes through to the result.
    let clamped = if LIMIT < a { LIMIT } else { a };
    let shifted = M::mul_add(for_row, STEPS, SHIFTER);
    let r = (shifted - SHIFTER) * STEP; // exact
    let row = shifted.to_bits().wrapping_sub(SHIFTER.to_bits()) as usize; // 0..=768
    let d = clamped - r; // exact
    let [value, slope] = GRID.0[row];
    let y = M::mul_add(slope * d, correction::<M>(r, d), value);
    f64::from_bits(y.to_bits() | (x.to_bits() & SIGN_BIT))
}

/// `1 - r d + c3 d^2 + c4 d^3 + c5 d^4 + c6 d^5`.
#[inline(always)]
fn correction<M: MulAdd>(r: f64, d: f64) -> f64 {
    let r2 = r * r;
    let c6 = r * M::mul_add(M::mul_add(C6[2], r2, C6[1]), r2, C6[0]);
    let c5 = M::mul_add(M::mul_add(C5[2], r2, C5[1]), r2, C5[0]);
    let c4 = r * M::mul_add(C4[1], r2, C4[0]);
    let c3 = M::mul_add(C3[1], r2, C3[0]);
    let p = M::mul_add(c6, d, c5);
    let p = M::mul_add(p, d, c4);
    let p = M::mul_add(p, d, c3);
    let p = M::mul_add(p, d, -r);
    M::mul_add(p, d, 1.0)
}

/// The error function, from a grid of its values and slopes.
///
/// Maximum error: [`precision::FAST_ERF_STEP`](crate::math::precision::FAST_ERF_STEP).
/// `erf(±0) = ±0`, `erf(±inf) = ±1`, `erf(NaN) = NaN`.
///
/// ```
/// use accel_core::math::fast::erf_step;
/// assert!((erf_step(0.5) - 0.520_499_877_813_046_5).abs() < 1e-16);
/// assert_eq!((erf_step(-7.0), erf_step(f64::INFINITY)), (-1.0, 1.0));
/// ```
#[inline]
pub fn erf_step(x: f64) -> f64 {
    erf_step_generic::<Separate>(x)
}

/// [`erf_step`] with fused multiply-adds: the bits of [`erf_step_avx2`], one
/// value at a time.
///
/// # Safety
/// The CPU must support FMA.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
pub unsafe fn erf_step_fma(x: f64) -> f64 {
    erf_step_generic::<super::super::arith::Fused>(x)
}

/// [`erf_step_fma`] on four lanes with AVX2: the table rows are read with two
/// gathers (values and slopes).
///
/// # Safety
/// The CPU must support AVX2 and FMA. (Call it from code compiled with them, as
/// the AVX2 path's lanes are, so that it inlines.)
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn erf_step_avx2(x: core::arch::x86_64::__m256d) -> core::arch::x86_64::__m256d {
    use core::arch::x86_64::*;
    // SAFETY: the caller promises AVX2 and FMA, all these intrinsics need; the
    // gathers read rows `0..=768` of the 769-row table (see below).
    unsafe {
        let sign_bit = _mm256_set1_pd(-0.0);
        let limit = _mm256_set1_pd(LIMIT);
        let shifter = _mm256_set1_pd(SHIFTER);
        let a = _mm256_andnot_pd(sign_bit, x);
        let for_row = _mm256_min_pd(a, limit);
        let clamped = _mm256_min_pd(limit, a);
        let shifted = _mm256_fmadd_pd(for_row, _mm256_set1_pd(STEPS), shifter);
        let r = _mm256_mul_pd(_mm256_sub_pd(shifted, shifter), _mm256_set1_pd(STEP));
        // `for_row` is in [0, 6] (NaN became 6), so the row is in 0..=768: in
        // the table. Each row is two f64, so the index in f64 units is 2·row.
        let row = _mm256_sub_epi64(_mm256_castpd_si256(shifted), _mm256_castpd_si256(shifter));
        let at = _mm256_slli_epi64::<1>(row);
        let base = GRID.0.as_ptr().cast::<f64>();
        let value = _mm256_i64gather_pd::<8>(base, at);
        let slope = _mm256_i64gather_pd::<8>(base.add(1), at);
        let d = _mm256_sub_pd(clamped, r);
        let r2 = _mm256_mul_pd(r, r);
        let k = _mm256_set1_pd;
        let c6 = _mm256_mul_pd(
            r,
            _mm256_fmadd_pd(_mm256_fmadd_pd(k(C6[2]), r2, k(C6[1])), r2, k(C6[0])),
        );
        let c5 = _mm256_fmadd_pd(_mm256_fmadd_pd(k(C5[2]), r2, k(C5[1])), r2, k(C5[0]));
        let c4 = _mm256_mul_pd(r, _mm256_fmadd_pd(k(C4[1]), r2, k(C4[0])));
        let c3 = _mm256_fmadd_pd(k(C3[1]), r2, k(C3[0]));
        let p = _mm256_fmadd_pd(c6, d, c5);
        let p = _mm256_fmadd_pd(p, d, c4);
        let p = _mm256_fmadd_pd(p, d, c3);
        let p = _mm256_fmadd_pd(p, d, _mm256_xor_pd(r, sign_bit));
        let p = _mm256_fmadd_pd(p, d, k(1.0));
        let y = _mm256_fmadd_pd(_mm256_mul_pd(slope, d), p, value);
        _mm256_or_pd(y, _mm256_and_pd(x, sign_bit))
    }
}
