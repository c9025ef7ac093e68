//! What can be wrong with a program or with the arguments it is run on.

use alloc::string::String;
use core::fmt;
use core::ops::Range;

use super::op::ValueKind;
use super::real::DType;
use crate::simd::SimdError;

/// An invalid program, or invalid arguments to run one. Every variant names the pattern
/// (an output array or reduction name) or array concerned and the offending values.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IrError {
    /// A name that is not an identifier (letters, digits, `_`; not starting with a digit).
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// Two arrays or reductions with one name.
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// A map or reduction whose expression reads no array, so it has no length;
    /// a comprehension (explicit range) is needed.
    UnknownLength {
        /// The output array or reduction.
        pattern: String,
    },
    /// A map or reduction reads arrays of different lengths.
    LengthMismatch {
        /// The output array or reduction.
        pattern: String,
        /// The array with the wrong length.
        array: String,
        /// Its length.
        len: usize,
        /// The pattern's length.
        expected: usize,
        /// The array the pattern's length was taken from.
        expected_from: String,
    },
    /// A read `array[i + offset]` leaves the array for some `i` of the index range.
    OffsetOutOfBounds {
        /// The output array or reduction.
        pattern: String,
        /// The array read.
        array: String,
        /// Its length.
        len: usize,
        /// The read's offset.
        offset: isize,
        /// The pattern's index range.
        range: Range<usize>,
    },
    /// An index range with `start > end`.
    InvalidRange {
        /// The output array or reduction.
        pattern: String,
        /// The range given.
        range: Range<usize>,
    },
    /// A number where a boolean is needed, or the reverse.
    KindMismatch {
        /// What was being built.
        pattern: String,
        /// The kind required.
        expected: ValueKind,
        /// The kind given.
        found: ValueKind,
    },
    /// Handles of two different builders were combined.
    MixedBuilders,
    /// An operation needs a plain array read (e.g. [`Builder::keep`](crate::ir::Builder::keep))
    /// but got another expression.
    NotAnArray {
        /// The operation.
        operation: &'static str,
    },
    /// A program input cannot be marked as a result.
    InputAsResult {
        /// The input array.
        array: String,
    },
    /// A plan or evaluation was asked for another element type than the program's.
    DTypeMismatch {
        /// The program's element type.
        program: DType,
        /// The requested element type.
        requested: DType,
    },
    /// Wrong number of input or output slices.
    ArgumentCount {
        /// `"inputs"` or `"outputs"`.
        what: &'static str,
        /// The number required.
        expected: usize,
        /// The number given.
        found: usize,
    },
    /// An input or output slice of the wrong length.
    ArgumentLength {
        /// `"input"` or `"output"`.
        what: &'static str,
        /// The array it stands for.
        array: String,
        /// The length required.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A range to run is not inside the loop's index range.
    RangeOutsideDomain {
        /// The range asked for.
        range: Range<usize>,
        /// The loop's index range.
        domain: Range<usize>,
    },
    /// The SIMD path a run asked for cannot run on this CPU.
    Simd(SimdError),
}

impl fmt::Display for IrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IrError::InvalidName { name } => write!(
                f,
                "`{name}` is not a valid name (use letters, digits and `_`, not starting with a digit)"
            ),
            IrError::DuplicateName { name } => write!(f, "the name `{name}` is used twice"),
            IrError::UnknownLength { pattern } => write!(
                f,
                "`{pattern}` reads no array, so its length is unknown; use a comprehension with an explicit range"
            ),
            IrError::LengthMismatch {
                pattern,
                array,
                len,
                expected,
                expected_from,
            } => write!(
                f,
                "`{pattern}` reads `{array}` of length {len}, but its length is {expected} (from `{expected_from}`)"
            ),
            IrError::OffsetOutOfBounds {
                pattern,
                array,
                len,
                offset,
                range,
            } => write!(
                f,
                "`{pattern}` reads `{array}` at offset {offset:+} over the index range {}..{}, \
                 i.e. elements {}..{}, but `{array}` has length {len}",
                range.start,
                range.end,
                range.start as i128 + *offset as i128,
                range.end as i128 + *offset as i128,
            ),
            IrError::InvalidRange { pattern, range } => write!(
                f,
                "`{pattern}` has the index range {}..{}, whose start is past its end",
                range.start, range.end
            ),
            IrError::KindMismatch {
                pattern,
                expected,
                found,
            } => write!(
                f,
                "`{pattern}` needs a {expected:?} value but got a {found:?} one"
            ),
            IrError::MixedBuilders => {
                f.write_str("expressions from two different program builders were combined")
            }
            IrError::NotAnArray { operation } => {
                write!(
                    f,
                    "`{operation}` needs a plain array, not a computed expression"
                )
            }
            IrError::InputAsResult { array } => {
                write!(
                    f,
                    "`{array}` is a program input and cannot be marked as a result"
                )
            }
            IrError::DTypeMismatch { program, requested } => write!(
                f,
                "the program computes in {program} but {requested} was requested"
            ),
            IrError::ArgumentCount {
                what,
                expected,
                found,
            } => write!(f, "expected {expected} {what} but got {found}"),
            IrError::ArgumentLength {
                what,
                array,
                expected,
                found,
            } => write!(
                f,
                "the {what} slice for `{array}` has length {found}, expected {expected}"
            ),
            IrError::RangeOutsideDomain { range, domain } => write!(
                f,
                "the range {}..{} is not inside the loop's index range {}..{}",
                range.start, range.end, domain.start, domain.end
            ),
            IrError::Simd(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for IrError {}

impl From<SimdError> for IrError {
    fn from(e: SimdError) -> Self {
        IrError::Simd(e)
    }
}
