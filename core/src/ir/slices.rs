//! The heap-free executors: a staged formula run over caller slices.
//!
//! These are what an embedded user (no `alloc`) gets, and what a kernel's fast path
//! calls on each chunk. Two forms:
//!
//! - a [`Formula`] (a type with a method generic over [`Real`]) is run on blocks of
//!   [`BLOCK_LANES`] elements at once as [`Lanes`] by [`map_formula`],
//!   [`map_reduce_formula`] and [`reduce_formula`]: every operation is a short vector
//!   loop, so this is the fastest path for large formulas;
//! - a closure over plain numbers is run element by element by [`map_slices`],
//!   [`reduce_slices`] and [`map_reduce_slices`]: simplest; LLVM vectorises the whole
//!   formula as one loop, which works as long as everything the closure calls is
//!   `#[inline(always)]` (Black-Scholes: within 10% of the lane executors).
//!
//! Formulas must be pure: the last, partial block of the lane executors and of
//! [`map_reduce_slices`] also evaluates padding values, whose results are discarded.
//!
//! Both compute each element exactly as the scalar formula does, and reductions use
//! the fixed lane order of [`ReduceOp`], so results are bit-identical to the
//! interpreter's ([`Stage::run_range`](crate::ir::Stage::run_range)) for the same range.
//!
//! ```
//! use accel_core::ir::{map_slices, reduce_slices, ReduceOp, Real, sqrt};
//!
//! fn hypot<T: Real>(x: T, y: T) -> T { sqrt(x * x + y * y) }
//!
//! let x = [3.0_f64, 5.0, 8.0];
//! let y = [4.0_f64, 12.0, 15.0];
//! let mut h = [0.0; 3];
//! map_slices([&x, &y], [&mut h], |[x, y]| [hypot(x, y)])?;
//! assert_eq!(h, [5.0, 13.0, 17.0]);
//! let total = reduce_slices(ReduceOp::Sum, [&x, &y], |[x, y]| hypot(x, y))?;
//! assert_eq!(total, 35.0);
//! # Ok::<(), accel_core::ir::SliceError>(())
//! ```

use core::fmt;

use super::lanes::Lanes;
use super::op::{LANES, ReduceOp};
use super::real::{Element, Real};

/// Elements computed per block before they are folded into the reduction lanes; a
/// multiple of [`LANES`](crate::ir::LANES) small enough to live on the stack.
const BLOCK: usize = 64;

/// Elements per block in the [`Formula`] executors: 16, chosen by benchmarking
/// `f64` Black-Scholes with AVX2 and AVX-512 (a multiple of [`LANES`], so reduction
/// lanes line up with blocks).
pub const BLOCK_LANES: usize = 16;

/// A pointwise formula with `K` inputs and `M` results, written once generically so
/// that it can build a graph (with [`Ex`](crate::ir::Ex)), run on plain numbers, or run
/// on [`Lanes`] of numbers in the fast executors. Mark `eval` (and what it calls)
/// `#[inline(always)]` so that it is compiled into the executor's loop.
///
/// ```
/// use accel_core::ir::{Formula, Real, map_formula, sqrt};
/// struct Hypot;
/// impl Formula<2, 1> for Hypot {
///     #[inline(always)]
///     fn eval<R: Real>(&self, [x, y]: [R; 2]) -> [R; 1] {
///         [sqrt(x * x + y * y)]
///     }
/// }
/// let x = [3.0_f64, 5.0, 8.0];
/// let y = [4.0_f64, 12.0, 15.0];
/// let mut h = [0.0; 3];
/// map_formula([&x, &y], [&mut h], &Hypot)?;
/// assert_eq!(h, [5.0, 13.0, 17.0]);
/// assert_eq!(Hypot.eval([6.0_f64, 8.0]), [10.0]); // the same formula on numbers
/// # Ok::<(), accel_core::ir::SliceError>(())
/// ```
pub trait Formula<const K: usize, const M: usize> {
    /// The `M` results for the `K` inputs.
    fn eval<R: Real>(&self, inputs: [R; K]) -> [R; M];
}

/// Which argument list a mismatched slice is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceRole {
    /// An input slice.
    Input,
    /// An output slice.
    Output,
}

/// Why a slice executor refused its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SliceError {
    /// A slice's length differs from the first slice's.
    LengthMismatch {
        /// Input or output list.
        role: SliceRole,
        /// Position in that list.
        index: usize,
        /// The length of the first slice.
        expected: usize,
        /// This slice's length.
        found: usize,
    },
    /// The result to reduce is not one of the formula's results.
    NoSuchResult {
        /// The index asked for.
        index: usize,
        /// The number of results.
        results: usize,
    },
}

