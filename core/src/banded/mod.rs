//! The BlockBandedMatrices.jl storage layout of a banded-block-banded matrix.
//!
//! A banded-block-banded matrix is cut into row blocks of sizes `rows[0..N)` and
//! column blocks of sizes `cols[0..M)` (variable, not necessarily square). Block
//! `(K, J)` is stored iff `-l ≤ J − K ≤ u` (block bandwidths `(l, u)`); inside a
//! stored block, local entry `(k, j)` is stored iff `-λ ≤ j − k ≤ μ` (sub-block
//! bandwidths `(λ, μ)`). All four bandwidths are signed and may be negative.
//!
//! All entries live in one column-major array of `(l+u+1)(λ+μ+1)` rows (0 when
//! either factor is ≤ 0) by `Σ cols` columns. Entry `(k, j)` of block `(K, J)`
//! is at storage row `(u + K − J)(λ+μ+1) + (μ + k − j)`, column `coloff[J] + j`
//! (0-based), so every block column is one contiguous slab of storage. This is
//! exactly the layout of `BandedBlockBandedMatrix` in BlockBandedMatrices.jl.
//!
//! [`BandedBlockBandedSizes`] checks all sizes once, at construction (overflow is
//! a [`SizeError`], never a panic or a wrap), and then answers the questions a
//! parallel fill asks in O(1): the storage offset of any entry, the stored blocks
//! in storage order with their entry counts ([`NonzeroBlocks`]), the contiguous
//! storage range of a block column, and the [`BlockLayout`] of one block.
//! Without the `alloc` feature it works over caller-provided offset buffers
//! ([`BandedBlockBandedSizes::from_buffers`]).
//!
//! ```
//! use accel_core::banded::BandedBlockBandedSizes;
//! // ARCHITECTURE.md §5.1's first check vector: 2 + 3 square blocks, (l,u) = (0,1), (λ,μ) = (1,1).
//! let sizes = BandedBlockBandedSizes::new(&[2, 3], &[2, 3], 0, 1, 1, 1).unwrap();
//! assert_eq!(sizes.storage_rows(), 2 * 3);
//! assert_eq!(sizes.storage_cols(), 5);
//! assert_eq!(sizes.offset(1, 0, 0, 0), None); // block (1, 0) is below the block band
//! let ks: Vec<_> = sizes.blocks().map(|b| (b.block_row, b.block_col, b.entries)).collect();
//! assert_eq!(ks, [(0, 0, 4), (0, 1, 5), (1, 1, 7)]);
//! assert_eq!(sizes.stored_entries(), 16);
//! ```

mod blocks;
mod error;
mod layout;

pub use blocks::{BandedBlock, NonzeroBlocks};
pub use error::{BlockAxis, SizeError};
pub use layout::BlockLayout;

#[cfg(feature = "alloc")]
use alloc::vec::Vec;
use core::ops::Range;

/// The offset storage [`BandedBlockBandedSizes`] uses when none is named: a
/// borrowed slice, with or without the `alloc` feature.
///
/// The default is the same in every build so that `alloc` stays additive: a
/// `no_std` crate that names `BandedBlockBandedSizes` keeps compiling when
/// another crate in the build turns `alloc` on. With `alloc`,
/// [`BandedBlockBandedSizes::new`] returns the heap-backed [`OwnedBandedSizes`].
///
/// ```
/// use accel_core::banded::BandedBlockBandedSizes;
/// static ROWS: [usize; 3] = [0, 2, 4];
/// static COLS: [usize; 2] = [0, 3];
/// let s: BandedBlockBandedSizes = BandedBlockBandedSizes::from_offsets(&ROWS[..], &COLS[..], 1, 0, 0, 0)?;
/// // Two 2×3 blocks on the block diagonal and below it, each holding its diagonal.
/// assert_eq!(s.stored_entries(), 2 + 2);
/// # Ok::<(), accel_core::banded::SizeError>(())
/// ```
pub type DefaultOffsets = &'static [usize];

