//! Exact partitioning math: how `0..n`, a sequence of weighted items, or a 2-D
//! domain is split among workers, and how many parts are worth having.
//!
//! Everything here is pure arithmetic over caller-provided values (no heap except
//! the `alloc` conveniences), so a scheduler can compute part `i` of `p` in O(1) or
//! O(log n) on the worker that runs it, without a shared table:
//!
//! - [`balanced_range`]: `0..n` in `p` contiguous parts whose sizes differ by ≤ 1;
//! - [`weighted`]: a sequence of item costs in `p` contiguous parts, each within
//!   one item's cost of the ideal share `total / p`;
//! - [`tiling`]: an `h × w` domain in tiles, each with its halo of radius `r`
//!   clipped at the edges;
//! - [`grain`]: how many parts a piece of work is worth (1 for tiny work), and the
//!   smallest chunk that amortises a task's overhead;
//! - [`ranks`]: the same questions among processes that share no memory (MPI
//!   ranks): row bands, the halo pieces each rank receives and from whom, how
//!   many iterations one exchange covers, and chunk-aligned ranges for
//!   reductions with the same bits on any number of ranks. It lives here, not
//!   beside the MPI driver in accel-pool, because it is the same arithmetic as
//!   the rest of this module and must be testable (and usable) without MPI.

pub mod grain;
pub mod ranks;
pub mod tiling;
pub mod weighted;

pub use grain::{grain_size, parts_for_grain, worthwhile_parts};
pub use ranks::{HaloPiece, RowBands, aligned_range, halo_iterations};
pub use tiling::{Rect, Tile, Tiles, Tiling, TilingError};
#[cfg(feature = "alloc")]
pub use weighted::weighted_ranges;
pub use weighted::{WeightError, prefix_sums, weighted_boundary, weighted_bounds, weighted_part};

use core::ops::Range;

/// Part `part` of the balanced split of `0..n` into `parts` contiguous ranges.
///
/// Part sizes differ by at most one; the first `n % parts` parts get the extra item.
/// `start(p) = (n / parts) * p + min(n % parts, p)`. With more parts than items the
/// trailing parts are empty.
///
/// ```
/// use accel_core::partition::balanced_range;
/// let parts: Vec<_> = (0..3).map(|p| balanced_range(10, 3, p)).collect();
/// assert_eq!(parts, [0..4, 4..7, 7..10]);
/// ```
///
/// # Panics
/// Panics if `parts == 0` or `part >= parts`.
#[inline]
pub fn balanced_range(n: usize, parts: usize, part: usize) -> Range<usize> {
    assert!(parts > 0 && part < parts, "part {part} of {parts} parts");
    let q = n / parts;
    let r = n % parts;
    let start = q * part + part.min(r);
    let len = q + usize::from(part < r);
    start..start + len
}