impl fmt::Display for SliceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SliceError::NoSuchResult { index, results } => write!(
                f,
                "result {index} was chosen for the reduction, but the formula has {results} results"
            ),
            SliceError::LengthMismatch {
                role,
                index,
                expected,
                found,
            } => {
                let role = match role {
                    SliceRole::Input => "input",
                    SliceRole::Output => "output",
                };
                write!(
                    f,
                    "{role} slice {index} has length {found}, but the other slices have length {expected}"
                )
            }
        }
    }
}

impl core::error::Error for SliceError {}

fn common_len<T, const K: usize>(
    inputs: &[&[T]; K],
    outputs: &[&mut [T]],
) -> Result<usize, SliceError> {
    let n = inputs
        .first()
        .map(|s| s.len())
        .or_else(|| outputs.first().map(|s| s.len()))
        .unwrap_or(0);
    for (index, s) in inputs.iter().enumerate() {
        if s.len() != n {
            return Err(SliceError::LengthMismatch {
                role: SliceRole::Input,
                index,
                expected: n,
                found: s.len(),
            });
        }
    }
    for (index, s) in outputs.iter().enumerate() {
        if s.len() != n {
            return Err(SliceError::LengthMismatch {
                role: SliceRole::Output,
                index,
                expected: n,
                found: s.len(),
            });
        }
    }
    Ok(n)
}

/// `outputs[m][i] = f([inputs[0][i], …])[m]` for every `i`: a map of `K` equally long
/// inputs to `M` outputs, with no heap and no bounds checks in the loop.
///
/// # Errors
/// [`SliceError::LengthMismatch`] if the slices differ in length.
#[inline(always)]
pub fn map_slices<T: Copy, const K: usize, const M: usize>(
    inputs: [&[T]; K],
    outputs: [&mut [T]; M],
    f: impl Fn([T; K]) -> [T; M],
) -> Result<(), SliceError> {
    let n = common_len(&inputs, &outputs)?;
    // Re-slicing to exactly `n` lets LLVM drop the bounds checks below.
    let ins: [&[T]; K] = inputs.map(|s| &s[..n]);
    let mut outs: [&mut [T]; M] = outputs.map(|s| &mut s[..n]);
    for i in 0..n {
        let y = f(core::array::from_fn(|k| ins[k][i]));
        for (o, y) in outs.iter_mut().zip(y) {
            o[i] = y;
        }
    }
    Ok(())
}

/// The reduction `op` of `f([inputs[0][i], …])` over every `i`, in the lane order of
/// [`ReduceOp`]; no heap. For [`ReduceOp::Any`]/[`ReduceOp::All`], `f` returns `1.0`
/// for true and `0.0` for false, and so does the result.
///
/// # Errors
/// [`SliceError::LengthMismatch`] if the slices differ in length.
#[inline(always)]
pub fn reduce_slices<T: Element, const K: usize>(
    op: ReduceOp,
    inputs: [&[T]; K],
    f: impl Fn([T; K]) -> T,
) -> Result<T, SliceError> {
    map_reduce_slices(op, inputs, [], |x| ([], f(x)))
}