/// Sizes whose offsets live on the heap: what [`BandedBlockBandedSizes::new`]
/// returns (`alloc` feature).
#[cfg(feature = "alloc")]
pub type OwnedBandedSizes = BandedBlockBandedSizes<Vec<usize>>;

/// The validated sizes and bandwidths of a banded-block-banded matrix, and its
/// storage layout (see the [module docs](self)).
///
/// `S` holds the cumulative block offsets (`N + 1` row offsets and `M + 1`
/// column offsets, starting at 0): a `Vec<usize>` from [`new`](Self::new), or any
/// caller-provided buffer (`[usize; n]`, `&[usize]`, `&mut [usize]`) from
/// [`from_buffers`](Self::from_buffers) / [`from_offsets`](Self::from_offsets).
///
/// Construction proves that the size sums, the storage rows and the storage
/// length fit in `isize`, so every accessor is plain O(1) arithmetic (except
/// [`dense_offset`](Self::dense_offset), a binary search, and
/// [`column_entries`](Self::column_entries), linear in the blocks of one column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BandedBlockBandedSizes<S = DefaultOffsets> {
    row_offsets: S,
    col_offsets: S,
    l: isize,
    u: isize,
    lambda: isize,
    mu: isize,
    block_diagonals: usize,
    subblock_diagonals: usize,
    storage_rows: usize,
    storage_len: usize,
    stored_entries: usize,
    nonzero_blocks: usize,
}

#[cfg(feature = "alloc")]
impl BandedBlockBandedSizes<Vec<usize>> {
    /// Validates the block sizes and bandwidths and builds the layout, with
    /// heap-allocated offsets.
    ///
    /// `rows[K]` / `cols[J]` are the row / column block sizes, `(l, u)` the block
    /// bandwidths and `(lambda, mu)` = `(λ, μ)` the sub-block bandwidths.
    ///
    /// # Errors
    /// A [`SizeError`] naming the values when a size sum exceeds `isize::MAX`,
    /// `l + u + 1` or `λ + μ + 1` overflows, or the storage would exceed
    /// `isize::MAX` entries.
    ///
    /// ```
    /// use accel_core::banded::{BandedBlockBandedSizes, SizeError};
    /// let s = BandedBlockBandedSizes::new(&[3, 3], &[2, 4], 1, 0, 0, 1).unwrap();
    /// assert_eq!((s.storage_rows(), s.storage_cols()), (4, 6));
    /// assert!(matches!(
    ///     BandedBlockBandedSizes::new(&[1], &[1], isize::MAX, 1, 0, 0),
    ///     Err(SizeError::BlockBandOverflow { .. })
    /// ));
    /// ```
    pub fn new(
        rows: &[usize],
        cols: &[usize],
        l: isize,
        u: isize,
        lambda: isize,
        mu: isize,
    ) -> Result<Self, SizeError> {
        let row_offsets = alloc::vec![0; rows.len() + 1];
        let col_offsets = alloc::vec![0; cols.len() + 1];
        Self::from_buffers(rows, cols, l, u, lambda, mu, row_offsets, col_offsets)
    }
}

impl<S: AsRef<[usize]> + AsMut<[usize]>> BandedBlockBandedSizes<S> {
    /// Like [`new`](BandedBlockBandedSizes::new) but without a heap: the
    /// cumulative offsets are written into the caller's buffers, which must have
    /// exactly `rows.len() + 1` and `cols.len() + 1` entries.
    ///
    /// # Errors
    /// [`SizeError::BufferLength`] for a buffer of the wrong length, otherwise as
    /// [`new`](BandedBlockBandedSizes::new).
    ///
    /// ```
    /// use accel_core::banded::BandedBlockBandedSizes;
    /// let s = BandedBlockBandedSizes::from_buffers(
    ///     &[2, 6], &[1, 3], 0, 0, 4, 0, [0usize; 3], [0usize; 3],
    /// ).unwrap();
    /// assert_eq!(s.row_offsets(), &[0, 2, 8]);
    /// assert_eq!(s.stored_entries(), 2 + 14);
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn from_buffers(
        rows: &[usize],
        cols: &[usize],
        l: isize,
        u: isize,
        lambda: isize,
        mu: isize,
        mut row_offsets: S,
        mut col_offsets: S,
    ) -> Result<Self, SizeError> {
        fill_offsets(BlockAxis::Rows, rows, row_offsets.as_mut())?;
        fill_offsets(BlockAxis::Cols, cols, col_offsets.as_mut())?;
        Self::finish(row_offsets, col_offsets, l, u, lambda, mu)
    }
}

