//! Calling a closure once per stored block, in parallel, balanced by stored entries.
//!
//! # Protocol
//! The blocks of one block column interleave in storage (column by column), so
//! the storage can only be cut between block columns. [`populate`] therefore
//! splits the *block columns* among the workers, weighting each column by its
//! stored entries plus a fixed per-block cost (the pool's weighted loop, whose
//! parts are within one column's cost of the ideal share), cuts the storage at
//! the runs' ends ([`BandedBlockBandedSizes::block_columns_range`]) and lets each
//! worker walk its run in storage order, handing the closure one
//! [`BlockViewMut`] after another over its own region. So every stored block is
//! visited exactly once, by one worker, and a worker's blocks are contiguous in
//! memory.
//!
//! Small matrices never reach the pool: the cost of a matrix is its stored
//! entries times the closure's cost per entry plus a fixed cost per block, and
//! when the model of [`accel_core::partition::worthwhile_parts`] (work against a
//! fork-join overhead) says one part is best, the loop runs inline on the caller,
//! allocating nothing, exactly like [`populate_serial`].

use core::ops::Range;

use super::BandedBlockBandedSizes;
use accel_core::partition::worthwhile_parts;
use accel_pool::{Pool, SharedSlice};

use super::matrix::BandedBlockBandedMatrix;
use super::prefetch::ColumnPrefetch;
use super::view::{BlockViewMut, Place};

/// Nanoseconds to visit one block besides its entries (compute its layout, build
/// the view, call the closure): a handful of operations, calibrated on the tiny
/// fill.
const BLOCK_NS: f64 = 5.0;
/// The cost of one stored entry that [`populate`] assumes: one store, with the
/// data streaming from cache, a fraction of a nanosecond (rounded up: the slower
/// case keeps small matrices serial).
pub const DEFAULT_NS_PER_ENTRY: f64 = 0.25;
/// Nanoseconds a parallel loop costs on top of its work: the pool's weighted
/// loop forks and joins in a few microseconds, less back to back (workers
/// spinning), more once its workers have parked; this sits in between.
const FORK_NS: f64 = 4_000.0;
/// At most this fraction of a task's time may be overhead.
const MAX_OVERHEAD: f64 = 0.1;
/// Cost units per nanosecond in the integer weights of the split.
const UNITS_PER_NS: f64 = 4.0;

