//! Writing one value to every stored entry, one pass over the storage.
//!
//! [`populate`](super::populate) must call its closure once per block, so it
//! sweeps each block column once per stored block; for a matrix whose block
//! columns are larger than L1 that costs a trip to L2 per block. When the value
//! is the same everywhere (the notebook's `simplefill`) the blocks need not be
//! visited one by one: within a storage column the slabs of consecutive blocks
//! are adjacent, so for the columns where every block of the block column stores
//! its full band, the stored entries of all its blocks form *one* run of
//! `blocks · (λ + μ + 1)` entries — and when the block column has all
//! `l + u + 1` blocks that run is the whole storage column, so the block
//! column's interior is a single contiguous fill. The few edge columns (block
//! shape and band ends) are written segment by segment: where the blocks of a
//! block column share their height (the usual case) each edge column holds the
//! same segment in every block, `λ + μ + 1` apart, and is written in one pass
//! over the blocks. Padding is never written.
//!
//! [`simplefill`](super::simplefill) writes the long runs of a matrix larger
//! than [`STREAM_MIN_BYTES`](super::STREAM_MIN_BYTES) with streaming stores (see
//! [`super::stream`]): such
//! a fill is bound by the write bandwidth, and plain stores would first read
//! every line.

use core::ops::Range;

use accel_core::banded::BlockLayout;

use super::BandedBlockBandedSizes;
use accel_pool::Pool;

use super::matrix::BandedBlockBandedMatrix;
use super::populate::{DEFAULT_NS_PER_ENTRY, for_block_column_runs};
use super::stream::Streamer;

/// Writes `value` to every stored entry of `m`, in parallel on `pool`, one pass
/// over the storage (see the [module docs](crate::fill)); padding entries are left
/// alone. Same result as [`populate`](super::populate) with
/// [`BlockViewMut::fill`](super::BlockViewMut::fill), and as fast as the memory
/// allows; small matrices run inline on the caller.
///
/// ```
/// use accel_kernels::fill::{fill_stored, BandedBlockBandedMatrix};
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// let mut m = BandedBlockBandedMatrix::<f32>::new(&[2, 3], &[2, 3], 0, 1, 1, 1)?;
/// fill_stored(&pool, &mut m, 2.5);
/// assert_eq!(m.storage().iter().filter(|&&x| x == 2.5).count(), m.sizes().stored_entries());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fill_stored<T>(pool: &Pool, m: &mut BandedBlockBandedMatrix<T>, value: T)
where
    T: Copy + Send + Sync,
{
    fill_stored_by(
        pool,
        m,
        value,
        DEFAULT_NS_PER_ENTRY,
        None,
        &|run: &mut [T]| run.fill(value),
        &|| {},
    );
}

/// [`fill_stored`] for `f64`, writing the long runs of a matrix larger than
/// [`STREAM_MIN_BYTES`](super::STREAM_MIN_BYTES) with streaming stores (see
/// [`super::stream`]).
pub(crate) fn fill_stored_f64(
    pool: &Pool,
    m: &mut BandedBlockBandedMatrix<f64>,
    value: f64,
    columns: Option<Range<usize>>,
) {
    if size_of_val(m.storage()) < super::STREAM_MIN_BYTES {
        fill_stored_by(
            pool,
            m,
            value,
            DEFAULT_NS_PER_ENTRY,
            columns,
            &|run: &mut [f64]| run.fill(value),
            &|| {},
        );
        return;
    }
    let streamer = Streamer::detect();
    fill_stored_by(
        pool,
        m,
        value,
        DEFAULT_NS_PER_ENTRY,
        columns,
        &|run: &mut [f64]| streamer.fill(run, value),
        &|| streamer.fence(),
    );
}

/// [`fill_stored`] with the long contiguous runs written by `long` (which must
/// write `value` to every entry of its slice), and `done` called by each
/// worker after its last write; the split assumes `ns_per_entry` per entry.
fn fill_stored_by<T, L, D>(
    pool: &Pool,
    m: &mut BandedBlockBandedMatrix<T>,
    value: T,
    ns_per_entry: f64,
    columns: Option<Range<usize>>,
    long: &L,
    done: &D,
) where
    T: Copy + Send + Sync,
    L: Fn(&mut [T]) + Sync,
    D: Fn() + Sync,
{
    let (sizes, data) = m.parts_mut();
    let columns = columns.unwrap_or(0..sizes.col_blocks());
    for_block_column_runs(
        pool,
        sizes,
        data,
        ns_per_entry,
        columns,
        |region, base, cols| {
            fill_block_columns(sizes, region, base, cols, value, long);
            done();
        },
    );
}

