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
//! `log10` (three gathers cost more than the polynomial they save): for the
//! logarithms the AVX2 and NEON lanes take [`ln_atanh`] and [`log10_atanh`],
//! which spend one division instead of a table.
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
mod log_atanh;

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
pub use log_atanh::{ln_atanh, log10_atanh};
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub use log_atanh::{ln_atanh_fma, log10_atanh_fma};
pub use log10::log10;
#[cfg(target_arch = "x86_64")]
pub use log10::{log10_avx512, log10_fma};

/// Defines the slice driver of a vector function: whole vectors of `$lanes`
/// through the vector flavour (`$load`/`$store` move one), the rest through
/// the scalar FMA flavour (the same bits, lane for lane). The one loop the
/// AVX2 and AVX-512 formula lanes and the plan executor run these functions
/// through: a loop over the scalar flavour alone would compile to scalar
/// table loads.
#[cfg(target_arch = "x86_64")]
macro_rules! vector_slice {
    ($name:ident, $vector:ident, $scalar:ident, $lanes:literal, $load:ident, $store:ident,
     $isa:literal) => {
        #[doc = concat!("`out[i] = f(x[i])` over the common length: whole ", $isa)]
        /// vectors through the vector flavour, the rest through the scalar FMA
        /// flavour.
        ///
        /// # Safety
        #[doc = concat!("The CPU must support ", $isa, " and FMA; call it from code")]
        /// compiled with them, so that the intrinsics inline.
        #[inline(always)]
        pub(crate) unsafe fn $name(out: &mut [f64], x: &[f64]) {
            use core::arch::x86_64::{$load, $store};
            let n = out.len().min(x.len());
            let whole = n - n % $lanes;
            let (out_whole, out_rest) = out[..n].split_at_mut(whole);
            for (q, v) in out_whole
                .chunks_exact_mut($lanes)
                .zip(x.chunks_exact($lanes))
            {
                // SAFETY: the ISA and FMA are the caller's promise; the load and
                // the store touch exactly the `$lanes` elements of `v` and `q`.
                unsafe { $store(q.as_mut_ptr(), $vector($load(v.as_ptr()))) };
            }
            for (y, &v) in out_rest.iter_mut().zip(&x[whole..n]) {
                // SAFETY: FMA, as above.
                *y = unsafe { $scalar(v) };
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
vector_slice!(
    exp_avx2_slice,
    exp_avx2,
    exp_fma,
    4,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    "AVX2"
);
#[cfg(target_arch = "x86_64")]
vector_slice!(
    erf_step_avx2_slice,
    erf_step_avx2,
    erf_step_fma,
    4,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    "AVX2"
);
#[cfg(target_arch = "x86_64")]
vector_slice!(
    exp_avx512_slice,
    exp_avx512,
    exp_fma,
    8,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    "AVX-512F"
);
#[cfg(target_arch = "x86_64")]
vector_slice!(
    erf_avx512_slice,
    erf_avx512,
    erf_fma,
    8,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    "AVX-512F"
);
#[cfg(target_arch = "x86_64")]
vector_slice!(
    log10_avx512_slice,
    log10_avx512,
    log10_fma,
    8,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    "AVX-512F"
);
