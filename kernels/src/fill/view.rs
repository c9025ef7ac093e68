//! One stored block of a banded-block-banded matrix, seen as a small banded matrix.
//!
//! A view pairs a block's [`BlockLayout`] with a borrowed region of the matrix's
//! storage. The region may be larger than the block (the whole storage, or the run
//! of block columns a worker owns during [`populate`](super::populate)); the view
//! only ever touches the block's own stored entries, so a worker can hand out one
//! view after another from the same `&mut` region.
//!
//! Indexing is local and 0-based, `(k, j)` with `0 ≤ k < rows`, `0 ≤ j < cols`.
//! Inside the sub-block band `-λ ≤ j − k ≤ μ` entries are stored; outside it they
//! read as zero (`T::default()`) and only zero may be written there, as in
//! BlockBandedMatrices.jl. Fast loops use the stored column segments:
//! [`col_rows`](BlockViewMut::col_rows) says which local rows column `j` stores and
//! [`col_mut`](BlockViewMut::col_mut) hands them out as one contiguous slice.

use core::ops::Range;

use accel_core::banded::BlockLayout;

use super::error::BandError;
use super::stored::{fill_block_cols, fill_runs, full_band_cols};

/// Where a block sits: its block indices, its first global row and column, and
/// its storage layout. Shared by the read and write views.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    pub(crate) block_row: usize,
    pub(crate) block_col: usize,
    pub(crate) first_row: usize,
    pub(crate) first_col: usize,
    pub(crate) layout: BlockLayout,
}

impl Place {
    /// Block `(K, J)` with its first global row and column and its layout.
    pub(crate) fn new(
        (block_row, block_col): (usize, usize),
        (first_row, first_col): (usize, usize),
        layout: BlockLayout,
    ) -> Self {
        Place {
            block_row,
            block_col,
            first_row,
            first_col,
            layout,
        }
    }

    fn outside_block(&self, k: usize, j: usize) -> BandError {
        BandError::OutsideBlock {
            block_row: self.block_row,
            block_col: self.block_col,
            k,
            j,
            rows: self.layout.rows(),
            cols: self.layout.cols(),
        }
    }

    fn in_block(&self, k: usize, j: usize) -> bool {
        k < self.layout.rows() && j < self.layout.cols()
    }

    /// `λ + μ + 1` clamped at 0: the length of a full column segment. The sizes
    /// proved at construction that `λ + μ + 1` fits `isize`.
    #[inline]
    fn diagonals(&self) -> usize {
        // Saturation only where the true value is ≤ 0 anyway.
        let d = self
            .layout
            .lambda()
            .saturating_add(self.layout.mu())
            .saturating_add(1);
        d.max(0) as usize
    }

    /// The local columns whose stored segment is the full band (`λ + μ + 1` rows,
    /// starting at band row 0): `μ ≤ j < rows − λ`, clipped to `0..cols`.
    #[inline]
    fn interior_cols(&self) -> Range<usize> {
        full_band_cols(
            self.layout.cols(),
            self.layout.rows(),
            self.layout.lambda(),
            self.layout.mu(),
        )
    }
}

macro_rules! common_view_methods {
    () => {
        /// Block row index `K`.
        #[inline]
        pub fn block_row(&self) -> usize {
            self.place.block_row
        }

        /// Block column index `J`.
        #[inline]
        pub fn block_col(&self) -> usize {
            self.place.block_col
        }

        /// Number of rows of the block.
        #[inline]
        pub fn rows(&self) -> usize {
            self.place.layout.rows()
        }

        /// Number of columns of the block.
        #[inline]
        pub fn cols(&self) -> usize {
            self.place.layout.cols()
        }

        /// The sub-block bandwidths `(λ, μ)`: entry `(k, j)` is stored iff
        /// `-λ ≤ j − k ≤ μ`.
        #[inline]
        pub fn bandwidths(&self) -> (isize, isize) {
            (self.place.layout.lambda(), self.place.layout.mu())
        }

        /// The global row of local row 0.
        #[inline]
        pub fn first_row(&self) -> usize {
            self.place.first_row
        }

        /// The global column of local column 0.
        #[inline]
        pub fn first_col(&self) -> usize {
            self.place.first_col
        }

        /// Number of stored entries of the block.
        #[inline]
        pub fn entries(&self) -> usize {
            self.place.layout.entries()
        }

        /// Where the block's entries live in the whole matrix storage.
        #[inline]
        pub fn layout(&self) -> &BlockLayout {
            &self.place.layout
        }

        /// Whether local entry `(k, j)` is stored (inside the block and the band).
        #[inline]
        pub fn is_stored(&self, k: usize, j: usize) -> bool {
            self.place.layout.is_stored(k, j)
        }

        /// The local rows stored in local column `j`, in the order of
        /// [`col`](Self::col); empty when none are (or `j ≥ cols`).
        #[inline]
        pub fn col_rows(&self, j: usize) -> Range<usize> {
            self.place.layout.col_rows(j)
        }

        /// The stored entries of local column `j`, rows [`col_rows(j)`](Self::col_rows).
        #[inline]
        pub fn col(&self, j: usize) -> &[T] {
            &self.data[self.local(self.place.layout.col_storage(j))]
        }

        /// Entry `(k, j)`: `Some(value)` in the band, `Some(T::default())` (zero)
        /// outside the band, `None` outside the block.
        #[inline]
        pub fn get(&self, k: usize, j: usize) -> Option<T>
        where
            T: Copy + Default,
        {
            if !self.place.in_block(k, j) {
                return None;
            }
            Some(match self.place.layout.index(k, j) {
                Some(i) => self.data[i - self.base],
                None => T::default(),
            })
        }

        /// A storage range of this block, relative to the borrowed region.
        #[inline]
        fn local(&self, r: Range<usize>) -> Range<usize> {
            r.start - self.base..r.end - self.base
        }
    };
}

