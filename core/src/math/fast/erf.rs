//! The error function to a fixed absolute accuracy, from a 16-piece table.
//!
//! Method, for `a = |x|`: `t = a · 16/6`, clamped below 16, selects piece
//! `k = floor(t)` of `[0, 6)`, and `erf(a) = P_k(t - k)`, a degree-12 minimax
//! polynomial for absolute error on each piece (piece 0 has no constant term, so
//! `erf(±0) = ±0` and tiny arguments keep their relative accuracy). Past 5.93
//! erf rounds to 1, which the last piece reproduces. The sign of `x` is put back
//! at the end.
//!
//! One short polynomial and no `exp`: about half the work of [`crate::math::erf`],
//! which evaluates an `exp`, a degree-21 and a degree-11 polynomial in every lane.
//! The price is accuracy relative to the value: the error is bounded *absolutely*
//! ([`precision::FAST_ERF`](crate::math::precision::FAST_ERF)), so erf of a tiny
//! argument may be off by more than an ulp (it is still close to relative for
//! `|x| < 0.375`, where piece 0 is a multiple of `x`).
//!
//! In a vector the piece differs from lane to lane; [`erf_avx512`] keeps each
//! coefficient of the 16 pieces in two registers and picks per lane with one
//! permute (`vpermt2pd`), so the table costs no gathers. The scalar flavours index
//! the table; in a loop LLVM would turn that into gathers, so vector kernels on
//! other instruction sets should keep [`crate::math::erf`].

use super::super::arith::{MulAdd, SIGN_BIT, Separate, abs};
use super::coefficients::{ERF_PIECES, ERF_SCALE};

/// `t` is clamped just below 16, so that the piece index stays in `0..16`.
const T_MAX: f64 = 16.0 - 1.0 / 1024.0;
/// Coefficients per piece.
const TERMS: usize = ERF_PIECES.len();

/// [`ERF_PIECES`] aligned for whole-vector loads of each half row.
#[cfg(target_arch = "x86_64")]
#[repr(C, align(64))]
struct AlignedPieces([[f64; 16]; TERMS]);

/// The table [`erf_avx512`] reads.
#[cfg(target_arch = "x86_64")]
static PIECES: AlignedPieces = AlignedPieces(ERF_PIECES);

/// [`erf`] for either multiply-add flavour.
#[inline(always)]
fn erf_generic<M: MulAdd>(x: f64) -> f64 {
    let t = abs(x) * ERF_SCALE;
    // As `vminpd(T_MAX, t)`: a NaN `t` passes through.
    let t = if T_MAX < t { T_MAX } else { t };
    // `t as usize` saturates, and sends NaN to 0: always a valid piece.
    let piece = (t as usize) & 15;
    let u = t - piece as f64; // exact
    let mut acc = ERF_PIECES[TERMS - 1][piece];
    for j in (0..TERMS - 1).rev() {
        acc = M::mul_add(acc, u, ERF_PIECES[j][piece]);
    }
    f64::from_bits(acc.to_bits() | (x.to_bits() & SIGN_BIT))
}

/// The error function to a fixed absolute (not relative) error.
///
/// Maximum error: [`precision::FAST_ERF`](crate::math::precision::FAST_ERF), a
/// couple of ulps of values near 1, the accuracy a CDF needs, but for `|x|` below
/// about 1e-3 more ulps of the (small) value than [`crate::math::erf`].
/// `erf(±0) = ±0`, `erf(±inf) = ±1`, `erf(NaN) = NaN`, odd symmetry exact.
///
/// ```
/// use accel_core::math::fast::erf;
/// assert!((erf(0.5) - 0.5204998778130465).abs() < 3e-16);
/// assert_eq!((erf(-0.0).to_bits(), erf(f64::INFINITY)), ((-0.0f64).to_bits(), 1.0));
/// ```
#[inline(always)]
pub fn erf(x: f64) -> f64 {
    erf_generic::<Separate>(x)
}

/// [`erf`] with fused multiply-adds: the same bits as [`erf_avx512`], lane for lane.
///
/// # Safety
/// The CPU must support FMA (see [`crate::math::fma`] for how to call it fast).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn erf_fma(x: f64) -> f64 {
    erf_generic::<super::super::arith::Fused>(x)
}

/// [`erf`] on eight lanes of an AVX-512 vector, with the table's coefficients
/// permuted per lane (no gathers): bit for bit [`erf_fma`] on each lane.
///
/// # Safety
/// The CPU must support AVX-512F. Like the [`crate::math::fma`] functions this is
/// an `#[inline(always)]` `unsafe fn` rather than a `#[target_feature]` one: call it
/// from code compiled with `avx512f` so that the intrinsics inline.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn erf_avx512(x: core::arch::x86_64::__m512d) -> core::arch::x86_64::__m512d {
    use core::arch::x86_64::{
        __m512d, _MM_FROUND_NO_EXC, _MM_FROUND_TO_NEG_INF, _mm512_add_pd, _mm512_and_pd,
        _mm512_andnot_pd, _mm512_castpd_si512, _mm512_fmadd_pd, _mm512_loadu_pd, _mm512_min_pd,
        _mm512_mul_pd, _mm512_or_pd, _mm512_permutex2var_pd, _mm512_roundscale_pd, _mm512_set1_pd,
        _mm512_sub_pd,
    };
    /// 2^52: `k + 2^52` keeps the integer `k` in its low mantissa bits.
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    // SAFETY: AVX-512F is the caller's promise; the loads read 8 of the 16
    // coefficients of row `j` (in bounds: offsets 0 and 8 of a 16-element array;
    // the volatile one at offset 0 of a 64-byte aligned row: 16 f64 = 128 bytes).
    unsafe {
        let sign = _mm512_set1_pd(-0.0);
        let t = _mm512_mul_pd(_mm512_andnot_pd(sign, x), _mm512_set1_pd(ERF_SCALE));
        // vminpd returns its second operand when either is NaN: NaN passes through.
        let t = _mm512_min_pd(_mm512_set1_pd(T_MAX), t);
        let k = _mm512_roundscale_pd::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(t);
        let u = _mm512_sub_pd(t, k);
        // The piece in the low bits (vpermt2pd reads the low 4 bits of each lane).
        let piece = _mm512_castpd_si512(_mm512_add_pd(k, _mm512_set1_pd(TWO_52)));
        // The first half of each row is read with a volatile load, so that LLVM
        // reloads it at every use instead of hoisting all 26 table registers out
        // of a caller's loop: in the Black-Scholes kernel that hoisting starved the
        // rest of the formula of registers (spills), and made it 40 % slower.
        // `vpermt2pd` overwrites that operand anyway, so the load replaces a copy.
        let coef = |j: usize| {
            let row = PIECES.0[j].as_ptr();
            let lo = core::ptr::read_volatile(row.cast::<__m512d>());
            _mm512_permutex2var_pd(lo, piece, _mm512_loadu_pd(row.add(8)))
        };
        let mut acc = coef(TERMS - 1);
        for j in (0..TERMS - 1).rev() {
            acc = _mm512_fmadd_pd(acc, u, coef(j));
        }
        _mm512_or_pd(acc, _mm512_and_pd(x, sign))
    }
}
