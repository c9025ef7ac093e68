//! The owned banded-block-banded matrix: validated sizes plus one storage array.

use super::BandedBlockBandedSizes;

use super::error::FillError;
use super::view::{BlockView, BlockViewMut, Place};

/// A banded-block-banded matrix in the BlockBandedMatrices.jl layout: the sizes
/// (see [`BandedBlockBandedSizes`]) and the column-major storage array they
/// describe, `storage_rows × storage_cols` entries, padding included.
///
/// ```
/// use accel_kernels::fill::{BandedBlockBandedMatrix, BandedBlockBandedSizes};
/// let sizes = BandedBlockBandedSizes::new(&[2, 6], &[1, 3], 0, 0, 4, 0)?;
/// let mut m = BandedBlockBandedMatrix::<f64>::zeros(sizes)?;
/// accel_kernels::fill::simplefill_serial(&mut m);
/// assert_eq!(m.get(3, 2), Some(1.0));
/// assert_eq!(m.get(3, 3), Some(0.0)); // not stored
/// assert_eq!(m.get(8, 0), None);      // outside the matrix
/// # Ok::<(), accel_kernels::fill::FillError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BandedBlockBandedMatrix<T> {
    sizes: BandedBlockBandedSizes,
    data: Vec<T>,
}

impl<T: Copy + Default> BandedBlockBandedMatrix<T> {
    /// A matrix with every storage entry `T::default()` (zero).
    ///
    /// # Errors
    /// [`FillError::StorageAlloc`] when the storage cannot be allocated.
    pub fn zeros(sizes: BandedBlockBandedSizes) -> Result<Self, FillError> {
        let entries = sizes.storage_len();
        let mut data = Vec::new();
        data.try_reserve_exact(entries)
            .map_err(|_| FillError::StorageAlloc {
                entries,
                bytes: entries.saturating_mul(size_of::<T>()),
            })?;
        data.resize(entries, T::default());
        Ok(BandedBlockBandedMatrix { sizes, data })
    }

    /// Validates the sizes (as [`BandedBlockBandedSizes::new`]) and allocates a
    /// zero matrix.
    ///
    /// # Errors
    /// [`FillError::Size`] for rejected sizes, [`FillError::StorageAlloc`] when
    /// the storage cannot be allocated.
    ///
    /// ```
    /// use accel_kernels::fill::BandedBlockBandedMatrix;
    /// let m = BandedBlockBandedMatrix::<f32>::new(&[3; 8], &[3; 6], 1, 2, 0, 1)?;
    /// assert_eq!(m.sizes().stored_entries(), 105);
    /// # Ok::<(), accel_kernels::fill::FillError>(())
    /// ```
    pub fn new(
        rows: &[usize],
        cols: &[usize],
        l: isize,
        u: isize,
        lambda: isize,
        mu: isize,
    ) -> Result<Self, FillError> {
        Self::zeros(BandedBlockBandedSizes::new(rows, cols, l, u, lambda, mu)?)
    }

    /// Global entry `(row, col)`: `Some(value)` when stored, `Some(T::default())`
    /// when inside the matrix but not stored, `None` outside the matrix.
    pub fn get(&self, row: usize, col: usize) -> Option<T> {
        if row >= self.sizes.total_rows() || col >= self.sizes.total_cols() {
            return None;
        }
        Some(match self.sizes.dense_offset(row, col) {
            Some(i) => self.data[i],
            None => T::default(),
        })
    }

