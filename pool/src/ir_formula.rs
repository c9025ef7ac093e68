//! Running a user's [`Formula`] on the pool, on the active SIMD path.
//!
//! # Protocol
//! ```text
//! map: cut the output into fixed chunks of FORMULA_CHUNK elements;
//!      every chunk, in parallel: accel_core::simd::map(path, f, its inputs, its outputs)
//! sum: cut 0..n into the same fixed chunks;
//!      every chunk, in parallel: accel_core::simd::sum(path, f, its inputs)
//!      fold the chunk sums left to right (Pool::reduce)
//! reduce (min, max, product, any, all): the same chunks; every chunk, in
//!      parallel: simd::map into a stack buffer 512 values at a time, folded in
//!      ReduceOp's lane order; chunk results folded left to right
//! ```
//! The chunks depend only on the length, never on the thread count, and core's
//! executors fold each chunk in a fixed lane order, so on one SIMD path a sum
//! has the same bits for any number of threads, and a map the same values as
//! one serial call. Input of at most one chunk runs inline on the caller with no
//! synchronisation (the grain rule: a tiny formula never pays for a fork).
//!
//! This is what Black-Scholes runs: its formula plus one call of each.

use std::ops::Range;

use accel_core::ir::{Formula, LANES, ReduceOp, SliceError, SliceRole};
use accel_core::simd::{self, FormulaError, SimdPath};

use crate::pool::Pool;

/// Elements per chunk of [`Pool::map_formula`] and [`Pool::sum_formula`]: a
/// chunk of a five-input formula reads 320 KiB, enough to amortise a piece's
/// scheduling many times over, small enough that 10⁶ elements make a hundred
/// chunks to balance.
pub const FORMULA_CHUNK: usize = 8192;

/// Checks that every input is `len` long.
pub(crate) fn check_lengths<const K: usize>(
    inputs: &[&[f64]; K],
    len: usize,
) -> Result<(), FormulaError> {
    match inputs.iter().position(|x| x.len() != len) {
        None => Ok(()),
        Some(index) => Err(FormulaError::Slices(SliceError::LengthMismatch {
            role: SliceRole::Input,
            index,
            expected: len,
            found: inputs[index].len(),
        })),
    }
}

