//! Base-10 logarithm to a few ulps, from a 16-piece table.
//!
//! Method, for positive finite `x = 2^e m` with `m` in `[1, 2)`: mantissas at or
//! above 1.5 are folded to `m/2` (and `e + 1`), so that `m` is in `[0.75, 1.5)` and
//! `e log10(2)` never cancels against `log10(m)`. The piece `k` is read off the top
//! four mantissa bits of `m + 1/32`: pieces 0 to 8 are centred on `1 + k/16`
//! (width 1/16; piece 0 holds 1), pieces 9 to 15 cover `[0.75, 0.96875)` in widths
//! of 1/32. With the piece's centre `c` (a short binary fraction, 1 for `k = 0`),
//! `r = (m - c) · (1/c)`, `|r| <= 1/32`: the difference is exact, so `r` is within
//! an ulp of `m/c - 1` with or without fused multiply-adds. Then
//! `log10 x = e log10(2) + log10(c) + ln(1 + r)/ln(10)`, with
//! `ln(1 + r) = r + r^2 P(r)` for a degree-7 minimax `P`. Near 1 (`e = 0`, `k = 0`)
//! the result is `ln(1 + r)/ln 10` with `r = x - 1` exact, so it stays accurate
//! relative to its (small) value.
//!
//! About half the work of [`crate::math::log10`] (a degree-18 polynomial, exact
//! splits), for a looser bound (compare
//! [`precision::FAST_LOG10`](crate::math::precision::FAST_LOG10) with
//! [`precision::LOG10`](crate::math::precision::LOG10)). [`log10_avx512`] splits
//! `x` with `vgetexppd` and `vgetmantpd` (which also handle subnormals and, with
//! the sign control that turns negative inputs into NaN, every special value) and
//! permutes each lane's table entries from registers: no gathers, no selects.

use super::super::arith::{MulAdd, Separate, select};
use super::super::ln::{lift_subnormal, log_regular, log_special};
use super::coefficients::{LOG_CENTRE, LOG_LOG10, LOG_P, LOG_RECIP};
use core::f64::consts::{LN_10, LOG10_2};

/// Mantissas at or above this are folded into the next binade.
const FOLD: f64 = 1.5;
/// Half a piece: `m + ROUND` has the nearest piece in its top 4 mantissa bits.
const ROUND: f64 = 1.0 / 32.0;
/// 1/ln 10, rounded.
const INV_LN10: f64 = 1.0 / LN_10;

/// The three tables, aligned for whole-vector loads of each half.
#[cfg(target_arch = "x86_64")]
#[repr(C, align(64))]
struct AlignedTables([[f64; 16]; 3]);

/// `[LOG_CENTRE, LOG_RECIP, LOG_LOG10]`, read by [`log10_avx512`].
#[cfg(target_arch = "x86_64")]
static TABLES: AlignedTables = AlignedTables([LOG_CENTRE, LOG_RECIP, LOG_LOG10]);

/// `e log10(2) + log10(c) + ln(1 + r)/ln 10` from `(e, m)`: the part shared by
/// the scalar flavours.
#[inline(always)]
fn from_parts<M: MulAdd>(e: f64, m: f64) -> f64 {
    let big = m >= FOLD;
    let m = select(big, m * 0.5, m);
    let e = select(big, e + 1.0, e);
    let piece = (((m + ROUND).to_bits() >> 48) & 15) as usize;
    let r = (m - LOG_CENTRE[piece]) * LOG_RECIP[piece];
    let mut p = LOG_P[LOG_P.len() - 1];
    for &c in LOG_P[..LOG_P.len() - 1].iter().rev() {
        p = M::mul_add(p, r, c);
    }
    let ln1p = M::mul_add(r * r, p, r);
    let y = M::mul_add(ln1p, INV_LN10, LOG_LOG10[piece]);
    M::mul_add(e, LOG10_2, y)
}

/// [`log10`] for either multiply-add flavour.
#[inline(always)]
fn log10_generic<M: MulAdd>(x: f64) -> f64 {
    let (lifted, offset) = lift_subnormal(x);
    let bits = lifted.to_bits();
    let e = ((bits >> 52) & 0x7ff) as f64 - 1023.0 - offset;
    let m = f64::from_bits((bits & ((1 << 52) - 1)) | 1.0f64.to_bits());
    select(log_regular(x), from_parts::<M>(e, m), log_special(x))
}