    /// The dense matrix, row-major (`total_rows × total_cols`), with
    /// `T::default()` for the entries that are not stored. For tests and small
    /// matrices.
    ///
    /// # Panics
    /// If the dense size overflows `usize`.
    ///
    /// ```
    /// use accel_kernels::fill::BandedBlockBandedMatrix;
    /// let mut m = BandedBlockBandedMatrix::<i32>::new(&[1, 1], &[1, 1], 0, 1, 0, 0)?;
    /// m.block_mut(0, 1).unwrap().fill(7);
    /// assert_eq!(m.to_dense(), [0, 7, 0, 0]);
    /// # Ok::<(), accel_kernels::fill::FillError>(())
    /// ```
    pub fn to_dense(&self) -> Vec<T> {
        let (nrows, ncols) = (self.sizes.total_rows(), self.sizes.total_cols());
        let len = nrows
            .checked_mul(ncols)
            .expect("dense size overflows usize");
        let mut dense = vec![T::default(); len];
        for (block_row, block_col) in stored_blocks(&self.sizes) {
            let view = self.block(block_row, block_col).expect("stored block");
            for j in 0..view.cols() {
                let col = view.first_col() + j;
                for (&x, k) in view.col(j).iter().zip(view.col_rows(j)) {
                    dense[(view.first_row() + k) * ncols + col] = x;
                }
            }
        }
        dense
    }
}

/// The stored blocks `(K, J)` in storage order, without their entry counts.
pub(crate) fn stored_blocks(
    sizes: &BandedBlockBandedSizes,
) -> impl Iterator<Item = (usize, usize)> + '_ {
    (0..sizes.col_blocks()).flat_map(move |j| sizes.block_col_support(j).map(move |k| (k, j)))
}

impl<T> BandedBlockBandedMatrix<T> {
    /// The sizes and layout.
    #[inline]
    pub fn sizes(&self) -> &BandedBlockBandedSizes {
        &self.sizes
    }

    /// The column-major storage array (leading dimension
    /// [`storage_rows`](BandedBlockBandedSizes::storage_rows)), padding included.
    #[inline]
    pub fn storage(&self) -> &[T] {
        &self.data
    }

    /// The storage array, for writing.
    #[inline]
    pub fn storage_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The sizes and the storage array, for writing both views of the same matrix
    /// at once (what [`populate`](super::populate) splits among workers).
    #[inline]
    pub(crate) fn parts_mut(&mut self) -> (&BandedBlockBandedSizes, &mut [T]) {
        (&self.sizes, &mut self.data)
    }

    /// Where block `(K, J)` sits, if it is stored.
    fn place(&self, block_row: usize, block_col: usize) -> Option<Place> {
        let layout = self.sizes.block_layout(block_row, block_col)?;
        Some(Place::new(
            (block_row, block_col),
            (
                self.sizes.row_offset(block_row),
                self.sizes.col_offset(block_col),
            ),
            layout,
        ))
    }

    /// A read-only view of block `(K, J)`, or `None` when it is not stored.
    #[inline]
    pub fn block(&self, block_row: usize, block_col: usize) -> Option<BlockView<'_, T>> {
        let place = self.place(block_row, block_col)?;
        Some(BlockView::new(&self.data, 0, place))
    }

    /// A writable view of block `(K, J)`, or `None` when it is not stored.
    ///
    /// ```
    /// use accel_kernels::fill::BandedBlockBandedMatrix;
    /// let mut m = BandedBlockBandedMatrix::<f64>::new(&[2, 2], &[2, 2], 0, 0, 0, 0)?;
    /// assert!(m.block_mut(0, 1).is_none()); // above the block band
    /// m.block_mut(1, 1).unwrap().set(1, 1, 3.0).unwrap();
    /// assert_eq!(m.get(3, 3), Some(3.0));
    /// # Ok::<(), accel_kernels::fill::FillError>(())
    /// ```
    #[inline]
    pub fn block_mut(&mut self, block_row: usize, block_col: usize) -> Option<BlockViewMut<'_, T>> {
        let place = self.place(block_row, block_col)?;
        Some(BlockViewMut::new(&mut self.data, 0, place))
    }

    /// Consumes the matrix, returning its sizes and storage array.
    pub fn into_parts(self) -> (BandedBlockBandedSizes, Vec<T>) {
        (self.sizes, self.data)
    }
}
