//! e^x from a 16-entry table of 2^(j/16).
//!
//! Method: `x = (16k + j) ln2/16 + r` with `n = 16k + j = round(16 x / ln 2)` found
//! with the shifter trick (adding 1.5 · 2^52 leaves `n` in the low mantissa bits,
//! so `j` is read off the bits), and `r = x - n ln2/16` in two exact steps
//! (`|r| <= ln2/32`). Then `e^x = 2^k · 2^(j/16) · (1 + r + r^2 Q(r))` with a
//! degree-4 minimax `Q`; the scaling by `2^k` rounds once, into a subnormal or to
//! infinity when it must. Arguments are clamped to `[-746, 710]` first (NaN passes
//! through), past which the result is 0 or infinity anyway.
//!
//! About a third of the work of [`crate::math::exp`] (degree 11 and a two-part
//! reduction, correctly rounded more often): the table entry is rounded once,
//! which its bound in the accuracy table still absorbs.
//! [`exp_avx512`] permutes each lane's `2^(j/16)` from registers and scales with
//! `vscalefpd`.

use super::super::arith::{MulAdd, SHIFTER, Separate};
use super::super::coefficients::{LN2_HI, LN2_LO};
use super::coefficients::{EXP_POW2, EXP_Q};
use core::f64::consts::LOG2_E;

/// Above this e^x overflows anyway (e^709.79 > f64::MAX).
const HIGH: f64 = 710.0;
/// Below this e^x is 0 anyway (e^-745.14 < half the least subnormal).
const LOW: f64 = -746.0;
/// 16 / ln 2, rounded (it only chooses `n`).
const SIXTEEN_LOG2_E: f64 = 16.0 * LOG2_E;
/// ln2/16 in two parts: `n * LN2_16_HI` is exact for `|n| < 2^21`.
const LN2_16_HI: f64 = LN2_HI / 16.0;
/// The rest of ln2/16.
const LN2_16_LO: f64 = LN2_LO / 16.0;

/// `2^(j/16)`, aligned for whole-vector loads of each half.
#[cfg(target_arch = "x86_64")]
#[repr(C, align(64))]
struct AlignedPow2([f64; 16]);

/// [`EXP_POW2`], read by [`exp_avx512`].
#[cfg(target_arch = "x86_64")]
static POW2: AlignedPow2 = AlignedPow2(EXP_POW2);

/// `2^(j/16) · (1 + r + r^2 Q(r))` for a table entry `t = 2^(j/16)`.
#[inline(always)]
fn scaled_poly<M: MulAdd>(t: f64, r: f64) -> f64 {
    let mut q = EXP_Q[EXP_Q.len() - 1];
    for &c in EXP_Q[..EXP_Q.len() - 1].iter().rev() {
        q = M::mul_add(q, r, c);
    }
    let expm1 = M::mul_add(r * r, q, r);
    M::mul_add(t, expm1, t)
}

/// [`exp`] for either multiply-add flavour.
#[inline(always)]
fn exp_generic<M: MulAdd>(x: f64) -> f64 {
    // As vminpd(HIGH, x) and vmaxpd(LOW, x): a NaN x passes through.
    let x = if HIGH < x { HIGH } else { x };
    let x = if LOW > x { LOW } else { x };
    let shifted = M::mul_add(x, SIXTEEN_LOG2_E, SHIFTER);
    let n = shifted - SHIFTER;
    let r = M::mul_add(-n, LN2_16_HI, x); // exact
    let r = M::mul_add(-n, LN2_16_LO, r);
    // n as an integer: the shifter's bits plus n (|n| <= 17220).
    let n_int = (shifted.to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
    let p = scaled_poly::<M>(EXP_POW2[(n_int & 15) as usize], r);
    // 2^k = 2^k1 · 2^k2, both normal for every clamped k (-1077..=1024): the first
    // product is exact, the second rounds once, as vscalefpd does.
    let k = n_int >> 4;
    let k1 = k >> 1;
    let scale1 = f64::from_bits(((k1 + 1023) as u64) << 52);
    let scale2 = f64::from_bits(((k - k1 + 1023) as u64) << 52);
    p * scale1 * scale2
}

/// e^x.
///
/// Maximum error: [`precision::FAST_EXP`](crate::math::precision::FAST_EXP).
/// `exp(NaN) = NaN`, `exp(-inf) = 0`,
/// `exp(inf) = inf`, overflow gives inf and underflow subnormals, then 0.
///
/// ```
/// use accel_core::math::fast::exp;
/// assert!((exp(1.0) - core::f64::consts::E).abs() <= f64::EPSILON);
/// assert_eq!((exp(0.0), exp(f64::NEG_INFINITY), exp(800.0)), (1.0, 0.0, f64::INFINITY));
/// ```
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    exp_generic::<Separate>(x)
}

/// [`exp`] with fused multiply-adds: the same bits as [`exp_avx512`], lane for lane.
///
/// # Safety
/// The CPU must support FMA (see [`crate::math::fma`] for how to call it fast).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn exp_fma(x: f64) -> f64 {
    exp_generic::<super::super::arith::Fused>(x)
}