impl Pool {
    /// `out[i] = f(inputs…[i])` for every `i`, in parallel on the active SIMD
    /// path ([`SimdPath::active`]); at most [`FORMULA_CHUNK`] elements run on
    /// the calling thread. The values are those of one serial
    /// [`simd::map`] call on the same path.
    ///
    /// # Errors
    /// [`FormulaError::Slices`] if an input's length differs from `out`'s
    /// (nothing is written).
    ///
    /// ```
    /// use accel_core::ir::{Formula, Real};
    /// /// The PA.jl example: `exp(-x²/2) · sqrt(y)`.
    /// struct Bump;
    /// impl Formula<2, 1> for Bump {
    ///     #[inline(always)]
    ///     fn eval<R: Real>(&self, [x, y]: [R; 2]) -> [R; 1] {
    ///         [(-(x * x) * R::lit(0.5)).exp() * y.sqrt()]
    ///     }
    /// }
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let x: Vec<f64> = (0..100_000).map(|i| i as f64 * 1e-5).collect();
    /// let y = vec![4.0; x.len()];
    /// let mut out = vec![0.0; x.len()];
    /// pool.map_formula([&x, &y], &mut out, &Bump)?;
    /// assert!((out[0] - 2.0).abs() < 1e-15);
    /// assert!((out[99_999] - 2.0 * (-0.5f64 * 0.99999 * 0.99999).exp()).abs() < 1e-14);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_formula<F, const K: usize>(
        &self,
        inputs: [&[f64]; K],
        out: &mut [f64],
        f: &F,
    ) -> Result<(), FormulaError>
    where
        F: Formula<K, 1> + Sync,
    {
        self.map_formula_on(SimdPath::active(), inputs, out, f)
    }

    /// [`map_formula`](Self::map_formula) on a chosen SIMD path (to compare
    /// paths, or to measure one).
    ///
    /// # Errors
    /// As [`map_formula`](Self::map_formula), and [`FormulaError::Simd`] if this
    /// CPU cannot run `path`.
    pub fn map_formula_on<F, const K: usize>(
        &self,
        path: SimdPath,
        inputs: [&[f64]; K],
        out: &mut [f64],
        f: &F,
    ) -> Result<(), FormulaError>
    where
        F: Formula<K, 1> + Sync,
    {
        if out.len() <= FORMULA_CHUNK {
            // One chunk: exactly the serial call, with nothing around it.
            return simd::map(path, f, inputs, out);
        }
        // Both checks up front, so that no chunk can fail halfway.
        check_lengths(&inputs, out.len())?;
        let path = path.checked()?;
        self.for_each_chunk_mut(out, FORMULA_CHUNK, |offset, chunk| {
            let ins = inputs.map(|x| &x[offset..offset + chunk.len()]);
            simd::map(path, f, ins, chunk).expect("chunks are cut to equal lengths");
        });
        Ok(())
    }

    /// `sum(f(inputs…))` over every element, in parallel on the active SIMD
    /// path, nothing stored: the same bits for any thread count (module docs).
    ///
    /// # Errors
    /// [`FormulaError::Slices`] if the inputs differ in length.
    ///
    /// ```
    /// use accel_core::ir::{Formula, Real};
    /// struct Square;
    /// impl Formula<1, 1> for Square {
    ///     #[inline(always)]
    ///     fn eval<R: Real>(&self, [x]: [R; 1]) -> [R; 1] {
    ///         [x * x]
    ///     }
    /// }
    /// let x: Vec<f64> = (0..50_000).map(|i| 1.0 / (i as f64 + 1.0)).collect();
    /// let sum = |threads| {
    ///     let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(threads)).unwrap();
    ///     pool.sum_formula([&x], &Square).unwrap()
    /// };
    /// assert_eq!(sum(1).to_bits(), sum(3).to_bits());
    /// assert!((sum(2) - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-4);
    /// ```
    pub fn sum_formula<F, const K: usize>(
        &self,
        inputs: [&[f64]; K],
        f: &F,
    ) -> Result<f64, FormulaError>
    where
        F: Formula<K, 1> + Sync,
    {
        self.sum_formula_on(SimdPath::active(), inputs, f)
    }

    /// [`sum_formula`](Self::sum_formula) on a chosen SIMD path.
    ///
    /// # Errors
    /// As [`sum_formula`](Self::sum_formula), and [`FormulaError::Simd`] if this
    /// CPU cannot run `path`.
    pub fn sum_formula_on<F, const K: usize>(
        &self,
        path: SimdPath,
        inputs: [&[f64]; K],
        f: &F,
    ) -> Result<f64, FormulaError>
    where
        F: Formula<K, 1> + Sync,
    {
        let n = inputs.first().map_or(0, |x| x.len());
        if n <= FORMULA_CHUNK {
            // One chunk: the serial call; `0.0 +` is the fold of `reduce` below
            // (it only turns a sum of -0.0 into +0.0), so the bits match a
            // chunked run's exactly.
            return Ok(0.0 + simd::sum(path, f, inputs)?);
        }
        check_lengths(&inputs, n)?;
        let path = path.checked()?;
        Ok(self.reduce(
            0..n,
            FORMULA_CHUNK,
            || 0.0,
            |r| simd::sum(path, f, inputs.map(|x| &x[r.clone()])).expect("checked above"),
            |a, b| a + b,
        ))
    }

    /// The sums that [`sum_formula_on`](Self::sum_formula_on) folds: `sums[k]`
    /// is `sum(f(inputs…))` over chunk `k` (elements `k · FORMULA_CHUNK` up to
    /// the next chunk), in parallel. Folding them left to right from `0.0`
    /// gives `sum_formula_on`'s bits exactly, so processes that each hold whole
    /// chunks of one long input (MPI ranks) can reproduce a one-process sum.
    ///
    /// # Errors
    /// [`FormulaError::Slices`] if the inputs' lengths differ or `sums` does
    /// not hold one value per chunk; [`FormulaError::Simd`] if this CPU cannot
    /// run `path`. Nothing is written then.
    ///
    /// ```
    /// use accel_core::ir::{Formula, Real};
    /// use accel_core::simd::SimdPath;
    /// use accel_pool::{FORMULA_CHUNK, Pool, PoolConfig};
    ///
    /// struct Square;
    /// impl Formula<1, 1> for Square {
    ///     #[inline(always)]
    ///     fn eval<R: Real>(&self, [x]: [R; 1]) -> [R; 1] {
    ///         [x * x]
    ///     }
    /// }
    /// let pool = Pool::new(PoolConfig::new().threads(2))?;
    /// let x: Vec<f64> = (0..50_000).map(|i| (i as f64).sqrt()).collect();
    /// let mut sums = vec![0.0; x.len().div_ceil(FORMULA_CHUNK)];
    /// let path = SimdPath::active();
    /// pool.chunk_sums_formula_on(path, [&x], &mut sums, &Square)?;
    /// let folded = sums.iter().fold(0.0, |a, b| a + b);
    /// assert_eq!(folded.to_bits(), pool.sum_formula_on(path, [&x], &Square)?.to_bits());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn chunk_sums_formula_on<F, const K: usize>(
        &self,
        path: SimdPath,
        inputs: [&[f64]; K],
        sums: &mut [f64],
        f: &F,
    ) -> Result<(), FormulaError>
    where
        F: Formula<K, 1> + Sync,
    {
        let n = inputs.first().map_or(0, |x| x.len());
        check_lengths(&inputs, n)?;
        let chunks = n.div_ceil(FORMULA_CHUNK);
        if sums.len() != chunks {
            return Err(FormulaError::Slices(SliceError::LengthMismatch {
                role: SliceRole::Output,
                index: 0,
                expected: chunks,
                found: sums.len(),
            }));
        }
        let path = path.checked()?;
        self.for_each_chunk_mut(sums, 1, |k, out| {
            for (j, sum) in out.iter_mut().enumerate() {
                let start = (k + j) * FORMULA_CHUNK;
                let range = start..(start + FORMULA_CHUNK).min(n);
                *sum =
                    simd::sum(path, f, inputs.map(|x| &x[range.clone()])).expect("checked above");
            }
        });
        Ok(())
    }

    /// `op` over `f(inputs…)` for every element (sum, product, min, max, any,
    /// all), in parallel on the active SIMD path, nothing stored: the same bits
    /// for any thread count.
    ///
    /// [`ReduceOp::Sum`] is [`sum_formula`](Self::sum_formula). The other
    /// operations evaluate each chunk with `simd::map` into a small buffer on
    /// the worker's stack and fold it in the lane order of [`ReduceOp`] (element
    /// `r` into lane `r % 8`), chunk results left to right; on the portable path
    /// that is exactly core's serial [`reduce_formula`](accel_core::ir::reduce_formula).
    ///
    /// ```
    /// use accel_core::ir::{Formula, Real, ReduceOp};
    /// use accel_pool::{Pool, PoolConfig};
    ///
    /// struct Gauss;
    /// impl Formula<1, 1> for Gauss {
    ///     fn eval<R: Real>(&self, [x]: [R; 1]) -> [R; 1] {
    ///         [(-(x * x)).exp()]
    ///     }
    /// }
    /// let xs: Vec<f64> = (0..100_000).map(|i| i as f64 / 1e4 - 5.0).collect();
    /// let pool = Pool::new(PoolConfig::new().threads(2))?;
    /// let peak = pool.reduce_formula(ReduceOp::Max, [&xs], &Gauss)?;
    /// assert_eq!(peak, 1.0); // at x = 0
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`sum_formula`](Self::sum_formula).
    pub fn reduce_formula<F, const K: usize>(
        &self,
        op: ReduceOp,
        inputs: [&[f64]; K],
        f: &F,
    ) -> Result<f64, FormulaError>
    where
        F: Formula<K, 1> + Sync,
    {
        self.reduce_formula_on(SimdPath::active(), op, inputs, f)
    }

    /// [`reduce_formula`](Self::reduce_formula) on the SIMD path `path`.
    ///
    /// # Errors
    /// As [`sum_formula_on`](Self::sum_formula_on).
    pub fn reduce_formula_on<F, const K: usize>(
        &self,
        path: SimdPath,
        op: ReduceOp,
        inputs: [&[f64]; K],
        f: &F,
    ) -> Result<f64, FormulaError>
    where
        F: Formula<K, 1> + Sync,
    {
        if op == ReduceOp::Sum {
            return self.sum_formula_on(path, inputs, f);
        }
        let n = inputs.first().map_or(0, |x| x.len());
        check_lengths(&inputs, n)?;
        let path = path.checked()?;
        let chunk = |r: Range<usize>| fold_chunk(path, op, f, inputs.map(|x| &x[r.clone()]));
        if n <= FORMULA_CHUNK {
            // One chunk: the fold `reduce` below would make of it.
            return Ok(op.combine(op.identity(), chunk(0..n)));
        }
        Ok(self.reduce(
            0..n,
            FORMULA_CHUNK,
            || op.identity(),
            chunk,
            |a, b| op.combine(a, b),
        ))
    }
}

/// Values evaluated per step of [`fold_chunk`]: 4 KiB on the stack, a multiple
/// of the lane count so that the lane order runs on across steps.
const FOLD_STEP: usize = 512;
const _: () = assert!(FOLD_STEP.is_multiple_of(LANES));

/// `op` over one chunk: `simd::map` into a stack buffer, step by step, folded
/// in [`ReduceOp`]'s lane order.
fn fold_chunk<F: Formula<K, 1>, const K: usize>(
    path: SimdPath,
    op: ReduceOp,
    f: &F,
    inputs: [&[f64]; K],
) -> f64 {
    let n = inputs.first().map_or(0, |x| x.len());
    let mut lanes = op.new_lanes::<f64>();
    let mut values = [0.0; FOLD_STEP];
    for start in (0..n).step_by(FOLD_STEP) {
        let len = FOLD_STEP.min(n - start);
        let ins = inputs.map(|x| &x[start..start + len]);
        simd::map(path, f, ins, &mut values[..len]).expect("checked by the caller");
        op.fold_lanes(&mut lanes, &values[..len]);
    }
    op.finish_lanes(lanes)
}