/// A map and a reduction in one pass: `f` returns the `M` output values and the value
/// to reduce for each `i`. This is the fused map→reduce loop of the IR, staged.
///
/// # Errors
/// [`SliceError::LengthMismatch`] if the slices differ in length.
///
/// ```
/// use accel_core::ir::{map_reduce_slices, ReduceOp};
/// let x = [1.0_f64, 2.0, 3.0];
/// let mut sq = [0.0; 3];
/// let s = map_reduce_slices(ReduceOp::Sum, [&x], [&mut sq], |[x]| ([x * x], x * x))?;
/// assert_eq!((sq, s), ([1.0, 4.0, 9.0], 14.0));
/// # Ok::<(), accel_core::ir::SliceError>(())
/// ```
#[inline(always)]
pub fn map_reduce_slices<T: Element, const K: usize, const M: usize>(
    op: ReduceOp,
    inputs: [&[T]; K],
    outputs: [&mut [T]; M],
    f: impl Fn([T; K]) -> ([T; M], T),
) -> Result<T, SliceError> {
    let n = common_len(&inputs, &outputs)?;
    let mut outs = outputs;
    let mut lanes = op.new_lanes();
    let mut vals = [T::ZERO; BLOCK];
    // A last partial block runs through padded copies, so that every block takes the
    // same fixed-length loop: one call site for `f` (which LLVM then inlines) and no
    // bounds checks inside.
    let mut tail_in = [[T::ZERO; BLOCK]; K];
    let mut tail_out = [[T::ZERO; BLOCK]; M];
    let mut start = 0;
    while start < n {
        let len = BLOCK.min(n - start);
        let full = len == BLOCK;
        if !full {
            for (t, x) in tail_in.iter_mut().zip(&inputs) {
                t[..len].copy_from_slice(&x[start..n]);
            }
        }
        {
            let bi: [&[T; BLOCK]; K] = core::array::from_fn(|k| match full {
                true => inputs[k][start..start + BLOCK]
                    .try_into()
                    .expect("BLOCK elements"),
                false => &tail_in[k],
            });
            let mut bo: [&mut [T; BLOCK]; M] = match full {
                true => outs.each_mut().map(|o| {
                    (&mut o[start..start + BLOCK])
                        .try_into()
                        .expect("BLOCK elements")
                }),
                false => tail_out.each_mut(),
            };
            for j in 0..BLOCK {
                let (y, r) = f(core::array::from_fn(|k| bi[k][j]));
                for (o, y) in bo.iter_mut().zip(y) {
                    o[j] = y;
                }
                vals[j] = r;
            }
        }
        if !full {
            for (o, t) in outs.iter_mut().zip(&tail_out) {
                o[start..n].copy_from_slice(&t[..len]);
            }
        }
        op.fold_lanes(&mut lanes, &vals[..len]);
        start += len;
    }
    Ok(op.finish_lanes(lanes))
}

/// The `len` elements from `start` of each input, padded to `N` lanes with the
/// first of them: how a block executor runs a last, partial block, so that it
/// takes the same fixed-length code as the others (the padding lanes are computed
/// and dropped, never stored or reduced). Padding with a real input, not with
/// zero, keeps the padding lanes in the formula's domain (no spurious NaN or
/// division by zero to slow them down).
///
/// ```
/// use accel_core::ir::padded_block;
/// let (a, b) = ([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]);
/// let block: [[f64; 4]; 2] = padded_block(&[&a, &b], 2, 2);
/// assert_eq!(block, [[3.0, 4.0, 3.0, 3.0], [7.0, 8.0, 7.0, 7.0]]);
/// ```
///
/// # Panics
/// If `len` is 0 or above `N`, or an input holds fewer than `start + len`
/// elements.
#[inline(always)]
pub fn padded_block<T: Copy, const K: usize, const N: usize>(
    inputs: &[&[T]; K],
    start: usize,
    len: usize,
) -> [[T; N]; K] {
    core::array::from_fn(|k| {
        let s = &inputs[k][start..start + len];
        let mut l = [s[0]; N];
        l[..len].copy_from_slice(s);
        l
    })
}

/// Runs `f` on blocks of `N` lanes over `0..n`, storing the first `outputs.len()`
/// results and folding result `reduce.1` into the lanes `reduce.2`. Full blocks are
/// moved with fixed-size copies; a last partial block is padded with its first
/// element (computed, never stored or reduced).
#[inline(always)]
fn formula_blocks<T: Element, F: Formula<K, M>, const K: usize, const M: usize, const N: usize>(
    n: usize,
    inputs: &[&[T]; K],
    outputs: &mut [&mut [T]],
    f: &F,
    mut reduce: Option<(ReduceOp, usize, &mut [T; LANES])>,
) {
    let full = n - n % N;
    let mut start = 0;
    while start < full {
        let x: [Lanes<T, N>; K] = core::array::from_fn(|k| {
            let block: &[T; N] = inputs[k][start..start + N].try_into().expect("N elements");
            Lanes(*block)
        });
        let y = f.eval(x);
        for (o, y) in outputs.iter_mut().zip(&y) {
            let block: &mut [T; N] = (&mut o[start..start + N]).try_into().expect("N elements");
            *block = y.0;
        }
        if let Some((op, r, lanes)) = reduce.as_mut() {
            op.fold_lanes(lanes, &y[*r].0);
        }
        start += N;
    }
    if start < n {
        let len = n - start;
        let x: [Lanes<T, N>; K] = padded_block(inputs, start, len).map(Lanes);
        let y = f.eval(x);
        for (o, y) in outputs.iter_mut().zip(&y) {
            o[start..n].copy_from_slice(&y.0[..len]);
        }
        if let Some((op, r, lanes)) = reduce.as_mut() {
            op.fold_lanes(lanes, &y[*r].0[..len]);
        }
    }
}