/// [`exp`] on eight lanes of an AVX-512 vector: bit for bit [`exp_fma`] on each
/// lane.
///
/// # Safety
/// The CPU must support AVX-512F. Like the [`crate::math::fma`] functions this is
/// an `#[inline(always)]` `unsafe fn`: call it from code compiled with `avx512f`
/// so that the intrinsics inline.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn exp_avx512(x: core::arch::x86_64::__m512d) -> core::arch::x86_64::__m512d {
    use core::arch::x86_64::{
        __m512d, _mm512_castpd_si512, _mm512_fmadd_pd, _mm512_fnmadd_pd, _mm512_loadu_pd,
        _mm512_max_pd, _mm512_min_pd, _mm512_mul_pd, _mm512_permutex2var_pd, _mm512_scalef_pd,
        _mm512_set1_pd, _mm512_sub_pd,
    };
    // SAFETY: AVX-512F is the caller's promise. The loads read the halves of the
    // 16-element table (offsets 0 and 8), the volatile one at offset 0 of the
    // 64-byte aligned table.
    unsafe {
        // vminpd/vmaxpd return their second operand when either is NaN.
        let x = _mm512_min_pd(_mm512_set1_pd(HIGH), x);
        let x = _mm512_max_pd(_mm512_set1_pd(LOW), x);
        let shifted = _mm512_fmadd_pd(x, _mm512_set1_pd(SIXTEEN_LOG2_E), _mm512_set1_pd(SHIFTER));
        let n = _mm512_sub_pd(shifted, _mm512_set1_pd(SHIFTER));
        let r = _mm512_fnmadd_pd(n, _mm512_set1_pd(LN2_16_HI), x);
        let r = _mm512_fnmadd_pd(n, _mm512_set1_pd(LN2_16_LO), r);
        // vpermt2pd reads the low 4 bits of each lane: j = n mod 16. Volatile
        // first half, so that a caller's loop does not keep the table in
        // registers (see `erf_avx512`).
        let row = POW2.0.as_ptr();
        let lo = core::ptr::read_volatile(row.cast::<__m512d>());
        let t = _mm512_permutex2var_pd(
            lo,
            _mm512_castpd_si512(shifted),
            _mm512_loadu_pd(row.add(8)),
        );
        let mut q = _mm512_set1_pd(EXP_Q[EXP_Q.len() - 1]);
        for &c in EXP_Q[..EXP_Q.len() - 1].iter().rev() {
            q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(c));
        }
        let expm1 = _mm512_fmadd_pd(_mm512_mul_pd(r, r), q, r);
        let p = _mm512_fmadd_pd(t, expm1, t);
        // p · 2^floor(n/16), rounded once.
        _mm512_scalef_pd(p, _mm512_mul_pd(n, _mm512_set1_pd(1.0 / 16.0)))
    }
}

/// [`exp`] on four lanes with AVX2: bit for bit [`exp_fma`] on each lane. The
/// table entry `2^(j/16)` is read with a gather; `2^k` is built in two factors
/// from biased exponents, since AVX2 has neither `vscalefpd` nor a 64-bit
/// arithmetic shift.
///
/// # Safety
/// The CPU must support AVX2 and FMA; call it from code compiled with them, so
/// that the intrinsics inline.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn exp_avx2(x: core::arch::x86_64::__m256d) -> core::arch::x86_64::__m256d {
    use core::arch::x86_64::*;
    // SAFETY: AVX2 and FMA are the caller's promise. The gather index is masked
    // to 0..16, inside the 16-entry table.
    unsafe {
        let k = _mm256_set1_pd;
        // vminpd/vmaxpd return their second operand when either is NaN.
        let x = _mm256_min_pd(k(HIGH), x);
        let x = _mm256_max_pd(k(LOW), x);
        let shifted = _mm256_fmadd_pd(x, k(SIXTEEN_LOG2_E), k(SHIFTER));
        let n = _mm256_sub_pd(shifted, k(SHIFTER));
        let r = _mm256_fnmadd_pd(n, k(LN2_16_HI), x);
        let r = _mm256_fnmadd_pd(n, k(LN2_16_LO), r);
        // n as an integer, |n| <= 17220; biased by 16·2048 so that the shifts
        // below are logical ones on non-negative values.
        let n_int = _mm256_sub_epi64(
            _mm256_castpd_si256(shifted),
            _mm256_castpd_si256(k(SHIFTER)),
        );
        let j = _mm256_and_si256(n_int, _mm256_set1_epi64x(15));
        let t = _mm256_i64gather_pd::<8>(POW2.0.as_ptr(), j);
        let mut q = k(EXP_Q[EXP_Q.len() - 1]);
        for &c in EXP_Q[..EXP_Q.len() - 1].iter().rev() {
            q = _mm256_fmadd_pd(q, r, k(c));
        }
        let expm1 = _mm256_fmadd_pd(_mm256_mul_pd(r, r), q, r);
        let p = _mm256_fmadd_pd(t, expm1, t);
        // k + 2048 and k1 + 1024 (k1 = floor(k/2)), both >= 0 for every clamped k.
        let k_biased =
            _mm256_srli_epi64::<4>(_mm256_add_epi64(n_int, _mm256_set1_epi64x(16 * 2048)));
        let k1_biased = _mm256_srli_epi64::<1>(k_biased);
        // 2^k1 = bits (k1 + 1023) << 52; 2^(k - k1) = bits (k - k1 + 1023) << 52.
        let one = _mm256_set1_epi64x(1);
        let scale1 = _mm256_slli_epi64::<52>(_mm256_sub_epi64(k1_biased, one));
        let scale2 =
            _mm256_slli_epi64::<52>(_mm256_sub_epi64(_mm256_sub_epi64(k_biased, k1_biased), one));
        _mm256_mul_pd(
            _mm256_mul_pd(p, _mm256_castsi256_pd(scale1)),
            _mm256_castsi256_pd(scale2),
        )
    }
}