/// Writes the cumulative sums of `sizes` (starting at 0) into `out`, checking
/// that they stay within `isize::MAX`.
fn fill_offsets(axis: BlockAxis, sizes: &[usize], out: &mut [usize]) -> Result<(), SizeError> {
    if out.len() != sizes.len() + 1 {
        return Err(SizeError::BufferLength {
            axis,
            expected: sizes.len() + 1,
            actual: out.len(),
        });
    }
    let mut total = 0usize;
    out[0] = 0;
    for (block, (&size, slot)) in sizes.iter().zip(&mut out[1..]).enumerate() {
        total = total
            .checked_add(size)
            .filter(|&t| t <= isize::MAX as usize)
            .ok_or(SizeError::SizeSumOverflow { axis, block, size })?;
        *slot = total;
    }
    Ok(())
}

/// Checks that `offsets` are cumulative block sizes: non-empty, starting at 0,
/// non-decreasing, ending at most at `isize::MAX`.
fn check_offsets(axis: BlockAxis, offsets: &[usize]) -> Result<(), SizeError> {
    match offsets.first() {
        Some(0) => {}
        _ => return Err(SizeError::BadOffsets { axis, index: 0 }),
    }
    for (i, w) in offsets.windows(2).enumerate() {
        if w[1] < w[0] {
            return Err(SizeError::BadOffsets { axis, index: i + 1 });
        }
        if w[1] > isize::MAX as usize {
            return Err(SizeError::SizeSumOverflow {
                axis,
                block: i,
                size: w[1] - w[0],
            });
        }
    }
    Ok(())
}

/// `lower + upper + 1` clamped at 0 (a very negative sum just means "nothing
/// stored"), or `None` when it exceeds `isize::MAX`.
fn diagonals(lower: isize, upper: isize) -> Option<usize> {
    let n = lower as i128 + upper as i128 + 1;
    (n <= isize::MAX as i128).then(|| n.max(0) as usize)
}

impl<S: AsRef<[usize]>> BandedBlockBandedSizes<S> {
    /// Builds the layout from existing cumulative offsets (`N + 1` row offsets and
    /// `M + 1` column offsets, each starting at 0 and non-decreasing), without
    /// copying them: useful to share one offset table, or on targets without a heap.
    ///
    /// # Errors
    /// [`SizeError::BadOffsets`] when the offsets are not cumulative sizes,
    /// otherwise as [`new`](BandedBlockBandedSizes::new).
    ///
    /// ```
    /// use accel_core::banded::BandedBlockBandedSizes;
    /// static ROWS: [usize; 3] = [0, 2, 5];
    /// let s = BandedBlockBandedSizes::from_offsets(&ROWS[..], &ROWS[..], 0, 1, 1, 1).unwrap();
    /// assert_eq!(s.block_rows(1), 3);
    /// ```
    pub fn from_offsets(
        row_offsets: S,
        col_offsets: S,
        l: isize,
        u: isize,
        lambda: isize,
        mu: isize,
    ) -> Result<Self, SizeError> {
        check_offsets(BlockAxis::Rows, row_offsets.as_ref())?;
        check_offsets(BlockAxis::Cols, col_offsets.as_ref())?;
        Self::finish(row_offsets, col_offsets, l, u, lambda, mu)
    }