/// Runs `formula_blocks` with the block size for `T`.
#[inline(always)]
fn formula_run<T: Element, F: Formula<K, M>, const K: usize, const M: usize>(
    n: usize,
    inputs: &[&[T]; K],
    outputs: &mut [&mut [T]],
    f: &F,
    reduce: Option<(ReduceOp, usize, &mut [T; LANES])>,
) {
    formula_blocks::<T, F, K, M, BLOCK_LANES>(n, inputs, outputs, f, reduce)
}

/// `outputs[m][i] = f.eval([inputs[0][i], …])[m]` for every `i`, run on blocks of
/// [`BLOCK_LANES`] lanes; no heap. The fastest staged map.
///
/// # Errors
/// [`SliceError::LengthMismatch`] if the slices differ in length.
#[inline(always)]
pub fn map_formula<T: Element, const K: usize, const M: usize>(
    inputs: [&[T]; K],
    outputs: [&mut [T]; M],
    f: &impl Formula<K, M>,
) -> Result<(), SliceError> {
    let n = common_len(&inputs, &outputs)?;
    let mut outputs = outputs;
    formula_run(n, &inputs, &mut outputs, f, None);
    Ok(())
}

/// [`map_formula`], also reducing result `reduce` with `op` (in the lane order of
/// [`ReduceOp`]): the fused map→reduce loop, staged. Black-Scholes' `put` and its
/// checksum are `map_reduce_formula(ReduceOp::Sum, 0, inputs, [put], &formula)`.
///
/// # Errors
/// [`SliceError::LengthMismatch`] if the slices differ in length,
/// [`SliceError::NoSuchResult`] if `reduce >= M`.
#[inline(always)]
pub fn map_reduce_formula<T: Element, const K: usize, const M: usize>(
    op: ReduceOp,
    reduce: usize,
    inputs: [&[T]; K],
    outputs: [&mut [T]; M],
    f: &impl Formula<K, M>,
) -> Result<T, SliceError> {
    if reduce >= M {
        return Err(SliceError::NoSuchResult {
            index: reduce,
            results: M,
        });
    }
    let n = common_len(&inputs, &outputs)?;
    let mut outputs = outputs;
    let mut lanes = op.new_lanes();
    formula_run(n, &inputs, &mut outputs, f, Some((op, reduce, &mut lanes)));
    Ok(op.finish_lanes(lanes))
}

/// The reduction `op` of `f`'s single result over every `i` (lane order of
/// [`ReduceOp`]), run on blocks of [`BLOCK_LANES`] lanes; nothing is stored.
///
/// # Errors
/// [`SliceError::LengthMismatch`] if the inputs differ in length.
#[inline(always)]
pub fn reduce_formula<T: Element, const K: usize>(
    op: ReduceOp,
    inputs: [&[T]; K],
    f: &impl Formula<K, 1>,
) -> Result<T, SliceError> {
    let n = common_len(&inputs, &[])?;
    let mut lanes = op.new_lanes();
    formula_run(n, &inputs, &mut [], f, Some((op, 0, &mut lanes)));
    Ok(op.finish_lanes(lanes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_mismatch_names_the_slice() {
        let a = [1.0_f64; 3];
        let b = [1.0_f64; 2];
        let mut o = [0.0_f64; 3];
        let e = map_slices([&a, &b], [&mut o], |[x, y]| [x + y]).unwrap_err();
        assert_eq!(
            e,
            SliceError::LengthMismatch {
                role: SliceRole::Input,
                index: 1,
                expected: 3,
                found: 2
            }
        );
        let mut short = [0.0_f64; 1];
        let e = map_slices([&a], [&mut short], |[x]| [x]).unwrap_err();
        assert!(matches!(
            e,
            SliceError::LengthMismatch {
                role: SliceRole::Output,
                index: 0,
                ..
            }
        ));
    }

    #[test]
    fn reduce_over_more_than_one_block() {
        let x: [f64; 200] = core::array::from_fn(|i| i as f64);
        let s = reduce_slices(ReduceOp::Sum, [&x], |[v]| v).unwrap();
        assert_eq!(s, 199.0 * 200.0 / 2.0);
        let m = reduce_slices(ReduceOp::Max, [&x], |[v]| v).unwrap();
        assert_eq!(m, 199.0);
        let any = reduce_slices(ReduceOp::Any, [&x], |[v]| f64::truth(v > 198.5)).unwrap();
        assert_eq!(any, 1.0);
        let e: [f64; 0] = [];
        assert_eq!(reduce_slices(ReduceOp::Prod, [&e], |[v]| v).unwrap(), 1.0);
    }
}
