//! A [`Formula`] run on one SIMD path's lanes: the one dispatch.
//!
//! [`map`] and [`sum`] run a formula of `K` f64 inputs and one result over
//! slices on the path asked for:
//!
//! | path | lane type | elementary functions |
//! |---|---|---|
//! | [`SimdPath::Avx512`] | three zmm registers ([`super::zmm`]) | `math::fast` tables, `math::fma::ln` |
//! | [`SimdPath::Avx2`] | blocks of 32 lanes ([`super::fma_lanes`]) | `math::fast` tables read with gathers (`exp`, `erf_step`), `math::fast`'s one-division `ln_atanh`, `log10_atanh` |
//! | [`SimdPath::Neon`] | blocks of 32 lanes ([`super::fma_lanes`]) | `math::fma` (aarch64's `fmadd`) for `exp`, `erf`; `ln_atanh`, `log10_atanh` |
//! | [`SimdPath::Portable`] | core's [`Lanes`](crate::ir::Lanes) (`ir::map_formula`) | `math`, bit-identical to the interpreter |
//!
//! Each path's functions have their own error bounds (the accuracy table,
//! [`ACCURACY`](crate::math::precision::ACCURACY)), so the last bits of a result may differ between paths; on
//! one path, a result does not depend on where the slices start or how they
//! are cut, and a sum folds element `r` into lane `r % 8` in order (the lane
//! order of [`ReduceOp::Sum`]). The AVX builds are `#[target_feature]` wrappers
//! around the same generic code, monomorphised for the caller's formula: no
//! `RUSTFLAGS`, and a user's formula gets the same code as accel's own.
//!
//! `accel-pool`'s `Pool::map_formula` and `Pool::sum_formula` run these on
//! chunks in parallel.

use core::fmt;

use super::{SimdError, SimdPath};
use crate::ir::{Formula, ReduceOp, SliceError, SliceRole};

