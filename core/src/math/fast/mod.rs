//! Faster elementary functions for kernels whose error budget is looser than
//! [`crate::math`]'s.
//!
//! The functions of [`crate::math`] are accurate to about an ulp everywhere
//! ([`precision`](crate::math::precision) has the exact bounds), which costs long
//! polynomials and, for `erf`, two branches evaluated side by side in every vector
//! lane. A kernel such as Black-Scholes only needs the normal CDF to about 1e-15
//! *absolute* (its put price is compared to 1e-13 of the larger of the put and the
//! spot price): the functions here spend just that. Their error bounds against the
//! `libm` crate are the `fast::` rows of the accuracy table
//! ([`precision::ACCURACY`](crate::math::precision::ACCURACY)), which
//! `core/tests/math_fast.rs` asserts.
//!
//! Each comes in a portable scalar flavour, an FMA flavour for x86_64 kernels
//! compiled with FMA, and where it pays an AVX-512 flavour on whole vectors; the
//! FMA and AVX-512 flavours give the same bits.
//!
//! Which path uses which: the AVX-512 lanes take `exp`, `log10` and `erf` from
//! here (their tables are permuted out of registers). The AVX2 lanes take `exp`
//! ([`exp_avx2`]: one gather) and [`erf_step`] (two gathers), but not `erf` (a
//! per-lane coefficient table would cost one gather per coefficient) or
//! `log10` (three gathers cost more than the polynomial they save).
//!
//! The tables come from `gen_fast_coefficients.py` (mpmath), which writes
//! `fast/coefficients.rs`, and `gen_erf_step_table.py`, which writes
//! `fast/erf_step_table.rs`.

mod coefficients;
mod erf;
mod erf_step;
mod erf_step_table;
mod exp;
mod log10;

pub use erf::erf;
#[cfg(target_arch = "x86_64")]
pub use erf::{erf_avx512, erf_fma};
pub use erf_step::erf_step;
#[cfg(target_arch = "x86_64")]
pub use erf_step::erf_step_avx2;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub use erf_step::erf_step_fma;
pub use exp::exp;
#[cfg(target_arch = "x86_64")]
pub use exp::{exp_avx2, exp_avx512, exp_fma};
pub use log10::log10;
#[cfg(target_arch = "x86_64")]
pub use log10::{log10_avx512, log10_fma};
