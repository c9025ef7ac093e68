//! The fused kernels, compiled once per instruction set and chosen at run time.
//!
//! The release build targets baseline x86_64 (SSE2), where the vectorised
//! formula runs two lanes at a time. So the same source — [`put`](super::put)
//! monomorphised on blocks of options, every helper `#[inline(always)]` — is
//! also compiled inside `#[target_feature]` wrappers for AVX-512 and for
//! AVX2+FMA, and the widest one the CPU supports is picked on first use with
//! `is_x86_feature_detected!` and cached. No `RUSTFLAGS` needed.
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
//! panic paths. Each wider path is faster than the one below it, all of them far
//! faster than the strict libm loop; `docs/PERFORMANCE.md` records the speed of
//! the path the benchmark machine picked.

use core::sync::atomic::{AtomicU8, Ordering};

use accel_core::ir::{ReduceOp, map_formula, reduce_formula};

use super::error::BlackScholesError;
use super::formula::BlackScholes;
use super::fused;
#[cfg(target_arch = "x86_64")]
use super::zmm;

/// A code path of the fused kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SimdPath {
    /// AVX-512 (F, DQ, VL) with FMA: eight options per instruction.
    Avx512,
    /// AVX2 with FMA: four options per instruction.
    Avx2Fma,
    /// The build's baseline target (SSE2 on x86_64): two per instruction.
    Portable,
}

/// Cached detection result: 0 = not detected yet, else `1 + path index`.
static DETECTED: AtomicU8 = AtomicU8::new(0);

impl SimdPath {
    /// Every path, widest first.
    pub const ALL: [SimdPath; 3] = [SimdPath::Avx512, SimdPath::Avx2Fma, SimdPath::Portable];

    /// The widest path this CPU runs, detected once and cached.
    ///
    /// ```
    /// use accel_kernels::blackscholes::SimdPath;
    /// let path = SimdPath::detect();
    /// assert!(path.is_supported());
    /// assert_eq!(path.name(), accel_kernels::blackscholes::simd_path());
    /// ```
    pub fn detect() -> SimdPath {
        match DETECTED.load(Ordering::Relaxed) {
            0 => {
                let path = Self::ALL
                    .into_iter()
                    .find(|p| p.is_supported())
                    .unwrap_or(SimdPath::Portable);
                DETECTED.store(1 + path as u8, Ordering::Relaxed);
                path
            }
            v => Self::ALL[usize::from(v - 1)],
        }
    }

    /// Whether this CPU can run the path.
    pub fn is_supported(self) -> bool {
        match self {
            SimdPath::Portable => true,
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512dq")
                    && is_x86_feature_detected!("avx512vl")
                    && is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx2Fma => {
                is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// `"avx512"`, `"avx2+fma"` or `"portable"`.
    pub fn name(self) -> &'static str {
        match self {
            SimdPath::Avx512 => "avx512",
            SimdPath::Avx2Fma => "avx2+fma",
            SimdPath::Portable => "portable",
        }
    }

    /// `Ok(self)` if the CPU runs it.
    pub(crate) fn checked(self) -> Result<SimdPath, BlackScholesError> {
        if self.is_supported() {
            Ok(self)
        } else {
            Err(BlackScholesError::UnsupportedSimd { path: self.name() })
        }
    }
}

impl core::fmt::Display for SimdPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
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
            SimdPath::Avx2Fma => unsafe { avx2($($arg),*) },
            _ => $plain($($arg),*),
        }
    }};
}

/// Prices one chunk on `path`.
///
/// # Panics
/// If the CPU does not support `path` (callers check once per call with
/// [`SimdPath::checked`]; this per-chunk check is what the dispatch's safety
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
