//! The stored blocks of a banded-block-banded matrix, in storage order.
//!
//! Storage order is block column by block column (`J` increasing) and, inside a
//! block column, `K` increasing — the order in which the blocks' slabs appear in
//! memory. Each item carries its stored-entry count, the cost weight a scheduler
//! balances, and the [`BlockLayout`] a kernel needs to touch it.

use core::iter::FusedIterator;
use core::ops::Range;

use super::{BandedBlockBandedSizes, BlockLayout};

/// One stored (in-band) block `(K, J)`: its position, shape, cost and layout.
///
/// A block is *stored* when `-l ≤ J − K ≤ u`, as in BlockBandedMatrices.jl; it may
/// still hold no entries (zero-size block, or a sub-band with `λ + μ + 1 ≤ 0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BandedBlock {
    /// Block row index `K`.
    pub block_row: usize,
    /// Block column index `J`.
    pub block_col: usize,
    /// Number of rows of the block (`rows[K]`).
    pub rows: usize,
    /// Number of columns of the block (`cols[J]`).
    pub cols: usize,
    /// Number of stored entries in the block: the cost weight a scheduler balances.
    pub entries: usize,
    /// Where the block's entries live in the storage.
    pub layout: BlockLayout,
}

impl BandedBlock {
    /// The storage span of the block's slab (see [`BlockLayout::slab`]).
    #[inline]
    pub fn slab(&self) -> Range<usize> {
        self.layout.slab()
    }
}

/// Iterator over the stored blocks of a [`BandedBlockBandedSizes`] in storage order.
///
/// Created by [`BandedBlockBandedSizes::blocks`]. Exact-size; O(1) per block plus
/// O(1) per block column skipped.
#[derive(Clone, Debug)]
pub struct NonzeroBlocks<'a> {
    sizes: BandedBlockBandedSizes<&'a [usize]>,
    block_col: usize,
    next_row: usize,
    rows_end: usize,
    remaining: usize,
}

impl<'a> NonzeroBlocks<'a> {
    pub(crate) fn new(sizes: BandedBlockBandedSizes<&'a [usize]>) -> Self {
        let support = if sizes.col_blocks() > 0 {
            sizes.block_col_support(0)
        } else {
            0..0
        };
        Self {
            remaining: sizes.nonzero_block_count(),
            sizes,
            block_col: 0,
            next_row: support.start,
            rows_end: support.end,
        }
    }
}

impl Iterator for NonzeroBlocks<'_> {
    type Item = BandedBlock;

    #[inline]
    fn next(&mut self) -> Option<BandedBlock> {
        if self.remaining == 0 {
            return None;
        }
        while self.next_row >= self.rows_end {
            self.block_col += 1;
            let support = self.sizes.block_col_support(self.block_col);
            self.next_row = support.start;
            self.rows_end = support.end;
        }
        let block = self.sizes.stored_block(self.next_row, self.block_col);
        self.next_row += 1;
        self.remaining -= 1;
        Some(block)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for NonzeroBlocks<'_> {}
impl FusedIterator for NonzeroBlocks<'_> {}