/// Fills the stored entries of the block columns `cols`, whose storage is
/// `region` from storage index `base` on; the interior of a block column with
/// every block of the block band present is one contiguous run, written by
/// `long`.
fn fill_block_columns<T: Copy>(
    sizes: &BandedBlockBandedSizes,
    region: &mut [T],
    base: usize,
    cols: Range<usize>,
    value: T,
    long: &impl Fn(&mut [T]),
) {
    let d = sizes.subblock_diagonals();
    let (lambda, mu) = sizes.subblock_bandwidths();
    if d == 0 {
        return;
    }
    for block_col in cols {
        let support = sizes.block_col_support(block_col);
        let ncols = sizes.block_cols(block_col);
        if support.is_empty() || ncols == 0 {
            continue;
        }
        let first = sizes
            .block_layout(support.start, block_col)
            .expect("block_col_support lists stored blocks");
        // Columns where every block of the column stores its full band.
        let (min_rows, max_rows) = support
            .clone()
            .map(|k| sizes.block_rows(k))
            .fold((usize::MAX, 0), |(lo, hi), r| (lo.min(r), hi.max(r)));
        let interior = full_band_cols(ncols, min_rows, lambda, mu);
        if min_rows == max_rows {
            // Every block has the same rows, so the same segment in each column:
            // one pass per edge column over all the blocks.
            fill_edge_cols(
                region,
                base,
                &first,
                support.len(),
                0..interior.start,
                value,
            );
            fill_edge_cols(
                region,
                base,
                &first,
                support.len(),
                interior.end..ncols,
                value,
            );
        } else {
            // The edge columns, block by block, segment by segment.
            for block_row in support.clone() {
                let layout = sizes
                    .block_layout(block_row, block_col)
                    .expect("block_col_support lists stored blocks");
                fill_block_cols::<T, true>(region, base, &layout, 0..interior.start, value);
                fill_block_cols::<T, true>(region, base, &layout, interior.end..ncols, value);
            }
        }
        if interior.is_empty() {
            continue;
        }
        let ld = first.leading_dim();
        let run = support.len() * d;
        let start = first.col_base() + interior.start * ld + first.slab_row() - base;
        if run == ld {
            // Every storage row of the interior columns is stored: one fill.
            long(&mut region[start..start + interior.len() * ld]);
        } else {
            let end = start + (interior.len() - 1) * ld + run;
            fill_runs(&mut region[start..end], ld, run, value);
        }
    }
}

/// The local columns `j` of a block column of `ncols` columns in which every
/// block (each with at least `min_rows` rows) stores its full band
/// (`μ ≤ j < min_rows − λ`), clipped to `0..ncols`.
#[inline]
pub(crate) fn full_band_cols(
    ncols: usize,
    min_rows: usize,
    lambda: isize,
    mu: isize,
) -> Range<usize> {
    // Sizes are below isize::MAX; saturation only happens where the clamp cuts.
    let cols = ncols as isize;
    let lo = mu.clamp(0, cols);
    let hi = (min_rows as isize).saturating_sub(lambda).clamp(lo, cols);
    lo as usize..hi as usize
}

/// Writes `value` to the stored entries of the local columns `js` (within
/// `0..cols`) of the block with `layout`, whose storage is `region` from
/// storage index `base` on: for the edge columns of a block, whose segments are
/// shorter than the band.
///
/// Local column `j` stores the band rows `max(μ − j, 0) .. min(rows + μ − j, d)`
/// of its slab column (the rows `col_rows(j)` shifted by `μ − j`), computed
/// here directly rather than through `col_storage`, which the tiny fill would
/// pay for once per edge column.
///
/// `SHORT` writes each segment with [`fill_short`]'s fixed-length stores: the
/// one-value fill measured faster with them on small matrices (the tiny case
/// and N = 10), while inside [`BlockViewMut::fill`](super::BlockViewMut::fill) they
/// made `populate` slower (a larger body that no longer inlines as well), so the
/// view passes `false`.
#[inline]
pub(crate) fn fill_block_cols<T: Copy, const SHORT: bool>(
    region: &mut [T],
    base: usize,
    layout: &BlockLayout,
    js: Range<usize>,
    value: T,
) {
    let Some(bands) = BandRows::of(layout) else {
        return;
    };
    let ld = layout.leading_dim();
    // Storage index (in `region`) of band row 0 of local column 0.
    let first = layout.col_base() + layout.slab_row() - base;
    for j in js {
        let Range { start: a, end: b } = bands.column(j);
        if a < b {
            let at = first + j * ld;
            if SHORT {
                fill_short(&mut region[at + a..at + b], value);
            } else {
                region[at + a..at + b].fill(value);
            }
        }
    }
}

/// Which band rows (of the `d = λ + μ + 1` storage rows of a block's slab) each
/// local column of a block stores: the segment `BlockLayout::col_storage` gives,
/// relative to the slab row, computed with two clamps and no range checks. The
/// one-value fill's column loops use it; it measured faster there than going
/// through `col_storage` (on the tiny simplefill, together with the one-pass edge
/// columns).
struct BandRows {
    mu: isize,
    rows: isize,
    d: isize,
}

impl BandRows {
    /// The band rows of `layout`'s block, or `None` when it stores no diagonal.
    #[inline(always)]
    fn of(layout: &BlockLayout) -> Option<Self> {
        // λ + μ + 1 fits isize (checked when the sizes were built); ≤ 0 stores nothing.
        let d = layout
            .lambda()
            .saturating_add(layout.mu())
            .saturating_add(1)
            .max(0);
        (d > 0).then(|| BandRows {
            mu: layout.mu(),
            rows: layout.rows() as isize,
            d,
        })
    }