/// A read-only view of one stored block (see the [module docs](crate::fill)).
///
/// ```
/// use accel_kernels::fill::{BandedBlockBandedMatrix, BandedBlockBandedSizes};
/// let sizes = BandedBlockBandedSizes::new(&[2, 3], &[2, 3], 0, 1, 1, 1).unwrap();
/// let mut m = BandedBlockBandedMatrix::<f64>::zeros(sizes).unwrap();
/// m.block_mut(1, 1).unwrap().fill(2.0);
/// let b = m.block(1, 1).unwrap();
/// assert_eq!((b.rows(), b.cols(), b.first_row()), (3, 3, 2));
/// assert_eq!(b.get(0, 1), Some(2.0));
/// assert_eq!(b.get(0, 2), Some(0.0)); // outside the band
/// assert_eq!(b.get(3, 0), None);      // outside the block
/// assert_eq!(b.col(1), &[2.0, 2.0, 2.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BlockView<'a, T> {
    data: &'a [T],
    base: usize,
    place: Place,
}

impl<'a, T> BlockView<'a, T> {
    /// `data` is the storage from index `base` on; it holds the block's slab.
    pub(crate) fn new(data: &'a [T], base: usize, place: Place) -> Self {
        debug_assert!(fits(&place.layout, base, data.len()));
        BlockView { data, base, place }
    }

    common_view_methods!();
}

/// A writable view of one stored block (see the [module docs](crate::fill)): what
/// [`populate`](super::populate) hands to its closure for each block.
///
/// ```
/// use accel_kernels::fill::{BandedBlockBandedMatrix, BandedBlockBandedSizes, BandError};
/// let sizes = BandedBlockBandedSizes::new(&[3], &[3], 0, 0, 1, 0).unwrap();
/// let mut m = BandedBlockBandedMatrix::<f64>::zeros(sizes).unwrap();
/// let mut b = m.block_mut(0, 0).unwrap();
/// b.set(1, 0, 5.0).unwrap();                    // on the sub-diagonal: stored
/// b.set(0, 2, 0.0).unwrap();                    // zero outside the band: fine
/// assert!(matches!(b.set(0, 2, 1.0), Err(BandError::OutsideBand { .. })));
/// assert!(matches!(b.set(3, 0, 1.0), Err(BandError::OutsideBlock { .. })));
/// // Column segments: column 0 stores rows 0..2.
/// assert_eq!(b.col_rows(0), 0..2);
/// b.col_mut(0)[0] = 4.0;
/// assert_eq!(m.to_dense(), [4.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
/// ```
#[derive(Debug)]
pub struct BlockViewMut<'a, T> {
    data: &'a mut [T],
    base: usize,
    place: Place,
}

impl<'a, T> BlockViewMut<'a, T> {
    /// `data` is the storage from index `base` on; it holds the block's slab.
    pub(crate) fn new(data: &'a mut [T], base: usize, place: Place) -> Self {
        debug_assert!(fits(&place.layout, base, data.len()));
        BlockViewMut { data, base, place }
    }

    common_view_methods!();

    /// The stored entries of local column `j`, rows [`col_rows(j)`](Self::col_rows),
    /// for writing.
    ///
    /// ```
    /// use accel_kernels::fill::{BandedBlockBandedMatrix, BandedBlockBandedSizes};
    /// let sizes = BandedBlockBandedSizes::new(&[4], &[4], 0, 0, 1, 1).unwrap();
    /// let mut m = BandedBlockBandedMatrix::<f64>::zeros(sizes).unwrap();
    /// let mut b = m.block_mut(0, 0).unwrap();
    /// for j in 0..b.cols() {
    ///     let rows = b.col_rows(j);
    ///     for (x, k) in b.col_mut(j).iter_mut().zip(rows) {
    ///         *x = (10 * k + j) as f64;
    ///     }
    /// }
    /// assert_eq!(b.get(2, 1), Some(21.0));
    /// ```
    #[inline]
    pub fn col_mut(&mut self, j: usize) -> &mut [T] {
        let r = self.local(self.place.layout.col_storage(j));
        &mut self.data[r]
    }

