//! How work is split among *ranks*: separate processes (MPI ranks, in
//! accel-pool's `ranks` module) that share no memory and exchange data in
//! messages.
//!
//! This is the arithmetic only, so that every rank computes the same answer on
//! its own, with no message, and so that the decomposition can be tested
//! without MPI:
//!
//! - [`RowBands`]: the rows of a plane or the planes of a volume (any leading
//!   dimension) in one balanced band per rank, the owner of any row, and the
//!   pieces a rank must receive to extend its band by a halo of any depth,
//!   under a periodic (`wrap`) or a clipped boundary. A halo deeper than the
//!   neighbouring band comes from several ranks; under `wrap` it may come from
//!   the rank itself.
//! - [`halo_iterations`]: how many iterations one exchange of halos should
//!   cover (communication-avoiding: a halo of depth `k · r` buys `k`
//!   iterations of a radius-`r` stencil with no further message).
//! - [`aligned_range`]: `0..n` split among ranks on a fixed alignment, so that
//!   the fixed chunks of a deterministic reduction never straddle two ranks
//!   (the sum then has the same bits for any number of ranks).
//!
//! Columns of a block-banded matrix are split by stored-entry weight with
//! [`weighted_part`](super::weighted_part), as among threads.
//!
//! # Why the halo is recomputed rather than exchanged every iteration
//! A rank that holds its band plus `d = k · r` extra rows on each side can run
//! `k` iterations of a radius-`r` stencil on that *strip* with any boundary
//! rule at the strip's ends: a wrong value at an end moves inwards by `r` rows
//! per iteration, so after `k` iterations the band itself is still exact. One
//! exchange of `2d` rows then replaces `k` exchanges of `2r` rows, and the
//! latency of `k − 1` messages is traded for `2d` rows of recomputation.

use core::ops::Range;

/// Part `part` of `0..n` split into `parts` contiguous ranges whose ends are
/// multiples of `align` (except `n` itself): whole `align`-sized chunks are
/// dealt out as evenly as [`balanced_range`](super::balanced_range) deals
/// items.
///
/// ```
/// use accel_core::partition::aligned_range;
/// // 10 chunks of 4 (the last one short) among 3 ranks: 4, 3 and 3 chunks
/// let parts: Vec<_> = (0..3).map(|p| aligned_range(38, 4, 3, p)).collect();
/// assert_eq!(parts, [0..16, 16..28, 28..38]);
/// ```
///
/// # Panics
/// Panics if `align == 0`, `parts == 0` or `part >= parts`.
pub fn aligned_range(n: usize, align: usize, parts: usize, part: usize) -> Range<usize> {
    assert!(align > 0, "alignment 0");
    let chunks = super::balanced_range(n.div_ceil(align), parts, part);
    let start = (chunks.start * align).min(n);
    let end = (chunks.end * align).min(n);
    start..end
}

/// A leading dimension of `rows` (the rows of a plane, the planes of a
/// volume) split into one balanced band per rank.
///
/// ```
/// use accel_core::partition::RowBands;
/// let bands = RowBands::new(10, 3);
/// assert_eq!(bands.band(1), 4..7);
/// assert_eq!(bands.owner(6), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowBands {
    rows: usize,
    ranks: usize,
}

/// One contiguous piece of a rank's halo: `rows` (global rows, inside
/// `0..rows`) owned by `rank`, landing at row `offset` of the halo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HaloPiece {
    /// The rank that owns these rows.
    pub rank: usize,
    /// The rows, global indices within the plane.
    pub rows: Range<usize>,
    /// Where the first of them goes, counted in rows from the start of the
    /// halo.
    pub offset: usize,
}

impl RowBands {
    /// `rows` rows split among `ranks` ranks.
    ///
    /// # Panics
    /// Panics if `ranks == 0`.
    pub fn new(rows: usize, ranks: usize) -> Self {
        assert!(ranks > 0, "0 ranks");
        Self { rows, ranks }
    }

    /// The number of rows split.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of ranks.
    pub fn ranks(&self) -> usize {
        self.ranks
    }

    /// The rows of `rank`: sizes differ by at most one, earlier ranks larger;
    /// with more ranks than rows the last ranks have none.
    ///
    /// # Panics
    /// Panics if `rank >= ranks`.
    pub fn band(&self, rank: usize) -> Range<usize> {
        super::balanced_range(self.rows, self.ranks, rank)
    }

    /// The fewest rows any rank holds.
    pub fn min_band(&self) -> usize {
        self.rows / self.ranks
    }

    /// The rank whose band holds `row`.
    ///
    /// # Panics
    /// Panics if `row >= rows`.
    pub fn owner(&self, row: usize) -> usize {
        assert!(row < self.rows, "row {row} of {}", self.rows);
        let q = self.rows / self.ranks;
        let big = self.rows % self.ranks; // ranks with q + 1 rows
        let split = big * (q + 1);
        if row < split {
            row / (q + 1)
        } else {
            big + (row - split) / q
        }
    }