    /// The common tail of every constructor; the offsets are already valid.
    fn finish(
        row_offsets: S,
        col_offsets: S,
        l: isize,
        u: isize,
        lambda: isize,
        mu: isize,
    ) -> Result<Self, SizeError> {
        let block_diagonals =
            diagonals(l, u).ok_or(SizeError::BlockBandOverflow { lower: l, upper: u })?;
        let subblock_diagonals = diagonals(lambda, mu).ok_or(SizeError::SubBandOverflow {
            lower: lambda,
            upper: mu,
        })?;
        let storage_rows = block_diagonals
            .checked_mul(subblock_diagonals)
            .filter(|&r| r <= isize::MAX as usize)
            .ok_or(SizeError::StorageRowsOverflow {
                block_diagonals,
                subblock_diagonals,
            })?;
        let storage_cols = *col_offsets.as_ref().last().unwrap_or(&0);
        let storage_len = storage_rows
            .checked_mul(storage_cols)
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or(SizeError::StorageOverflow {
                storage_rows,
                storage_cols,
            })?;
        let mut sizes = Self {
            row_offsets,
            col_offsets,
            l,
            u,
            lambda,
            mu,
            block_diagonals,
            subblock_diagonals,
            storage_rows,
            storage_len,
            stored_entries: 0,
            nonzero_blocks: 0,
        };
        // Every stored entry has its own storage index below storage_len, so
        // these sums cannot overflow.
        let (mut entries, mut blocks) = (0usize, 0usize);
        for j in 0..sizes.col_blocks() {
            let support = sizes.block_col_support(j);
            blocks += support.len();
            entries += sizes.column_entries_in(j, support);
        }
        sizes.stored_entries = entries;
        sizes.nonzero_blocks = blocks;
        Ok(sizes)
    }

    /// A borrowed, `Copy` view of the same sizes (no allocation).
    #[inline]
    pub fn as_borrowed(&self) -> BandedBlockBandedSizes<&[usize]> {
        BandedBlockBandedSizes {
            row_offsets: self.row_offsets.as_ref(),
            col_offsets: self.col_offsets.as_ref(),
            l: self.l,
            u: self.u,
            lambda: self.lambda,
            mu: self.mu,
            block_diagonals: self.block_diagonals,
            subblock_diagonals: self.subblock_diagonals,
            storage_rows: self.storage_rows,
            storage_len: self.storage_len,
            stored_entries: self.stored_entries,
            nonzero_blocks: self.nonzero_blocks,
        }
    }

    /// Number of row blocks `N`.
    #[inline]
    pub fn row_blocks(&self) -> usize {
        self.row_offsets.as_ref().len() - 1
    }

    /// Number of column blocks `M`.
    #[inline]
    pub fn col_blocks(&self) -> usize {
        self.col_offsets.as_ref().len() - 1
    }

    /// Size of row block `K`. Panics if `K ≥ N`.
    #[inline]
    pub fn block_rows(&self, block_row: usize) -> usize {
        let o = self.row_offsets.as_ref();
        o[block_row + 1] - o[block_row]
    }

    /// Size of column block `J`. Panics if `J ≥ M`.
    #[inline]
    pub fn block_cols(&self, block_col: usize) -> usize {
        let o = self.col_offsets.as_ref();
        o[block_col + 1] - o[block_col]
    }

    /// First global row of row block `K` (`K = N` gives the total rows). Panics if `K > N`.
    #[inline]
    pub fn row_offset(&self, block_row: usize) -> usize {
        self.row_offsets.as_ref()[block_row]
    }

    /// First global column of column block `J` (`J = M` gives the total columns).
    /// Panics if `J > M`.
    #[inline]
    pub fn col_offset(&self, block_col: usize) -> usize {
        self.col_offsets.as_ref()[block_col]
    }

    /// The `N + 1` cumulative row offsets, starting at 0.
    #[inline]
    pub fn row_offsets(&self) -> &[usize] {
        self.row_offsets.as_ref()
    }

    /// The `M + 1` cumulative column offsets, starting at 0.
    #[inline]
    pub fn col_offsets(&self) -> &[usize] {
        self.col_offsets.as_ref()
    }

