//! The elementary functions each AVX path's lane blocks use.
//!
//! [`FmaLanes`](super::fused) applies `exp`, `ln`, `log10` and `erf` to a whole
//! block of `N` options at once through a [`LaneMath`]: the AVX2+FMA path uses
//! `accel_core::math::fma` lane by lane (vectorised by LLVM); the AVX-512 path
//! swaps in `accel_core::math::fast`'s table `exp`, `log10` and `erf`, which
//! pick each lane's table entry or polynomial piece with a register permute —
//! a third to a half of the work of the 1-ulp functions: exp within 1 ulp,
//! log10 within 3 ulp, erf within 2.3e-16 absolute, which is all the normal CDF
//! needs (module docs of [`super`]).
//!
//! # Safety protocol
//! Every function here runs instructions of its path's instruction set. The
//! types are private to the crate and only used as the `I` parameter of the
//! `fused` executors, `unsafe fn`s whose callers promise the set
//! ([`LaneMath`]'s doc says which).

use accel_core::math;

/// A set of elementary functions on blocks of `N` values.
///
/// # Safety
/// Implementations may require CPU features (each type's doc says which); the
/// methods may only run where those are present.
pub(crate) trait LaneMath: Copy {
    /// e^x on each lane.
    fn exp<const N: usize>(x: [f64; N]) -> [f64; N];
    /// ln x on each lane.
    fn ln<const N: usize>(x: [f64; N]) -> [f64; N];
    /// log10 x on each lane.
    fn log10<const N: usize>(x: [f64; N]) -> [f64; N];
    /// erf x on each lane.
    fn erf<const N: usize>(x: [f64; N]) -> [f64; N];
}

/// Applies an `unsafe` scalar function lane by lane (a macro, not a closure,
/// so that the function inlines into the loop and LLVM vectorises it).
macro_rules! lanewise {
    ($x:expr, $f:path) => {{
        let mut x = $x;
        for v in x.iter_mut() {
            // SAFETY: the types of this module are only used inside executors
            // whose callers guarantee the features (module safety protocol).
            *v = unsafe { $f(*v) };
        }
        x
    }};
}

/// `accel_core::math::fma` lane by lane: needs FMA (and AVX2 to be worth it).
#[derive(Clone, Copy)]
pub(crate) struct Avx2Math;

/// One `LaneMath` method per FMA function, lane by lane.
macro_rules! fma_lanes {
    ($($name:ident),*) => {$(
        #[inline(always)]
        fn $name<const N: usize>(x: [f64; N]) -> [f64; N] {
            lanewise!(x, math::fma::$name)
        }
    )*};
}

impl LaneMath for Avx2Math {
    fma_lanes!(exp, ln, log10, erf);
}

/// Applies an AVX-512 function of `math::fast` to a block, 8 lanes at a time,
/// or its FMA flavour (the same bits) lane by lane when `N` is not a multiple of 8.
macro_rules! avx512_lanes {
    ($x:expr, $vector:path, $scalar:path) => {{
        let mut out = $x;
        #[cfg(target_arch = "x86_64")]
        if out.len().is_multiple_of(8) {
            use core::arch::x86_64::{_mm512_loadu_pd, _mm512_storeu_pd};
            for chunk in out.chunks_exact_mut(8) {
                // SAFETY: AVX-512F is guaranteed by the executors' callers (module
                // safety protocol); the load and store touch the 8 lanes of `chunk`.
                unsafe {
                    let v = $vector(_mm512_loadu_pd(chunk.as_ptr()));
                    _mm512_storeu_pd(chunk.as_mut_ptr(), v);
                }
            }
            return out;
        }
        lanewise!(out, $scalar)
    }};
}

/// As [`Avx2Math`], with `math::fast`'s AVX-512 `exp`, `log10` and `erf`: needs
/// AVX-512F and FMA.
#[derive(Clone, Copy)]
pub(crate) struct Avx512Math;

impl LaneMath for Avx512Math {
    fma_lanes!(ln);

    #[inline(always)]
    fn exp<const N: usize>(x: [f64; N]) -> [f64; N] {
        avx512_lanes!(x, math::fast::exp_avx512, math::fast::exp_fma)
    }

    #[inline(always)]
    fn log10<const N: usize>(x: [f64; N]) -> [f64; N] {
        avx512_lanes!(x, math::fast::log10_avx512, math::fast::log10_fma)
    }

    #[inline(always)]
    fn erf<const N: usize>(x: [f64; N]) -> [f64; N] {
        avx512_lanes!(x, math::fast::erf_avx512, math::fast::erf_fma)
    }
}