    /// `d`, the storage rows of the block's slab.
    #[inline(always)]
    fn diagonals(&self) -> usize {
        self.d as usize
    }

    /// The band rows `a..b` local column `j` stores (empty when none).
    #[inline(always)]
    fn column(&self, j: usize) -> Range<usize> {
        // Sizes are below isize::MAX; saturation only where the clamp cuts.
        let shift = self.mu.saturating_sub(j as isize);
        let a = shift.clamp(0, self.d) as usize;
        let b = shift.saturating_add(self.rows).clamp(0, self.d) as usize;
        a..b
    }
}

/// Writes `value` to the stored entries of the local columns `js` of `blocks`
/// consecutive blocks of one block column that all have the rows of the first,
/// whose layout is `first`: in such a column the blocks' segments sit at the
/// same band rows of consecutive slabs, `d = λ + μ + 1` apart.
#[inline]
fn fill_edge_cols<T: Copy>(
    region: &mut [T],
    base: usize,
    first: &BlockLayout,
    blocks: usize,
    js: Range<usize>,
    value: T,
) {
    if blocks == 1 {
        fill_block_cols::<T, true>(region, base, first, js, value);
        return;
    }
    let Some(bands) = BandRows::of(first) else {
        return;
    };
    let d = bands.diagonals();
    let ld = first.leading_dim();
    let top = first.col_base() + first.slab_row() - base;
    for j in js {
        let Range { start: a, end: b } = bands.column(j);
        if a < b {
            let at = top + j * ld + a;
            let span = (blocks - 1) * d + (b - a);
            fill_runs(&mut region[at..at + span], d, b - a, value);
        }
    }
}

/// Writes `value` to every entry of `seg`, a short segment (an edge column's):
/// one fixed-length store sequence for up to 16 entries, where a plain `fill`
/// would set up a vector loop for a handful of stores.
#[inline(always)]
fn fill_short<T: Copy>(seg: &mut [T], value: T) {
    macro_rules! fixed {
        ($($n:literal)*) => {
            match seg.len() {
                $($n => seg.copy_from_slice(&[value; $n]),)*
                _ => seg.fill(value),
            }
        };
    }
    fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
}

/// Writes `value` to the first `run` entries of every `ld`-long chunk of
/// `region` (whose last chunk is exactly `run` long), with a fixed-length store
/// per chunk for short runs.
pub(crate) fn fill_runs<T: Copy>(region: &mut [T], ld: usize, run: usize, value: T) {
    macro_rules! fixed {
        ($($n:literal)*) => {
            match run {
                $($n => {
                    let src = [value; $n];
                    for chunk in region.chunks_mut(ld) {
                        chunk[..$n].copy_from_slice(&src);
                    }
                })*
                _ => {
                    for chunk in region.chunks_mut(ld) {
                        chunk[..run].fill(value);
                    }
                }
            }
        };
    }
    fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use accel_pool::PoolConfig;
    use proptest::prelude::*;

    use super::super::populate::populate_serial;
    use super::*;

    /// Pools of 1, 2, 3 and 5 threads (more than the machine's cores), built once.
    fn pools() -> &'static [Pool] {
        static POOLS: OnceLock<Vec<Pool>> = OnceLock::new();
        POOLS.get_or_init(|| {
            [1, 2, 3, 5]
                .into_iter()
                .map(|n| Pool::new(PoolConfig::new().threads(n).pin(false)).unwrap())
                .collect()
        })
    }

    /// Block sizes: random heights, or equal ones with an odd last block (the
    /// one-pass edge path), 0 to 40 entries, up to 13 blocks.
    fn block_sizes() -> impl Strategy<Value = Vec<usize>> {
        prop_oneof![
            prop::collection::vec(0usize..40, 0..13),
            (1usize..12, 0usize..40, 0usize..40)
                .prop_map(|(n, r, last)| std::iter::repeat_n(r, n).chain([last]).collect()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The streaming writer, forced on small matrices (below
        /// `STREAM_MIN_BYTES`) and
        /// split among the workers whatever the size, writes exactly what a
        /// per-block fill writes (an independent path), with 1, 2, 3 and 5
        /// threads; negative bands, zero-size blocks, runs shorter and longer
        /// than `MIN_RUN` included.
        #[test]
        fn streaming_parallel_fill_equals_a_fill_per_block(
            rows in block_sizes(),
            cols in block_sizes(),
            (l, u, lam, mu) in (-1isize..5, -1isize..5, -3isize..12, -3isize..12),
        ) {
            let new = || BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
            let mut per_block = new();
            populate_serial(&mut per_block, |mut b, _, _| b.fill(1.5));
            let streamer = Streamer::detect();
            for pool in pools() {
                let mut streamed = new();
                fill_stored_by(
                    pool,
                    &mut streamed,
                    1.5,
                    1e9,
                    None,
                    &|run: &mut [f64]| streamer.fill(run, 1.5),
                    &|| streamer.fence(),
                );
                prop_assert_eq!(&streamed, &per_block, "{} threads", pool.num_threads());
            }
        }
    }
}
