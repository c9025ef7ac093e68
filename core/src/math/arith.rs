//! Building blocks shared by the elementary functions: how a multiply-add is
//! rounded, branch-free selection, and polynomial evaluation.
//!
//! Every function in [`crate::math`] is written once, generic over [`MulAdd`], and
//! instantiated twice: with [`Separate`] (a multiply and an add, two roundings; what
//! the free functions use, because Rust never contracts `a * b + c` into an FMA) and,
//! on x86_64, with [`Fused`] (one FMA instruction; what [`crate::math::fma`] uses,
//! for callers compiled with FMA). Only polynomial evaluation
//! and other steps whose error budget tolerates either rounding go through
//! [`MulAdd`]; the error-free steps (range reductions, exact splits) are written with
//! plain operators so they stay exact in both flavours.

/// How `a * b + c` is rounded inside the math kernels.
pub(crate) trait MulAdd {
    /// `a * b + c`, with one or two roundings depending on the implementation.
    fn mul_add(a: f64, b: f64, c: f64) -> f64;
    /// The same in f32.
    fn mul_add_f32(a: f32, b: f32, c: f32) -> f32;
}

/// `a * b + c` as a multiply then an add (two roundings), valid on every target.
pub(crate) struct Separate;

impl MulAdd for Separate {
    #[inline(always)]
    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
    #[inline(always)]
    fn mul_add_f32(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// `a * b + c` as one fused multiply-add (one rounding).
///
/// Only ever instantiated by the `unsafe fn`s of [`crate::math::fma`], whose callers
/// promise that the CPU has FMA; that promise is what makes the `unsafe` block below
/// sound. Inlined into a caller compiled with FMA, the scalar intrinsic becomes
/// `llvm.fma.f64`, which the loop vectoriser widens.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub(crate) struct Fused;

#[cfg(target_arch = "x86_64")]
impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        use core::arch::x86_64::{_mm_cvtsd_f64, _mm_fmadd_sd, _mm_set_sd};
        // SAFETY: `Fused` is private to `math` and used only by the `math::fma` functions,
        // `unsafe fn`s whose contract is that the running CPU supports FMA; the SSE2
        // moves are baseline on x86_64.
        unsafe { _mm_cvtsd_f64(_mm_fmadd_sd(_mm_set_sd(a), _mm_set_sd(b), _mm_set_sd(c))) }
    }
    #[inline(always)]
    fn mul_add_f32(a: f32, b: f32, c: f32) -> f32 {
        use core::arch::x86_64::{_mm_cvtss_f32, _mm_fmadd_ss, _mm_set_ss};
        // SAFETY: as in `mul_add`: only the `math::fma` functions, whose callers
        // promise FMA, instantiate `Fused`.
        unsafe { _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c))) }
    }
}

#[cfg(target_arch = "aarch64")]
impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f64, b: f64, c: f64) -> f64 {
        use core::arch::aarch64::{vdup_n_f64, vfma_f64, vget_lane_f64};
        // SAFETY: NEON and FMA (`fmadd`) are part of the aarch64 baseline.
        #[allow(unused_unsafe)]
        unsafe {
            vget_lane_f64::<0>(vfma_f64(vdup_n_f64(c), vdup_n_f64(a), vdup_n_f64(b)))
        }
    }
    #[inline(always)]
    fn mul_add_f32(a: f32, b: f32, c: f32) -> f32 {
        use core::arch::aarch64::{vdup_n_f32, vfma_f32, vget_lane_f32};
        // SAFETY: as above.
        #[allow(unused_unsafe)]
        unsafe {
            vget_lane_f32::<0>(vfma_f32(vdup_n_f32(c), vdup_n_f32(a), vdup_n_f32(b)))
        }
    }
}

/// `if cond { a } else { b }` for values: LLVM turns it into a blend, not a branch,
/// so loops that call the math functions still vectorise.
#[inline(always)]
pub(crate) fn select<T>(cond: bool, a: T, b: T) -> T {
    if cond { a } else { b }
}

/// `|x|`, by clearing the sign bit.
#[inline(always)]
pub(crate) fn abs(x: f64) -> f64 {
    f64::from_bits(x.to_bits() & !SIGN_BIT)
}

/// The sign bit of an f64.
pub(crate) const SIGN_BIT: u64 = 1 << 63;
/// 1.5 · 2^52: `y + SHIFTER` rounds `y` to an integer kept in the low mantissa
/// bits (for `|y| < 2^51`), which `exp`'s and `erf_step`'s reductions read back.
pub(crate) const SHIFTER: f64 = 6_755_399_441_055_744.0;

/// `|x|` for f32, by clearing the sign bit.
#[inline(always)]
pub(crate) fn abs_f32(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & !SIGN_BIT_F32)
}

/// The sign bit of an f32.
pub(crate) const SIGN_BIT_F32: u32 = 1 << 31;

/// Coefficients fitted in f64, rounded to f32 for the functions that compute in
/// f32 (the fits are far more accurate than f32 needs; rounding a coefficient
/// moves the result by well under 0.1 ulp, the leading ones being small).
pub(crate) const fn to_f32<const N: usize>(c: [f64; N]) -> [f32; N] {
    let mut out = [0.0f32; N];
    let mut i = 0;
    while i < N {
        out[i] = c[i] as f32;
        i += 1;
    }
    out
}

/// [`poly`] in f32: `c[0] + c[1] x + ... + c[N-1] x^(N-1)` by plain Horner (the
/// f32 polynomials are short).
#[inline(always)]
pub(crate) fn poly_f32<M: MulAdd, const N: usize>(x: f32, c: &[f32; N]) -> f32 {
    const { assert!(N >= 2, "use a constant for degree 0") };
    let mut acc = c[N - 1];
    let mut i = N - 1;
    while i > 0 {
        i -= 1;
        acc = M::mul_add_f32(acc, x, c[i]);
    }
    acc
}

/// `c[0] + c[1] x + ... + c[N-1] x^(N-1)`.
///
/// Evaluated as two interleaved Horner chains in `x^2` (even and odd coefficients)
/// joined at the end: one extra multiply over plain Horner, half the dependency
/// chain, which matters because the vectorised loops are latency-bound. The
/// coefficients are small and the variables bounded, so the evaluation error stays
/// within a few f64 ulps of the polynomial's value.
#[inline(always)]
pub(crate) fn poly<M: MulAdd, const N: usize>(x: f64, c: &[f64; N]) -> f64 {
    const { assert!(N >= 2, "use a constant for degree 0") };
    if N <= 3 {
        let mut acc = c[N - 1];
        let mut i = N - 1;
        while i > 0 {
            i -= 1;
            acc = M::mul_add(acc, x, c[i]);
        }
        return acc;
    }
    let x2 = x * x;
    let (top_even, top_odd) = if N % 2 == 1 {
        (N - 1, N - 2)
    } else {
        (N - 2, N - 1)
    };
    let mut even = c[top_even];
    let mut i = top_even;
    while i >= 2 {
        i -= 2;
        even = M::mul_add(even, x2, c[i]);
    }
    let mut odd = c[top_odd];
    let mut j = top_odd;
    while j >= 3 {
        j -= 2;
        odd = M::mul_add(odd, x2, c[j]);
    }
    M::mul_add(odd, x, even)
}

/// Builds `x` from `2^52 + n` style integer bits: `n as f64` for `0 <= n < 2^52`,
/// without an int-to-float instruction that AVX2 lacks for 64-bit lanes.
#[inline(always)]
pub(crate) fn small_u64_to_f64(n: u64) -> f64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    f64::from_bits(n | TWO_52.to_bits()) - TWO_52
}