/// Calls `f(block, K, J)` once for every stored block `(K, J)` of `m`, in
/// parallel on `pool` (see the [module docs](crate::fill)); `f` is assumed to cost about
/// one store per entry ([`DEFAULT_NS_PER_ENTRY`]), which decides how small a
/// matrix stays on the calling thread. Use [`populate_with_cost`] for a costlier `f`.
///
/// `f` gets a [`BlockViewMut`] of the block; it may only touch that block (the
/// view allows nothing else). Blocks with no stored entries (zero-size blocks,
/// or an empty sub-band) are visited too, as in BlockBandedMatrices.jl. Blocks
/// are visited in storage order within each worker's run; which worker visits a
/// block, and the order across workers, is unspecified, so a deterministic `f`
/// gives the same matrix for any thread count.
///
/// # Panics
/// Re-raises the first panic of `f` after the loop has wound down.
///
/// ```
/// use accel_kernels::fill::{populate, BandedBlockBandedMatrix};
/// use accel_pool::{Pool, PoolConfig};
/// let pool = Pool::new(PoolConfig::new().threads(2))?;
/// let mut m = BandedBlockBandedMatrix::<f64>::new(&[2, 3], &[2, 3], 0, 1, 1, 1)?;
/// // Each stored entry gets 10·K + J of its block.
/// populate(&pool, &mut m, |mut block, k, j| block.fill((10 * k + j) as f64));
/// assert_eq!(m.get(4, 3), Some(11.0));
/// assert_eq!(m.get(0, 2), Some(1.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn populate<T, F>(pool: &Pool, m: &mut BandedBlockBandedMatrix<T>, f: F)
where
    F: Fn(BlockViewMut<'_, T>, usize, usize) + Sync,
    T: Send + Sync,
{
    populate_with_cost(pool, m, DEFAULT_NS_PER_ENTRY, f);
}

/// [`populate`] for a closure that spends about `ns_per_entry` nanoseconds per
/// stored entry: the split balances blocks by that cost (plus a fixed cost per
/// block), and a matrix whose whole cost is below a few fork-join overheads
/// runs inline on the caller. A larger cost parallelises smaller matrices; an
/// infinite one parallelises everything that has two block columns.
///
/// ```
/// use accel_kernels::fill::{populate_with_cost, BandedBlockBandedMatrix};
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// let mut m = BandedBlockBandedMatrix::<f64>::new(&[4; 4], &[4; 4], 1, 1, 1, 1)?;
/// // An expensive closure (≈ 1 µs per entry): worth splitting even this small matrix.
/// populate_with_cost(&pool, &mut m, 1_000.0, |mut b, _, _| {
///     b.fill_with(|k, j| ((k * j) as f64).sqrt())
/// });
/// assert_eq!(m.get(2, 2), Some(2.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn populate_with_cost<T, F>(
    pool: &Pool,
    m: &mut BandedBlockBandedMatrix<T>,
    ns_per_entry: f64,
    f: F,
) where
    F: Fn(BlockViewMut<'_, T>, usize, usize) + Sync,
    T: Send + Sync,
{
    let (sizes, data) = m.parts_mut();
    let all = 0..sizes.col_blocks();
    for_block_column_runs(
        pool,
        sizes,
        data,
        ns_per_entry,
        all,
        |region, base, cols| visit_block_columns(sizes, region, base, cols, &f),
    );
}

/// Splits the block columns of a matrix with the given sizes and storage `data`
/// into runs balanced by cost (stored entries × `ns_per_entry` plus a fixed cost
/// per block) and calls `run(region, base, cols)` for each run on the pool,
/// where `region` is the storage of the block columns `cols` and `base` its
/// first storage index. Inline on the caller, as one run over everything, when
/// the whole matrix is not worth a fork.
pub(crate) fn for_block_column_runs<T, R>(
    pool: &Pool,
    sizes: &BandedBlockBandedSizes,
    data: &mut [T],
    ns_per_entry: f64,
    columns: Range<usize>,
    run: R,
) where
    T: Send + Sync,
    R: Fn(&mut [T], usize, Range<usize>) + Sync,
{
    let ns_per_entry = if ns_per_entry >= 0.0 {
        ns_per_entry
    } else {
        0.0
    }; // NaN too
    let first = columns.start;
    // The whole matrix (every caller but an MPI rank's share) has its totals
    // stored: summing them per column cost a tiny fill a third of its time.
    let (entries, blocks) = if columns == (0..sizes.col_blocks()) {
        (sizes.stored_entries(), sizes.nonzero_block_count())
    } else {
        let entries: usize = columns.clone().map(|j| sizes.column_entries(j)).sum();
        let blocks: usize = columns
            .clone()
            .map(|j| sizes.block_col_support(j).len())
            .sum();
        (entries, blocks)
    };
    let total_ns = entries as f64 * ns_per_entry + blocks as f64 * BLOCK_NS;
    let count = columns.len();
    let parts = worthwhile_parts(
        count,
        total_ns / count.max(1) as f64,
        FORK_NS,
        pool.num_threads(),
    );
    if parts <= 1 {
        let range = sizes.block_columns_range(columns.clone());
        let base = range.start;
        run(&mut data[range], base, columns);
        return;
    }
    let units = |ns: f64| (ns * UNITS_PER_NS).min(u64::MAX as f64 / 2.0) as u64;
    let costs: Vec<u64> = columns
        .map(|j| {
            let blocks = sizes.block_col_support(j).len() as f64;
            units(sizes.column_entries(j) as f64 * ns_per_entry + blocks * BLOCK_NS)
        })
        .collect();
    // An owner takes runs worth ≥ 1 / MAX_OVERHEAD fork costs; thieves split
    // what is left.
    let grain = units(FORK_NS / MAX_OVERHEAD);
    let shared = SharedSlice::new(data);
    pool.for_weighted_with_grain(&costs, grain, |cols| {
        let cols = first + cols.start..first + cols.end;
        let range = sizes.block_columns_range(cols.clone());
        let base = range.start;
        // SAFETY: the weighted loop hands out disjoint runs of block columns, each
        // once, and the storage ranges of disjoint runs of block columns are
        // disjoint (`block_columns_range` tiles the storage); `data` stays
        // mutably borrowed for the whole loop.
        let region = unsafe { shared.slice_mut(range) };
        run(region, base, cols);
    });
}

/// [`populate`] on the calling thread: `f(block, K, J)` for every stored block,
/// in storage order (block column by block column, `K` increasing). The serial
/// reference, and what [`populate`] runs for small matrices.
///
/// ```
/// use accel_kernels::fill::{populate_serial, BandedBlockBandedMatrix};
/// let mut m = BandedBlockBandedMatrix::<f64>::new(&[3; 8], &[3; 6], 1, 2, 0, 1)?;
/// let mut order = Vec::new();
/// populate_serial(&mut m, |_, k, j| order.push((k, j)));
/// assert_eq!(order.len(), m.sizes().nonzero_block_count());
/// assert_eq!(&order[..3], &[(0, 0), (1, 0), (0, 1)]);
/// # Ok::<(), accel_kernels::fill::FillError>(())
/// ```
pub fn populate_serial<T, F>(m: &mut BandedBlockBandedMatrix<T>, mut f: F)
where
    F: FnMut(BlockViewMut<'_, T>, usize, usize),
{
    let (sizes, data) = m.parts_mut();
    visit_block_columns(sizes, data, 0, 0..sizes.col_blocks(), &mut f);
}

/// Visits the stored blocks of the block columns `cols`, whose storage is
/// `region` (starting at storage index `base`), in storage order, prefetching
/// each next block column on the way when the matrix is larger than the cache
/// (see [`super::prefetch`]).
#[inline]
fn visit_block_columns<T, F>(
    sizes: &BandedBlockBandedSizes,
    region: &mut [T],
    base: usize,
    cols: Range<usize>,
    mut f: F,
) where
    F: FnMut(BlockViewMut<'_, T>, usize, usize),
{
    let prefetch = sizes.storage_len().saturating_mul(size_of::<T>()) >= super::STREAM_MIN_BYTES;
    let end = cols.end;
    for block_col in cols {
        let first_col = sizes.col_offset(block_col);
        let mut next = ColumnPrefetch::after::<T>(sizes, base, block_col, end, prefetch);
        for block_row in sizes.block_col_support(block_col) {
            next.step(region.as_ptr());
            // `block_layout`, not `block`: the entry count is not needed here,
            // and computing it per block dominated the tiny fill.
            let layout = sizes
                .block_layout(block_row, block_col)
                .expect("block_col_support lists stored blocks");
            let place = Place::new(
                (block_row, block_col),
                (sizes.row_offset(block_row), first_col),
                layout,
            );
            f(BlockViewMut::new(region, base, place), block_row, block_col);
        }
    }
}