    /// Total number of matrix rows, `Σ rows`.
    #[inline]
    pub fn total_rows(&self) -> usize {
        self.row_offset(self.row_blocks())
    }

    /// Total number of matrix columns, `Σ cols`.
    #[inline]
    pub fn total_cols(&self) -> usize {
        self.col_offset(self.col_blocks())
    }

    /// The block bandwidths `(l, u)`.
    #[inline]
    pub fn block_bandwidths(&self) -> (isize, isize) {
        (self.l, self.u)
    }

    /// The sub-block bandwidths `(λ, μ)`.
    #[inline]
    pub fn subblock_bandwidths(&self) -> (isize, isize) {
        (self.lambda, self.mu)
    }

    /// `max(0, l + u + 1)`: the number of block diagonals stored.
    #[inline]
    pub fn block_diagonals(&self) -> usize {
        self.block_diagonals
    }

    /// `max(0, λ + μ + 1)`: the number of diagonals stored inside a block.
    #[inline]
    pub fn subblock_diagonals(&self) -> usize {
        self.subblock_diagonals
    }

    /// Storage rows, the leading dimension: `(l+u+1)(λ+μ+1)`, or 0 when either
    /// factor is ≤ 0.
    #[inline]
    pub fn storage_rows(&self) -> usize {
        self.storage_rows
    }

    /// Storage columns: `Σ cols`.
    #[inline]
    pub fn storage_cols(&self) -> usize {
        self.total_cols()
    }

    /// Length of the column-major storage array, `storage_rows · storage_cols`
    /// (it includes the padding entries that are never stored).
    #[inline]
    pub fn storage_len(&self) -> usize {
        self.storage_len
    }

    /// Total number of stored (in-band) entries: the sum of
    /// [`BandedBlock::entries`] over [`blocks`](Self::blocks).
    #[inline]
    pub fn stored_entries(&self) -> usize {
        self.stored_entries
    }

    /// Number of stored blocks (those with `-l ≤ J − K ≤ u`), including blocks
    /// that hold no entries.
    #[inline]
    pub fn nonzero_block_count(&self) -> usize {
        self.nonzero_blocks
    }

    /// Whether block `(K, J)` is inside the matrix and the block band.
    #[inline]
    pub fn is_block_stored(&self, block_row: usize, block_col: usize) -> bool {
        block_row < self.row_blocks()
            && block_col < self.col_blocks()
            && self.in_block_band(block_row, block_col)
    }

    /// `-l ≤ J − K ≤ u`, for in-range `K`, `J`.
    #[inline]
    fn in_block_band(&self, block_row: usize, block_col: usize) -> bool {
        // Block indices are below isize::MAX (slice lengths), so no overflow.
        let d = block_col as isize - block_row as isize;
        d <= self.u && -d <= self.l
    }

    /// The block rows `K` stored in block column `J`, `max(0, J−u) .. min(N, J+l+1)`
    /// (empty when `J ≥ M` or the band is empty).
    #[inline]
    pub fn block_col_support(&self, block_col: usize) -> Range<usize> {
        if block_col >= self.col_blocks() {
            return 0..0;
        }
        clamp_band(block_col, self.u, self.l, self.row_blocks())
    }

    /// The block columns `J` stored in block row `K`, `max(0, K−l) .. min(M, K+u+1)`
    /// (empty when `K ≥ N` or the band is empty).
    #[inline]
    pub fn block_row_support(&self, block_row: usize) -> Range<usize> {
        if block_row >= self.row_blocks() {
            return 0..0;
        }
        clamp_band(block_row, self.l, self.u, self.col_blocks())
    }

