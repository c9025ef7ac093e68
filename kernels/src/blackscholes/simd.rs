//! The fused kernels, compiled once per instruction set and chosen at run time.
//!
//! The release build targets baseline x86_64 (SSE2), where the vectorised
//! formula runs two lanes at a time. So the same source — [`put`](super::put)
//! monomorphised on blocks of options, every helper `#[inline(always)]` — is
//! also compiled inside `#[target_feature]` wrappers for AVX-512 and for
//! AVX2+FMA, and core's [`SimdPath::active`] (the one detection, forceable
//! with `ACCEL_SIMD`) picks one. No `RUSTFLAGS` needed.
//!
//! - portable: core's staged executors (`map_formula` / `reduce_formula` on
//!   [`Lanes`](accel_core::ir::Lanes)) with the plain math: bit-identical to the
//!   IR interpreter;
//! - AVX2+FMA: this crate's block executor with the FMA flavours of the math (the
//!   `fused` module): the same formula, half the polynomial arithmetic, last bits
//!   possibly different;
//! - AVX-512: the formula on whole zmm registers, three at a time (the `zmm`
//!   module), with `accel_core::math::fast`'s table `exp`, `log10` and `erf`,
//!   whose per-lane pieces are picked with `vpermt2pd`.
//!
//! Checked on the release build's machine code (objdump): the AVX-512 wrapper's
//! loop is zmm code throughout (`vfmadd…pd`, `vpermt2pd`, `vmulpd`, `vdivpd`,
//! `vsqrtpd`, `vgetmantpd`, `vscalefpd` on zmm registers) with no calls and no
//! gathers; the only calls are the `memcpy` of the padded last register and the
//! panic paths. Measured on the 2-core Xeon, 64 K options (in cache): 4.4 ns per
//! option in thread CPU time with the 32-lane block executor on AVX-512 (8.1 with
//! the 1-ulp functions), 15 (AVX2+FMA), 42 (portable), against 105 for the
//! strict libm loop; the `zmm` executor then took 0.63–0.82 of the block
//! executor's time, side by side in one process (its module docs).

use accel_core::ir::{ReduceOp, map_formula, reduce_formula};

use super::error::BlackScholesError;
use super::formula::BlackScholes;
use super::fused;
#[cfg(target_arch = "x86_64")]
use super::zmm;

pub use accel_core::simd::SimdPath;

/// `Ok(path)` if the CPU runs it.
pub(crate) fn checked(path: SimdPath) -> Result<SimdPath, BlackScholesError> {
    path.checked()
        .map_err(|_| BlackScholesError::UnsupportedSimd { path: path.name() })
}

/// The five input columns of a chunk of options, all as long as its output.
pub(crate) type Inputs<'a> = [&'a [f64]; 5];

/// `out[i] = put(inputs…[i])`: core's fused formula executor, which runs [`put`](super::put)
/// on blocks of [`BLOCK_LANES`](accel_core::ir::BLOCK_LANES) options at once
/// (each operation a short vector loop over the block, so independent vectors
/// keep the FP units busy however long the formula's dependency chain is).
#[inline(always)]
fn price_loop(ins: Inputs<'_>, out: &mut [f64]) {
    map_formula(ins, [out], &BlackScholes).expect("chunks are cut to equal lengths");
}

/// `sum(put(inputs…))` in the fixed lane order of [`ReduceOp::Sum`] (the
/// interpreter's order for the same range), nothing stored.
#[inline(always)]
fn sum_loop(ins: Inputs<'_>) -> f64 {
    reduce_formula(ReduceOp::Sum, ins, &BlackScholes).expect("chunks are cut to equal lengths")
}

/// The AVX builds of a chunk function: `$zmm` (the `zmm` executor) compiled
/// for AVX-512 and `$fma` (the `fused` executor) for AVX2+FMA inside
/// `#[target_feature]` wrappers; `$plain` (core's executor, plain math) for the
/// portable path. Each wrapper is `unsafe`: its caller guarantees the features.
macro_rules! dispatch {
    ($path:expr, $plain:expr, $zmm:path, $fma:path, ($($arg:ident: $ty:ty),*) -> $ret:ty) => {{
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
        unsafe fn avx512($($arg: $ty),*) -> $ret {
            // SAFETY: compiled with AVX-512F, DQ and FMA and only called when the
            // CPU has them.
            unsafe { $zmm(&BlackScholes, $($arg),*) }
        }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2($($arg: $ty),*) -> $ret {
            // SAFETY: compiled with FMA and only called when the CPU has it.
            unsafe { $fma(&BlackScholes, $($arg),*) }
        }
        match $path {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the callers assert `path.is_supported()` just before, which
            // checked every feature the wrapper enables.
            SimdPath::Avx512 => unsafe { avx512($($arg),*) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above, for AVX2 and FMA.
            SimdPath::Avx2 => unsafe { avx2($($arg),*) },
            _ => $plain($($arg),*),
        }
    }};
}

/// Prices one chunk on `path`.
///
/// # Panics
/// If the CPU does not support `path` (callers check once per call with
/// [`checked`]; this per-chunk check is what the dispatch's safety
/// rests on, and costs one cached load).
pub(crate) fn price_chunk(path: SimdPath, ins: Inputs<'_>, out: &mut [f64]) {
    assert!(path.is_supported(), "{path} is not supported here");
    dispatch!(path, price_loop, zmm::map_vectors, fused::map_blocks, (ins: Inputs<'_>, out: &mut [f64]) -> ())
}

/// The sum of the put prices of one chunk on `path`.
///
/// # Panics
/// If the CPU does not support `path` (as [`price_chunk`]).
pub(crate) fn sum_chunk(path: SimdPath, ins: Inputs<'_>) -> f64 {
    assert!(path.is_supported(), "{path} is not supported here");
    dispatch!(path, sum_loop, zmm::sum_vectors, fused::sum_blocks, (ins: Inputs<'_>) -> f64)
}