/// Why a formula could not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormulaError {
    /// The slices differ in length.
    Slices(SliceError),
    /// This CPU cannot run the path asked for.
    Simd(SimdError),
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormulaError::Slices(e) => e.fmt(f),
            FormulaError::Simd(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for FormulaError {}

impl From<SliceError> for FormulaError {
    fn from(e: SliceError) -> Self {
        FormulaError::Slices(e)
    }
}

impl From<SimdError> for FormulaError {
    fn from(e: SimdError) -> Self {
        FormulaError::Simd(e)
    }
}

/// Checks that every input is `len` long.
fn check_inputs<const K: usize>(inputs: &[&[f64]; K], len: usize) -> Result<(), SliceError> {
    match inputs.iter().position(|x| x.len() != len) {
        None => Ok(()),
        Some(index) => Err(SliceError::LengthMismatch {
            role: SliceRole::Input,
            index,
            expected: len,
            found: inputs[index].len(),
        }),
    }
}

/// `out[i] = f(inputs…[i])` for every `i`, on `path`.
///
/// # Errors
/// [`FormulaError::Slices`] if an input's length differs from `out`'s,
/// [`FormulaError::Simd`] if this CPU cannot run `path`; nothing is written.
///
/// ```
/// use accel_core::ir::{Formula, Real};
/// use accel_core::simd::{self, SimdPath};
/// struct Hypot;
/// impl Formula<2, 1> for Hypot {
///     #[inline(always)]
///     fn eval<R: Real>(&self, [x, y]: [R; 2]) -> [R; 1] {
///         [(x * x + y * y).sqrt()]
///     }
/// }
/// let (x, y) = ([3.0, 5.0, 8.0], [4.0, 12.0, 15.0]);
/// let mut h = [0.0; 3];
/// simd::map(SimdPath::active(), &Hypot, [&x, &y], &mut h)?;
/// assert_eq!(h, [5.0, 13.0, 17.0]);
/// # Ok::<(), simd::FormulaError>(())
/// ```
#[inline(always)]
pub fn map<F: Formula<K, 1>, const K: usize>(
    path: SimdPath,
    f: &F,
    inputs: [&[f64]; K],
    out: &mut [f64],
) -> Result<(), FormulaError> {
    check_inputs(&inputs, out.len())?;
    match path.checked()? {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `checked` confirmed the CPU runs the AVX-512 path, which is
        // every feature the wrapper enables.
        SimdPath::Avx512 => unsafe { x86::map_avx512(f, inputs, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, for AVX2 and FMA.
        SimdPath::Avx2 => unsafe { x86::map_avx2(f, inputs, out) },
        #[cfg(target_arch = "aarch64")]
        // SAFETY: FMA, which the executor's lanes need, is in the aarch64 baseline.
        SimdPath::Neon => unsafe { super::fma_lanes::map_blocks(f, inputs, out) },
        _ => crate::ir::map_formula(inputs, [out], f)?,
    }
    Ok(())
}

/// `sum(f(inputs…))` over every element, on `path`, in the lane order of
/// [`ReduceOp::Sum`]; nothing is stored.
///
/// # Errors
/// [`FormulaError::Slices`] if the inputs differ in length,
/// [`FormulaError::Simd`] if this CPU cannot run `path`.
#[inline(always)]
pub fn sum<F: Formula<K, 1>, const K: usize>(
    path: SimdPath,
    f: &F,
    inputs: [&[f64]; K],
) -> Result<f64, FormulaError> {
    check_inputs(&inputs, inputs.first().map_or(0, |x| x.len()))?;
    Ok(match path.checked()? {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `checked` confirmed the CPU runs the AVX-512 path.
        SimdPath::Avx512 => unsafe { x86::sum_avx512(f, inputs) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, for AVX2 and FMA.
        SimdPath::Avx2 => unsafe { x86::sum_avx2(f, inputs) },
        #[cfg(target_arch = "aarch64")]
        // SAFETY: as in `map`.
        SimdPath::Neon => unsafe { super::fma_lanes::sum_blocks(f, inputs) },
        _ => crate::ir::reduce_formula(ReduceOp::Sum, inputs, f)?,
    })
}

/// The AVX builds: the generic executors compiled with the path's features.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::super::{fma_lanes, zmm};
    use crate::ir::Formula;

    /// # Safety
    /// The CPU must run the AVX-512 path (F, DQ, VL, AVX2, FMA); the inputs as
    /// long as `out`.
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
    pub(super) unsafe fn map_avx512<F: Formula<K, 1>, const K: usize>(
        f: &F,
        inputs: [&[f64]; K],
        out: &mut [f64],
    ) {
        // SAFETY: compiled with, and only called on CPUs with, the features the
        // zmm executor needs.
        unsafe { zmm::map_vectors(f, inputs, out) }
    }

    /// # Safety
    /// The CPU must run the AVX2 path (AVX2, FMA); the inputs as long as `out`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn map_avx2<F: Formula<K, 1>, const K: usize>(
        f: &F,
        inputs: [&[f64]; K],
        out: &mut [f64],
    ) {
        // SAFETY: as above, for FMA.
        unsafe { fma_lanes::map_blocks(f, inputs, out) }
    }

    /// # Safety
    /// As [`map_avx512`]; the inputs of equal length.
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
    pub(super) unsafe fn sum_avx512<F: Formula<K, 1>, const K: usize>(
        f: &F,
        inputs: [&[f64]; K],
    ) -> f64 {
        // SAFETY: as in `map_avx512`.
        unsafe { zmm::sum_vectors(f, inputs) }
    }

    /// # Safety
    /// As [`map_avx2`]; the inputs of equal length.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn sum_avx2<F: Formula<K, 1>, const K: usize>(
        f: &F,
        inputs: [&[f64]; K],
    ) -> f64 {
        // SAFETY: as in `map_avx2`.
        unsafe { fma_lanes::sum_blocks(f, inputs) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Real;

    struct Hypot;
    impl Formula<2, 1> for Hypot {
        #[inline(always)]
        fn eval<R: Real>(&self, [x, y]: [R; 2]) -> [R; 1] {
            [(x * x + y * y).sqrt()]
        }
    }

    #[test]
    fn every_supported_path_computes_exact_arithmetic_alike() {
        let x: [f64; 37] = core::array::from_fn(|i| i as f64 * 3.0);
        let y: [f64; 37] = core::array::from_fn(|i| i as f64 * 4.0);
        for path in SimdPath::supported() {
            let mut h = [f64::NAN; 37];
            map(path, &Hypot, [&x, &y], &mut h).unwrap();
            assert!(
                h.iter().enumerate().all(|(i, &v)| v == i as f64 * 5.0),
                "{path}"
            );
            let s = sum(path, &Hypot, [&x, &y]).unwrap();
            assert_eq!(s, 5.0 * (36.0 * 37.0 / 2.0), "{path}");
        }
    }

    #[test]
    fn bad_lengths_and_paths_are_refused_before_any_write() {
        let (x, y) = ([1.0; 4], [1.0; 3]);
        let mut out = [7.0; 4];
        let e = map(SimdPath::Portable, &Hypot, [&x, &y], &mut out).unwrap_err();
        assert!(matches!(
            e,
            FormulaError::Slices(SliceError::LengthMismatch { index: 1, .. })
        ));
        assert_eq!(out, [7.0; 4]);
        assert!(sum(SimdPath::Portable, &Hypot, [&x, &y]).is_err());
        for path in SimdPath::ALL.into_iter().filter(|p| !p.is_supported()) {
            let e = map(path, &Hypot, [&x, &x], &mut out).unwrap_err();
            assert!(matches!(
                e,
                FormulaError::Simd(SimdError::Unsupported { .. })
            ));
        }
    }
}
