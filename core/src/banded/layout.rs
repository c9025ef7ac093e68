//! Where the entries of one stored block live in the shared storage array.
//!
//! A [`BlockLayout`] is the small, `Copy` recipe a kernel needs to touch one block
//! without consulting the whole size description: the block's first storage column,
//! its slab row, the storage's column stride, the block shape and its sub-band.
//! Kernels write tight loops per stored column segment using
//! [`BlockLayout::col_rows`] and [`BlockLayout::col_storage`].

use core::ops::Range;

/// The storage recipe of one stored block `(K, J)` of a banded-block-banded matrix.
///
/// The storage is one column-major array with leading dimension
/// `ld =` [`leading_dim`](Self::leading_dim) (the storage rows). Local entry `(k, j)`
/// of the block, when it is stored (`0 ≤ k < rows`, `0 ≤ j < cols`,
/// `-λ ≤ j − k ≤ μ`), lives at
///
/// ```text
/// col_base + (j · ld) + slab_row + (μ + k − j)
///   = col_base + slab_row + μ + k + j · (ld − 1)
/// ```
///
/// where `col_base = coloff[J] · ld` is the first storage index of block column `J`
/// and `slab_row = (u + K − J)(λ + μ + 1)` is the first storage row of the block's
/// slab. So consecutive `k` in one column are adjacent (stride 1), and moving one
/// column right moves `ld` along a band row (stride `ld − 1` along the block's diagonal).
///
/// ```
/// use accel_core::banded::BandedBlockBandedSizes;
/// let sizes = BandedBlockBandedSizes::new(&[2, 3], &[2, 3], 0, 1, 1, 1).unwrap();
/// let layout = sizes.block_layout(1, 1).unwrap();
/// // Column 1 of block (1, 1) stores local rows 0..3 (tridiagonal 3×3).
/// assert_eq!(layout.col_rows(1), 0..3);
/// let seg = layout.col_storage(1);
/// assert_eq!(seg.len(), 3);
/// assert_eq!(layout.index(0, 1), Some(seg.start));
/// assert_eq!(layout.index(2, 0), None); // below the sub-band
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockLayout {
    col_base: usize,
    slab_row: usize,
    ld: usize,
    diagonals: usize,
    rows: usize,
    cols: usize,
    lambda: isize,
    mu: isize,
}

