//! The heap-free executors: a staged formula run over caller slices.
//!
//! These are what an embedded user (no `alloc`) gets, and what a kernel's fast path
//! calls on each chunk: the formula is an ordinary Rust closure, usually a generic
//! [`Real`](crate::ir::Real) function instantiated at `f64` or `f32`, so the loop is
//! fully fused and LLVM vectorises it. Reductions use the fixed lane order of
//! [`ReduceOp`], so their results are bit-identical to the interpreter's
//! ([`Stage::run_range`](crate::ir::Stage::run_range)) for the same range.
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

use super::op::ReduceOp;
use super::real::Element;

/// Elements computed per block before they are folded into the reduction lanes; a
/// multiple of [`LANES`](crate::ir::LANES) small enough to live on the stack.
const BLOCK: usize = 64;

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
}

impl fmt::Display for SliceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
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
    let mut buf = [T::ZERO; BLOCK];
    let mut start = 0;
    while start < n {
        let len = BLOCK.min(n - start);
        let ins: [&[T]; K] = core::array::from_fn(|k| &inputs[k][start..start + len]);
        let mut block: [&mut [T]; M] = outs.each_mut().map(|o| &mut o[start..start + len]);
        let vals = &mut buf[..len];
        for (i, v) in vals.iter_mut().enumerate() {
            let (y, r) = f(core::array::from_fn(|k| ins[k][i]));
            for (o, y) in block.iter_mut().zip(y) {
                o[i] = y;
            }
            *v = r;
        }
        op.fold_lanes(&mut lanes, vals);
        start += len;
    }
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