    /// The halo rows `rank` needs above its band (`above`) or below it, `depth`
    /// rows deep, as global row indices that may leave `0..rows`: they are
    /// clipped to the plane unless `wrap`, when they continue periodically.
    /// Empty for a rank with no rows.
    fn halo_span(&self, rank: usize, depth: usize, wrap: bool, above: bool) -> Range<i128> {
        let band = self.band(rank);
        if band.is_empty() {
            return 0..0;
        }
        let (lo, hi, d) = (band.start as i128, band.end as i128, depth as i128);
        let span = if above { lo - d..lo } else { hi..hi + d };
        if wrap || self.rows == 0 {
            span
        } else {
            span.start.max(0)..span.end.min(self.rows as i128)
        }
    }

    /// How many rows the halo above (`above`) or below `rank`'s band has:
    /// `depth`, or fewer where the plane's edge clips it (never under `wrap`).
    pub fn halo_rows(&self, rank: usize, depth: usize, wrap: bool, above: bool) -> usize {
        let span = self.halo_span(rank, depth, wrap, above);
        (span.end - span.start) as usize
    }

    /// The pieces of `rank`'s halo above (`above`) or below its band, `depth`
    /// rows deep, in order: each names the rank that owns it. Under `wrap` the
    /// halo continues periodically, so it may repeat rows and may come from
    /// `rank` itself (one rank, or a plane thinner than the halo); otherwise it
    /// stops at the plane's edge.
    ///
    /// ```
    /// use accel_core::partition::{HaloPiece, RowBands};
    /// // 5 rows among 4 ranks (2, 1, 1, 1 rows): rank 3's halo of depth 3 above
    /// // comes from ranks 0, 1 and 2
    /// let bands = RowBands::new(5, 4);
    /// let above: Vec<_> = bands.halo_pieces(3, 3, false, true).collect();
    /// assert_eq!(above, [
    ///     HaloPiece { rank: 0, rows: 1..2, offset: 0 },
    ///     HaloPiece { rank: 1, rows: 2..3, offset: 1 },
    ///     HaloPiece { rank: 2, rows: 3..4, offset: 2 },
    /// ]);
    /// // under wrap, rank 0's halo above comes from the last ranks
    /// let wrapped: Vec<_> = bands.halo_pieces(0, 2, true, true).collect();
    /// assert_eq!(wrapped, [
    ///     HaloPiece { rank: 2, rows: 3..4, offset: 0 },
    ///     HaloPiece { rank: 3, rows: 4..5, offset: 1 },
    /// ]);
    /// ```
    pub fn halo_pieces(
        &self,
        rank: usize,
        depth: usize,
        wrap: bool,
        above: bool,
    ) -> impl Iterator<Item = HaloPiece> + '_ {
        let span = self.halo_span(rank, depth, wrap, above);
        let rows = self.rows as i128;
        let mut at = span.start;
        core::iter::from_fn(move || {
            if at >= span.end {
                return None;
            }
            let row = at.rem_euclid(rows) as usize;
            let owner = self.owner(row);
            let band_end = self.band(owner).end;
            let len = (band_end - row).min((span.end - at) as usize);
            let piece = HaloPiece {
                rank: owner,
                rows: row..row + len,
                offset: (at - span.start) as usize,
            };
            at += len as i128;
            Some(piece)
        })
    }
}

/// How many iterations of a radius-`radius` stencil one exchange of halos
/// should cover: at most `remaining` and at most `cap`, at least 1, and few
/// enough that the rows recomputed per pass stay within a quarter of the
/// smallest band (`min_band` rows): a pass whose halo is `d = k · r` rows deep
/// recomputes about `6d` rows (two edge strips of `3d` rows, see accel-pool's
/// `ranks` module).
///
/// ```
/// use accel_core::partition::halo_iterations;
/// assert_eq!(halo_iterations(1331, 2, 100, 16), 16); // a seed band: 16 iterations
/// assert_eq!(halo_iterations(200, 2, 100, 16), 4);
/// assert_eq!(halo_iterations(3, 2, 100, 16), 1); // a thin band still advances
/// assert_eq!(halo_iterations(1331, 2, 5, 16), 5);
/// assert_eq!(halo_iterations(1331, 0, 100, 16), 16); // radius 0: no halo at all
/// ```
pub fn halo_iterations(min_band: usize, radius: usize, remaining: usize, cap: usize) -> usize {
    let by_band = if radius == 0 {
        usize::MAX
    } else {
        min_band / (24 * radius)
    };
    by_band.min(cap).min(remaining).max(1)
}
