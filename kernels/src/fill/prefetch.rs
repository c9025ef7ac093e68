//! Prefetching the next block column while [`populate`](super::populate) visits the
//! blocks of this one.
//!
//! `populate` hands its closure one block at a time, and the blocks of a block
//! column interleave in storage: each block owns `λ + μ + 1` consecutive entries of
//! every storage column, so a block's pass touches a part of every cache line of
//! the block column and the next block's pass touches the same lines again. For a
//! matrix larger than the cache, the first pass over each line waits for memory,
//! and the hardware prefetchers follow such a strided, partial-line walk poorly.
//! [`ColumnPrefetch`] asks for the next block column's lines ahead: before each
//! block of a column, one block's share of the next column's lines, so the whole
//! next column has been requested by the time its first block starts.
//!
//! Measured in-process (alternating runs, `populate` with `BlockViewMut::fill` on
//! the N = M = 500 case, on 1 and 2 threads), L1 prefetches (`prefetcht0`) save a
//! clear share of the time and L2 prefetches (`prefetcht1`) much less. A matrix
//! that fits the cache gains nothing and pays for the prefetch instructions (it
//! ran slower at N = M = 10), so matrices below
//! [`STREAM_MIN_BYTES`](super::STREAM_MIN_BYTES) are not prefetched.

use core::ops::Range;

use super::BandedBlockBandedSizes;

/// Cache line size assumed for the prefetch stride.
const LINE: usize = 64;

/// The next block column's storage, requested one share per block of the current
/// column.
#[derive(Debug)]
pub(crate) struct ColumnPrefetch {
    /// Byte offsets, within the worker's region, of the lines still to request.
    next: Range<usize>,
    /// Bytes requested per block of the current column.
    share: usize,
}

impl ColumnPrefetch {
    /// Nothing to prefetch.
    pub(crate) const NONE: ColumnPrefetch = ColumnPrefetch {
        next: 0..0,
        share: 0,
    };

    /// The prefetch for the block column after `block_col`, if it lies inside this
    /// worker's run (`block_col + 1 < end`) and `enabled`; `base` is the storage
    /// index where the worker's region starts.
    pub(crate) fn after<T>(
        sizes: &BandedBlockBandedSizes,
        base: usize,
        block_col: usize,
        end: usize,
        enabled: bool,
    ) -> Self {
        if !enabled || block_col + 1 >= end {
            return Self::NONE;
        }
        let storage = sizes.block_columns_range(block_col + 1..block_col + 2);
        let next = (storage.start - base) * size_of::<T>()..(storage.end - base) * size_of::<T>();
        let blocks = sizes.block_col_support(block_col).len().max(1);
        let share = next.len().div_ceil(blocks).next_multiple_of(LINE);
        ColumnPrefetch { next, share }
    }

    /// The byte offsets (within the region) of the next share: at most `share`
    /// bytes, from where the last share ended.
    fn take_share(&mut self) -> Range<usize> {
        let stop = self
            .next
            .end
            .min(self.next.start.saturating_add(self.share));
        let share = self.next.start..stop;
        self.next.start = stop;
        share
    }

    /// Requests the next share of lines of the region starting at `region`: every
    /// cache line that holds a byte of the share, so a share that starts or ends
    /// inside a line still covers it.
    #[inline]
    pub(crate) fn step<T>(&mut self, region: *const T) {
        let share = self.take_share();
        if share.is_empty() {
            return;
        }
        let first = region.cast::<i8>().wrapping_add(share.start);
        let end = first.wrapping_add(share.len());
        // Back to the start of the line holding the first byte (at most 63 bytes
        // before the share: a prefetch there is harmless).
        let mut line = first.wrapping_sub(first as usize % LINE);
        while (line as usize) < end as usize {
            prefetch_line(line);
            line = line.wrapping_add(LINE);
        }
    }
}

/// Asks for the cache line at `p` in L1; a hint, never a fault.
#[inline(always)]
fn prefetch_line(p: *const i8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch does not dereference `p` in the program's semantics and
    // cannot fault, whatever the address; SSE is in the x86_64 baseline.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For every worker run of block columns, the shares requested while visiting
    /// a block column are exactly the next block column's bytes, in order, inside
    /// the run's region.
    #[test]
    fn the_shares_cover_the_next_block_column_inside_the_region() {
        let rows = [3, 0, 5, 4, 7, 2, 6];
        let cols = [4, 6, 0, 3, 5, 1, 8];
        let sizes = BandedBlockBandedSizes::new(&rows, &cols, 1, 2, 1, 0).unwrap();
        let n = sizes.col_blocks();
        for start in 0..n {
            for end in start + 1..=n {
                let region = sizes.block_columns_range(start..end);
                let base = region.start;
                let region_bytes = region.len() * size_of::<f64>();
                for block_col in start..end {
                    let mut p = ColumnPrefetch::after::<f64>(&sizes, base, block_col, end, true);
                    let blocks = sizes.block_col_support(block_col).len();
                    let mut covered = Vec::new();
                    for _ in 0..blocks {
                        let share = p.take_share();
                        assert!(share.end <= region_bytes, "{share:?} past {region_bytes}");
                        covered.extend(share);
                    }
                    let want: Vec<usize> = if block_col + 1 < end && blocks > 0 {
                        let next = sizes.block_columns_range(block_col + 1..block_col + 2);
                        ((next.start - base) * 8..(next.end - base) * 8).collect()
                    } else {
                        Vec::new()
                    };
                    assert_eq!(covered, want, "run {start}..{end}, column {block_col}");
                    let off = ColumnPrefetch::after::<f64>(&sizes, base, block_col, end, false);
                    assert!(off.next.is_empty());
                }
            }
        }
    }
}