    /// The layout of a block already known to be stored.
    #[inline]
    fn stored_layout(&self, block_row: usize, block_col: usize) -> BlockLayout {
        // In band: u + K − J ∈ [0, l + u], and l + u + 1 fits isize.
        let band = (self.u - (block_col as isize - block_row as isize)) as usize;
        BlockLayout::new(
            self.col_offset(block_col) * self.storage_rows,
            band * self.subblock_diagonals,
            self.storage_rows,
            self.subblock_diagonals,
            self.block_rows(block_row),
            self.block_cols(block_col),
            self.lambda,
            self.mu,
        )
    }

    /// The block description of a block already known to be stored.
    #[inline]
    pub(crate) fn stored_block(&self, block_row: usize, block_col: usize) -> BandedBlock {
        let layout = self.stored_layout(block_row, block_col);
        BandedBlock {
            block_row,
            block_col,
            rows: layout.rows(),
            cols: layout.cols(),
            entries: layout.entries(),
            layout,
        }
    }

    /// The storage layout of block `(K, J)`, or `None` when it is not stored. O(1).
    #[inline]
    pub fn block_layout(&self, block_row: usize, block_col: usize) -> Option<BlockLayout> {
        self.is_block_stored(block_row, block_col)
            .then(|| self.stored_layout(block_row, block_col))
    }

    /// Block `(K, J)` with its shape, entry count and layout, or `None` when it is
    /// not stored. O(1).
    #[inline]
    pub fn block(&self, block_row: usize, block_col: usize) -> Option<BandedBlock> {
        self.is_block_stored(block_row, block_col)
            .then(|| self.stored_block(block_row, block_col))
    }

    /// Storage index (column-major, leading dimension
    /// [`storage_rows`](Self::storage_rows)) of local entry `(k, j)` of block
    /// `(K, J)`, or `None` when that entry is not stored. O(1).
    ///
    /// ```
    /// use accel_core::banded::BandedBlockBandedSizes;
    /// let s = BandedBlockBandedSizes::new(&[2, 3], &[2, 3], 0, 1, 1, 1).unwrap();
    /// // Row (u + K − J)(λ+μ+1) + (μ + k − j) = 0·3 + 1, column coloff[1] + 0 = 2.
    /// assert_eq!(s.offset(0, 1, 0, 0), Some(1 + 2 * 6));
    /// // Block (1, 1): row 1·3 + 1, column 2.
    /// assert_eq!(s.offset(1, 1, 0, 0), Some(4 + 2 * 6));
    /// assert_eq!(s.offset(0, 1, 0, 2), None); // outside the sub-band
    /// ```
    #[inline]
    pub fn offset(&self, block_row: usize, block_col: usize, k: usize, j: usize) -> Option<usize> {
        self.block_layout(block_row, block_col)?.index(k, j)
    }

    /// Storage index of global entry `(row, col)` of the matrix, or `None` when it
    /// is not stored. O(log N + log M) (binary search in the offsets); zero-size
    /// blocks are skipped.
    #[inline]
    pub fn dense_offset(&self, row: usize, col: usize) -> Option<usize> {
        let (bk, k) = locate(self.row_offsets.as_ref(), row)?;
        let (bj, j) = locate(self.col_offsets.as_ref(), col)?;
        self.offset(bk, bj, k, j)
    }

