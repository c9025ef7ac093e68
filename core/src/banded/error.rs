//! Why a banded-block-banded size description was rejected.
//!
//! Construction is the only place where sizes are checked: it proves that every
//! total (row and column sums, storage rows, storage length) fits, so the hot
//! accessors afterwards can use plain arithmetic. Each variant names the values
//! that failed, so the caller can see what was absurd.

use core::fmt;

/// Which axis of the block structure a size error concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockAxis {
    /// The row blocks (`rows`, block index `K`).
    Rows,
    /// The column blocks (`cols`, block index `J`).
    Cols,
}

impl fmt::Display for BlockAxis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlockAxis::Rows => "row",
            BlockAxis::Cols => "column",
        })
    }
}

/// A rejected banded-block-banded size description.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SizeError {
    /// `lower + upper + 1` exceeds `isize::MAX` (block bandwidths `(l, u)`).
    BlockBandOverflow {
        /// The block lower bandwidth `l`.
        lower: isize,
        /// The block upper bandwidth `u`.
        upper: isize,
    },
    /// `lower + upper + 1` exceeds `isize::MAX` (sub-block bandwidths `(λ, μ)`).
    SubBandOverflow {
        /// The sub-block lower bandwidth `λ`.
        lower: isize,
        /// The sub-block upper bandwidth `μ`.
        upper: isize,
    },
    /// `(l+u+1)·(λ+μ+1)`, the number of storage rows, overflows `isize`.
    StorageRowsOverflow {
        /// `l + u + 1`, the number of stored block diagonals.
        block_diagonals: usize,
        /// `λ + μ + 1`, the number of stored diagonals inside a block.
        subblock_diagonals: usize,
    },
    /// The sum of the block sizes along `axis` exceeds `isize::MAX` when block
    /// `block` (of size `size`) is added.
    SizeSumOverflow {
        /// The axis whose sizes overflow.
        axis: BlockAxis,
        /// Index of the block whose size pushed the sum over.
        block: usize,
        /// That block's size.
        size: usize,
    },
    /// `storage_rows · Σ cols` exceeds `isize::MAX` entries.
    StorageOverflow {
        /// Storage rows, `(l+u+1)(λ+μ+1)`.
        storage_rows: usize,
        /// Storage columns, `Σ cols`.
        storage_cols: usize,
    },
    /// A caller-provided offset buffer has the wrong length (it needs one more
    /// entry than there are blocks).
    BufferLength {
        /// The axis of the buffer.
        axis: BlockAxis,
        /// The required length (`blocks + 1`).
        expected: usize,
        /// The length provided.
        actual: usize,
    },
    /// A caller-provided cumulative offset buffer is empty, does not start at 0,
    /// or decreases at `index`.
    BadOffsets {
        /// The axis of the buffer.
        axis: BlockAxis,
        /// The first index at which the offsets are invalid.
        index: usize,
    },
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SizeError::BlockBandOverflow { lower, upper } => write!(
                f,
                "block bandwidths l = {lower}, u = {upper}: l + u + 1 exceeds isize::MAX"
            ),
            SizeError::SubBandOverflow { lower, upper } => write!(
                f,
                "sub-block bandwidths λ = {lower}, μ = {upper}: λ + μ + 1 exceeds isize::MAX"
            ),
            SizeError::StorageRowsOverflow {
                block_diagonals,
                subblock_diagonals,
            } => write!(
                f,
                "storage rows (l+u+1)(λ+μ+1) = {block_diagonals} × {subblock_diagonals} overflow isize"
            ),
            SizeError::SizeSumOverflow { axis, block, size } => write!(
                f,
                "sum of {axis} block sizes exceeds isize::MAX at block {block} (size {size})"
            ),
            SizeError::StorageOverflow {
                storage_rows,
                storage_cols,
            } => write!(
                f,
                "storage of {storage_rows} rows × {storage_cols} columns exceeds isize::MAX entries"
            ),
            SizeError::BufferLength {
                axis,
                expected,
                actual,
            } => write!(
                f,
                "{axis} offset buffer has length {actual}, expected {expected} (blocks + 1)"
            ),
            SizeError::BadOffsets { axis, index } => write!(
                f,
                "{axis} offsets are not cumulative sizes starting at 0 (invalid at index {index})"
            ),
        }
    }
}

impl core::error::Error for SizeError {}