/// Base-10 logarithm to a few ulps.
///
/// Maximum error: [`precision::FAST_LOG10`](crate::math::precision::FAST_LOG10);
/// relative accuracy holds near 1 too. `log10(±0) = -inf`, `log10(x < 0) = NaN`,
/// `log10(inf) = inf`, `log10(NaN) = NaN`, `log10(1) = 0`.
///
/// ```
/// use accel_core::math::fast::log10;
/// assert!((log10(2.0) - 0.3010299956639812).abs() < 2e-16);
/// assert_eq!((log10(1.0), log10(0.0)), (0.0, f64::NEG_INFINITY));
/// assert!(log10(-1.0).is_nan());
/// ```
#[inline(always)]
pub fn log10(x: f64) -> f64 {
    log10_generic::<Separate>(x)
}

/// [`log10`] with fused multiply-adds: the same bits as [`log10_avx512`], lane
/// for lane (any NaN for a NaN).
///
/// # Safety
/// The CPU must support FMA (see [`crate::math::fma`] for how to call it fast).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn log10_fma(x: f64) -> f64 {
    log10_generic::<super::super::arith::Fused>(x)
}

/// [`log10`] on eight lanes of an AVX-512 vector: bit for bit [`log10_fma`] on
/// each lane.
///
/// # Safety
/// The CPU must support AVX-512F. Like the [`crate::math::fma`] functions this is
/// an `#[inline(always)]` `unsafe fn`: call it from code compiled with `avx512f`
/// so that the intrinsics inline.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn log10_avx512(x: core::arch::x86_64::__m512d) -> core::arch::x86_64::__m512d {
    use core::arch::x86_64::{
        __m512d, _CMP_GE_OQ, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_NAN, _mm512_add_pd,
        _mm512_castpd_si512, _mm512_cmp_pd_mask, _mm512_fmadd_pd, _mm512_getexp_pd,
        _mm512_getmant_pd, _mm512_loadu_pd, _mm512_mask_add_pd, _mm512_mask_mul_pd, _mm512_mul_pd,
        _mm512_permutex2var_pd, _mm512_set1_pd, _mm512_srli_epi64, _mm512_sub_pd,
    };
    // SAFETY: AVX-512F is the caller's promise. The loads read the halves of two
    // 16-element rows (offsets 0 and 8); the volatile ones at offset 0 of 64-byte
    // aligned rows (16 f64 = 128 bytes).
    unsafe {
        // For x = ±0: e = -inf, m = ±1, so the result is -inf; x = +inf: e = +inf,
        // m = 1, result +inf; x < 0 (not -0) and NaN: m = NaN, result NaN.
        let e = _mm512_getexp_pd(x);
        let m = _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_NAN>(x);
        let big = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(m, _mm512_set1_pd(FOLD));
        let m = _mm512_mask_mul_pd(m, big, m, _mm512_set1_pd(0.5));
        let e = _mm512_mask_add_pd(e, big, e, _mm512_set1_pd(1.0));
        let piece =
            _mm512_srli_epi64::<48>(_mm512_castpd_si512(_mm512_add_pd(m, _mm512_set1_pd(ROUND))));
        // Volatile first halves, so that a caller's loop does not keep the tables
        // in registers (see `erf_avx512`).
        let entry = |t: usize| {
            let row = TABLES.0[t].as_ptr();
            let lo = core::ptr::read_volatile(row.cast::<__m512d>());
            _mm512_permutex2var_pd(lo, piece, _mm512_loadu_pd(row.add(8)))
        };
        let r = _mm512_mul_pd(_mm512_sub_pd(m, entry(0)), entry(1));
        let mut p = _mm512_set1_pd(LOG_P[LOG_P.len() - 1]);
        for &c in LOG_P[..LOG_P.len() - 1].iter().rev() {
            p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(c));
        }
        let ln1p = _mm512_fmadd_pd(_mm512_mul_pd(r, r), p, r);
        let y = _mm512_fmadd_pd(ln1p, _mm512_set1_pd(INV_LN10), entry(2));
        _mm512_fmadd_pd(e, _mm512_set1_pd(LOG10_2), y)
    }
}