impl BlockLayout {
    /// Builds a layout from parts already proven consistent by the size description.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        col_base: usize,
        slab_row: usize,
        ld: usize,
        diagonals: usize,
        rows: usize,
        cols: usize,
        lambda: isize,
        mu: isize,
    ) -> Self {
        Self {
            col_base,
            slab_row,
            ld,
            diagonals,
            rows,
            cols,
            lambda,
            mu,
        }
    }

    /// Number of rows of the block.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns of the block.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Sub-block lower bandwidth `λ` (entries with `k − j ≤ λ` are stored).
    #[inline]
    pub fn lambda(&self) -> isize {
        self.lambda
    }

    /// Sub-block upper bandwidth `μ` (entries with `j − k ≤ μ` are stored).
    #[inline]
    pub fn mu(&self) -> isize {
        self.mu
    }

    /// The storage's leading dimension (storage rows): the distance between
    /// the same storage row in consecutive columns.
    #[inline]
    pub fn leading_dim(&self) -> usize {
        self.ld
    }

    /// First storage index of the block's column range (`coloff[J] · ld`).
    #[inline]
    pub fn col_base(&self) -> usize {
        self.col_base
    }

    /// First storage row of the block's slab (`(u + K − J)(λ + μ + 1)`).
    #[inline]
    pub fn slab_row(&self) -> usize {
        self.slab_row
    }

    /// Whether local entry `(k, j)` is stored (inside the block and in the sub-band).
    #[inline]
    pub fn is_stored(&self, k: usize, j: usize) -> bool {
        self.index(k, j).is_some()
    }

    /// Storage index of local entry `(k, j)`, or `None` when it is outside the
    /// block or outside the sub-band. O(1).
    #[inline]
    pub fn index(&self, k: usize, j: usize) -> Option<usize> {
        if k >= self.rows || j >= self.cols {
            return None;
        }
        // Both below isize::MAX (construction bounds every size sum), so the
        // difference cannot overflow.
        let d = j as isize - k as isize;
        // -λ ≤ d ≤ μ, written so that no negation of λ can overflow.
        if d > self.mu || -d > self.lambda {
            return None;
        }
        // μ − d ∈ [0, λ + μ] and λ + μ + 1 fits isize (checked at construction).
        let band_row = (self.mu - d) as usize;
        Some(self.col_base + j * self.ld + self.slab_row + band_row)
    }

    /// The local rows `k` stored in local column `j`, as a range
    /// (`max(0, j − μ) .. min(rows, j + λ + 1)`); empty when none are stored or
    /// `j ≥ cols`. O(1).
    #[inline]
    pub fn col_rows(&self, j: usize) -> Range<usize> {
        if j >= self.cols {
            return 0..0;
        }
        let jj = j as isize;
        let rows = self.rows as isize;
        // Saturation only happens where the clamp would cut anyway.
        let start = jj.saturating_sub(self.mu).clamp(0, rows) as usize;
        let end = jj
            .saturating_add(self.lambda)
            .saturating_add(1)
            .clamp(0, rows) as usize;
        start..end.max(start)
    }

    /// The contiguous storage range holding the stored entries of local column
    /// `j`, in the order of [`col_rows`](Self::col_rows): storage index
    /// `col_storage(j).start + i` holds local row `col_rows(j).start + i`.
    /// Empty (but still within the storage) when nothing is stored. O(1).
    #[inline]
    pub fn col_storage(&self, j: usize) -> Range<usize> {
        let rows = self.col_rows(j);
        let column = self.col_base + j.min(self.cols) * self.ld;
        if rows.is_empty() {
            return column..column;
        }
        // rows.start ≥ j − μ, so μ + start − j ≥ 0; it is < λ + μ + 1 because
        // the column segment is non-empty.
        let band_row = (self.mu + rows.start as isize - j as isize) as usize;
        let start = column + self.slab_row + band_row;
        start..start + rows.len()
    }

    /// Number of stored entries of the block (its cost weight). O(1).
    #[inline]
    pub fn entries(&self) -> usize {
        band_entries(self.rows, self.cols, self.lambda, self.mu)
    }

    /// The storage span of the block's slab: from its slab row in its first
    /// column to the end of its slab in its last column. Every stored entry of
    /// the block lies inside; the spans of blocks in storage order have
    /// non-decreasing starts and ends. Empty at `col_base` for a block with no
    /// columns or no stored diagonals.
    #[inline]
    pub fn slab(&self) -> Range<usize> {
        if self.cols == 0 || self.diagonals == 0 {
            return self.col_base..self.col_base;
        }
        let start = self.col_base + self.slab_row;
        start..start + (self.cols - 1) * self.ld + self.diagonals
    }
}

/// `#{(k, j) : 0 ≤ k < m, 0 ≤ j < n, j − k ≤ t}` in exact wide arithmetic.
///
/// Columns `j ≤ t` are full (`m` entries); a column `j > t` holds the rows
/// `k ≥ j − t`, i.e. `m + t − j` of them while that is positive.
fn count_upto(m: i128, n: i128, t: i128) -> i128 {
    if m == 0 || n == 0 || t <= -m {
        return 0;
    }
    if t >= n - 1 {
        return m * n;
    }
    let full = (t + 1).clamp(0, n);
    let partial_end = (t + m).clamp(full, n);
    let partial = partial_end - full;
    // Σ_{j=full}^{partial_end-1} (m + t − j); (full + partial_end − 1)·partial is even.
    full * m + partial * (m + t) - (full + partial_end - 1) * partial / 2
}

/// Number of entries `(k, j)` of an `m × n` block with `-λ ≤ j − k ≤ μ`. O(1).
///
/// Callers guarantee the result fits `usize` (it is bounded by the storage length,
/// which construction proves fits).
#[inline]
pub(crate) fn band_entries(m: usize, n: usize, lambda: isize, mu: isize) -> usize {
    let (m, n) = (m as i128, n as i128);
    let upper = count_upto(m, n, mu as i128);
    let below = count_upto(m, n, -(lambda as i128) - 1);
    (upper - below).max(0) as usize
}