    /// Writes `value` to local entry `(k, j)`.
    ///
    /// # Errors
    /// [`BandError::OutsideBlock`] when `(k, j)` is outside the block;
    /// [`BandError::OutsideBand`] when it is outside the sub-block band and
    /// `value` is not zero (`T::default()`). Writing zero outside the band does
    /// nothing and succeeds.
    #[inline]
    pub fn set(&mut self, k: usize, j: usize, value: T) -> Result<(), BandError>
    where
        T: PartialEq + Default,
    {
        match self.place.layout.index(k, j) {
            Some(i) => {
                self.data[i - self.base] = value;
                Ok(())
            }
            None if !self.place.in_block(k, j) => Err(self.place.outside_block(k, j)),
            None if value == T::default() => Ok(()),
            None => Err(BandError::OutsideBand {
                block_row: self.place.block_row,
                block_col: self.place.block_col,
                k,
                j,
                lambda: self.place.layout.lambda(),
                mu: self.place.layout.mu(),
            }),
        }
    }

    /// Writes `f(k, j)` to every stored entry, column by column (local indices).
    ///
    /// ```
    /// use accel_kernels::fill::{BandedBlockBandedMatrix, BandedBlockBandedSizes};
    /// let sizes = BandedBlockBandedSizes::new(&[2], &[2], 0, 0, 0, 1).unwrap();
    /// let mut m = BandedBlockBandedMatrix::<f64>::zeros(sizes).unwrap();
    /// m.block_mut(0, 0).unwrap().fill_with(|k, j| (k + 2 * j) as f64 + 1.0);
    /// assert_eq!(m.to_dense(), [1.0, 3.0, 0.0, 4.0]);
    /// ```
    #[inline]
    pub fn fill_with(&mut self, mut f: impl FnMut(usize, usize) -> T) {
        for j in 0..self.cols() {
            let rows = self.col_rows(j);
            for (x, k) in self.col_mut(j).iter_mut().zip(rows) {
                *x = f(k, j);
            }
        }
    }

    /// Writes `value` to every stored entry of the block.
    ///
    /// The fast path of a fill: the columns whose segment is the whole band (all
    /// but at most `|λ| + |μ|` of them) are written as fixed-length runs at a
    /// fixed stride, which compile to one or two vector stores per column for
    /// bands up to 16 wide.
    ///
    /// ```
    /// use accel_kernels::fill::{BandedBlockBandedMatrix, BandedBlockBandedSizes};
    /// let sizes = BandedBlockBandedSizes::new(&[3], &[4], 0, 0, 0, 1).unwrap();
    /// let mut m = BandedBlockBandedMatrix::<u8>::zeros(sizes).unwrap();
    /// m.block_mut(0, 0).unwrap().fill(1);
    /// assert_eq!(m.to_dense(), [1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1]);
    /// ```
    #[inline(always)]
    pub fn fill(&mut self, value: T)
    where
        T: Copy,
    {
        self.fill_out_of_line(value);
    }

    /// The body of [`fill`](Self::fill), kept out of line so that a closure
    /// calling `fill` stays small enough to be inlined into the block loop of
    /// [`populate`](crate::fill::populate): then the view never goes through
    /// memory by value, which cost a store-forwarding stall per block.
    #[inline(never)]
    fn fill_out_of_line(&mut self, value: T)
    where
        T: Copy,
    {
        let d = self.place.diagonals();
        if d == 0 {
            return;
        }
        let interior = self.place.interior_cols();
        let layout = self.place.layout;
        fill_block_cols::<T, false>(self.data, self.base, &layout, 0..interior.start, value);
        fill_block_cols::<T, false>(
            self.data,
            self.base,
            &layout,
            interior.end..layout.cols(),
            value,
        );
        if interior.is_empty() {
            return;
        }
        let ld = layout.leading_dim();
        // Interior column j's segment starts at band row 0 of the slab.
        let start = layout.col_base() + interior.start * ld + layout.slab_row() - self.base;
        let end = start + (interior.len() - 1) * ld + d;
        fill_runs(&mut self.data[start..end], ld, d, value);
    }
}

/// Whether the block's slab lies inside the region `base..base + len`.
fn fits(layout: &BlockLayout, base: usize, len: usize) -> bool {
    let slab = layout.slab();
    slab.is_empty() || (slab.start >= base && slab.end <= base + len)
}
