//! The same functions with fused multiply-adds, for code compiled with FMA enabled.
//!
//! Rust never contracts `a * b + c` into an FMA, so the free functions of
//! [`crate::math`] evaluate their polynomials with a separate multiply and add even
//! inside a `#[target_feature(enable = "avx2,fma")]` kernel. These versions run the
//! same algorithms with one FMA per step instead: about half the arithmetic
//! instructions in the polynomials and a shorter dependency chain. Each one is an
//! `#[inline(always)]` `unsafe fn`: call it from a function compiled with FMA, such
//! as an `avx2,fma` or `avx512f` kernel chosen at run time with
//! `is_x86_feature_detected!`, where the FMA intrinsics inline and the loop
//! vectorises. (They are deliberately not `#[target_feature]` functions themselves:
//! those cannot be `inline(always)`, and LLVM declines to inline a function this
//! size on a mere hint. Called from code compiled without FMA they still work on an
//! FMA CPU, one out-of-line call per multiply-add, so slowly.)
//!
//! Results can differ from the free functions in the last bit, since the roundings
//! differ; the error bounds of the accuracy table
//! ([`precision`](crate::math::precision)) hold for both (the tests check both).
//!
//! # Safety
//!
//! Every function here requires a CPU with the FMA extension: on x86_64 check
//! `is_x86_feature_detected!("fma")` (or `SimdPath::Avx2.is_supported()`) or call
//! it from code that already did; every aarch64 CPU has it.

use super::arith::Fused;

/// e^x with fused multiply-adds; see [`crate::math::exp`] for accuracy and special values.
///
/// # Safety
/// The CPU must support FMA.
#[inline(always)]
pub unsafe fn exp(x: f64) -> f64 {
    super::exp::exp_generic::<Fused>(x)
}

/// Natural logarithm with fused multiply-adds; see [`crate::math::ln`].
///
/// # Safety
/// The CPU must support FMA.
#[inline(always)]
pub unsafe fn ln(x: f64) -> f64 {
    super::ln::ln_generic::<Fused>(x)
}

/// Base-10 logarithm with fused multiply-adds; see [`crate::math::log10`].
///
/// # Safety
/// The CPU must support FMA.
#[inline(always)]
pub unsafe fn log10(x: f64) -> f64 {
    super::log10::log10_generic::<Fused>(x)
}

/// The error function with fused multiply-adds; see [`crate::math::erf`].
///
/// # Safety
/// The CPU must support FMA.
#[inline(always)]
pub unsafe fn erf(x: f64) -> f64 {
    super::erf::erf_generic::<Fused>(x)
}

/// e^x for f32 with fused multiply-adds; see [`crate::math::expf`].
///
/// # Safety
/// The CPU must support FMA.
#[inline(always)]
pub unsafe fn expf(x: f32) -> f32 {
    super::exp::expf_generic::<Fused>(x)
}

/// Natural logarithm for f32 with fused multiply-adds; see [`crate::math::lnf`].
///
/// # Safety
/// The CPU must support FMA.
#[inline(always)]
pub unsafe fn lnf(x: f32) -> f32 {
    super::ln::lnf_generic::<Fused>(x)
}

/// Base-10 logarithm for f32 with fused multiply-adds; see [`crate::math::log10f`].
///
/// # Safety
/// The CPU must support FMA.
#[inline(always)]
pub unsafe fn log10f(x: f32) -> f32 {
    super::log10::log10f_generic::<Fused>(x)
}

/// The error function for f32 with fused multiply-adds; see [`crate::math::erff`].
///
/// # Safety
/// The CPU must support FMA.
#[inline(always)]
pub unsafe fn erff(x: f32) -> f32 {
    super::erf::erff_generic::<Fused>(x)
}
