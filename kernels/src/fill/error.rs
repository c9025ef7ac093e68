//! Why a banded-block-banded matrix could not be built or written.
//!
//! Two kinds of failure: building the storage ([`FillError`]: absurd sizes, or a
//! storage the allocator refuses), and writing through a block view
//! ([`BandError`]: an index outside the block, or a nonzero value outside the
//! sub-block band, as BlockBandedMatrices.jl's `BandError`). Each variant names
//! the values involved.

use core::fmt;

use accel_core::banded::SizeError;

/// A matrix that could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillError {
    /// The block sizes or bandwidths were rejected by
    /// [`BandedBlockBandedSizes::new`](accel_core::banded::BandedBlockBandedSizes::new).
    Size(SizeError),
    /// The allocator refused the storage array.
    StorageAlloc {
        /// Storage entries requested (padding included).
        entries: usize,
        /// Bytes requested (saturated at `usize::MAX`).
        bytes: usize,
    },
}

impl fmt::Display for FillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FillError::Size(e) => write!(f, "invalid banded-block-banded sizes: {e}"),
            FillError::StorageAlloc { entries, bytes } => write!(
                f,
                "cannot allocate the matrix storage: {entries} entries ({bytes} bytes)"
            ),
        }
    }
}

impl std::error::Error for FillError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FillError::Size(e) => Some(e),
            FillError::StorageAlloc { .. } => None,
        }
    }
}

impl From<SizeError> for FillError {
    fn from(e: SizeError) -> Self {
        FillError::Size(e)
    }
}

/// A rejected access through a block view ([`BlockViewMut`](super::BlockViewMut)).
///
/// Reading outside the sub-block band gives zero and writing zero there is a
/// no-op, as in BlockBandedMatrices.jl; only a *nonzero* write outside the band,
/// or any access outside the block, is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BandError {
    /// Local entry `(k, j)` is not inside the `rows × cols` block `(K, J)`.
    OutsideBlock {
        /// Block row `K`.
        block_row: usize,
        /// Block column `J`.
        block_col: usize,
        /// The local row asked for.
        k: usize,
        /// The local column asked for.
        j: usize,
        /// Rows of the block.
        rows: usize,
        /// Columns of the block.
        cols: usize,
    },
    /// A nonzero value was written to local entry `(k, j)` of block `(K, J)`,
    /// which lies outside the sub-block band `-λ ≤ j − k ≤ μ`.
    OutsideBand {
        /// Block row `K`.
        block_row: usize,
        /// Block column `J`.
        block_col: usize,
        /// The local row written.
        k: usize,
        /// The local column written.
        j: usize,
        /// Sub-block lower bandwidth `λ`.
        lambda: isize,
        /// Sub-block upper bandwidth `μ`.
        mu: isize,
    },
}

impl fmt::Display for BandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BandError::OutsideBlock {
                block_row,
                block_col,
                k,
                j,
                rows,
                cols,
            } => write!(
                f,
                "entry ({k}, {j}) is outside block ({block_row}, {block_col}) of size {rows}×{cols}"
            ),
            BandError::OutsideBand {
                block_row,
                block_col,
                k,
                j,
                lambda,
                mu,
            } => write!(
                f,
                "cannot write a nonzero value to entry ({k}, {j}) of block ({block_row}, {block_col}): \
                 j − k = {} is outside the sub-block band (λ, μ) = ({lambda}, {mu})",
                j as i128 - k as i128
            ),
        }
    }
}

impl std::error::Error for BandError {}