    /// The stored blocks in storage order (block column by block column, `K`
    /// increasing), each with its entry count and layout.
    #[inline]
    pub fn blocks(&self) -> NonzeroBlocks<'_> {
        NonzeroBlocks::new(self.as_borrowed())
    }

    /// The contiguous storage range of block column `J`,
    /// `coloff[J]·ld .. coloff[J+1]·ld`. Ranges of different block columns are
    /// disjoint and together tile `0..storage_len`. Panics if `J ≥ M`.
    #[inline]
    pub fn block_column_range(&self, block_col: usize) -> Range<usize> {
        self.block_columns_range(block_col..block_col + 1)
    }

    /// The contiguous storage range of the block columns `Js` (a run `a..b`,
    /// `b ≤ M`): `coloff[a]·ld .. coloff[b]·ld`. Panics if `b > M` or `a > b`.
    ///
    /// This is how a parallel fill hands out disjoint `&mut` storage: split the
    /// block columns by their entry counts, then cut the storage at the runs' ends.
    ///
    /// ```
    /// use accel_core::banded::BandedBlockBandedSizes;
    /// use accel_core::partition::weighted_bounds;
    /// let s = BandedBlockBandedSizes::new(&[3; 8], &[3; 6], 1, 2, 0, 1).unwrap();
    /// let costs: Vec<u64> = (0..s.col_blocks()).map(|j| s.column_entries(j) as u64).collect();
    /// let mut bounds = [0; 3]; // two workers
    /// weighted_bounds(&costs, &mut bounds).unwrap();
    /// let mut storage = vec![0.0f64; s.storage_len()];
    /// let cut = s.block_columns_range(bounds[0]..bounds[1]).end;
    /// let (left, right) = storage.split_at_mut(cut);
    /// assert_eq!(left.len() + right.len(), s.storage_len());
    /// assert_eq!(s.block_columns_range(bounds[1]..bounds[2]), cut..s.storage_len());
    /// ```
    #[inline]
    pub fn block_columns_range(&self, block_cols: Range<usize>) -> Range<usize> {
        assert!(
            block_cols.start <= block_cols.end,
            "block column run {block_cols:?} is reversed"
        );
        let o = self.col_offsets.as_ref();
        o[block_cols.start] * self.storage_rows..o[block_cols.end] * self.storage_rows
    }

    /// Number of stored entries in block column `J` (0 when `J ≥ M`).
    /// O(number of stored blocks in the column).
    #[inline]
    pub fn column_entries(&self, block_col: usize) -> usize {
        self.column_entries_in(block_col, self.block_col_support(block_col))
    }

    /// Sum of the entries of the blocks `K ∈ support` of block column `J`.
    fn column_entries_in(&self, block_col: usize, support: Range<usize>) -> usize {
        if support.is_empty() {
            return 0;
        }
        let cols = self.block_cols(block_col);
        support
            .map(|k| layout::band_entries(self.block_rows(k), cols, self.lambda, self.mu))
            .sum()
    }

    /// The storage range covered by the run of stored blocks from `first` to
    /// `last` inclusive, in storage order: from the start of `first`'s slab to
    /// the end of `last`'s slab (see [`BlockLayout::slab`]).
    ///
    /// Every stored entry of every block of the run lies inside. Because slab
    /// starts and ends never decrease in storage order, the ranges of two runs
    /// that share no block column are disjoint, so a scheduler that splits the
    /// blocks at block-column boundaries can hand each worker a disjoint
    /// `&mut` sub-slice (`split_at_mut`). Two runs that split one block column
    /// with more than one column overlap (the slabs of one block column interleave
    /// column by column). Returns an empty range at `first`'s start when `last`
    /// comes before `first`.
    #[inline]
    pub fn blocks_storage_range(&self, first: &BandedBlock, last: &BandedBlock) -> Range<usize> {
        let start = first.slab().start;
        start..last.slab().end.max(start)
    }
}

/// `max(0, i − below) .. min(n, i + above + 1)` in exact arithmetic: saturation
/// only happens where the clamp to `0..n` would cut anyway.
#[inline]
fn clamp_band(i: usize, below: isize, above: isize, n: usize) -> Range<usize> {
    let i = i as isize;
    let n_signed = n as isize;
    let start = i.saturating_sub(below).clamp(0, n_signed) as usize;
    let end = i.saturating_add(above).saturating_add(1).clamp(0, n_signed) as usize;
    start..end.max(start)
}

/// The block containing global index `x` and the local index inside it, skipping
/// zero-size blocks; `None` when `x` is past the end.
#[inline]
fn locate(offsets: &[usize], x: usize) -> Option<(usize, usize)> {
    if x >= *offsets.last()? {
        return None;
    }
    // The last block whose start is ≤ x: a zero-size block shares its start with
    // the next one, so this picks the non-empty block.
    let block = offsets.partition_point(|&o| o <= x) - 1;
    Some((block, x - offsets[block]))
}
