//! Populating a banded-block-banded matrix block by block, in parallel.
//!
//! The workload of ARCHITECTURE.md §5.1, after the BlockBandedMatrices.jl notebook:
//! a [`BandedBlockBandedMatrix`] owns one storage array laid out by core's
//! [`BandedBlockBandedSizes`]; [`populate`] calls a closure once per stored block
//! with a [`BlockViewMut`] that indexes the block as a small banded matrix, on
//! all the pool's workers, balanced by stored entries; [`simplefill`] writes 1 to
//! every stored entry, as the notebook's benchmark does. [`populate_serial`] and
//! [`simplefill_serial`] are the plain one-thread references.
//!
//! # Block views
//! A [`BlockViewMut`] indexes one stored block locally, `(k, j)` from 0: entries
//! inside the sub-block band `-λ ≤ j − k ≤ μ` are stored, the others read as zero
//! and only zero may be written there (a nonzero write is a [`BandError`], as in
//! BlockBandedMatrices.jl). Fast loops use the stored column segments:
//! [`BlockViewMut::col_rows`] and [`BlockViewMut::col_mut`].
//!
//! # How populate splits the work
//! The blocks of one block column interleave in storage, so the storage can only
//! be cut between block columns. [`populate`] weights each block column by its
//! stored entries (times the closure's cost per entry) plus a fixed cost per
//! block, splits the block columns with the pool's weighted loop, cuts the
//! storage at the runs' ends and lets each worker walk its run in storage order:
//! every stored block is visited exactly once, and a worker's blocks are
//! contiguous in memory. A matrix whose whole cost is below a few fork-join
//! overheads (the notebook's tiny case) runs inline on the caller, allocating
//! nothing. For a matrix of at least [`STREAM_MIN_BYTES`], each next block column
//! is prefetched while the blocks of the current one are visited (see the private
//! `prefetch` module for why).
//!
//! # One value everywhere
//! Calling a closure per block means one sweep over a block column per block.
//! [`fill_stored`] (and so [`simplefill`]) writes the same value to every stored
//! entry in one sweep: within a storage column the segments of consecutive
//! blocks are adjacent, so where every block of a block column stores its full
//! band the block column's stored entries are one run per storage column — or,
//! with all `l + u + 1` blocks present, one contiguous range. For a matrix of at
//! least [`STREAM_MIN_BYTES`], [`simplefill`] writes those ranges with streaming
//! (non-temporal) stores where the CPU has them: the fill is then bound by the
//! write bandwidth, and streaming stores skip reading each line before writing it.
//!
//! ```
//! use accel_kernels::fill::{simplefill, BandedBlockBandedMatrix};
//! use accel_pool::{Pool, PoolConfig};
//! let pool = Pool::new(PoolConfig::new().threads(2))?;
//! // ARCHITECTURE.md §5.1's second check vector: rows [2, 6], cols [1, 3], (l,u,λ,μ) = (0,0,4,0).
//! let mut m = BandedBlockBandedMatrix::<f64>::new(&[2, 6], &[1, 3], 0, 0, 4, 0)?;
//! simplefill(&pool, &mut m);
//! let dense = m.to_dense();
//! assert_eq!(&dense[12..16], &[0.0, 1.0, 1.0, 0.0]); // row 3
//! assert_eq!(&dense[28..32], &[0.0, 0.0, 1.0, 1.0]); // row 7
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod matrix;
mod populate;
mod prefetch;
mod stored;
mod stream;
mod view;

/// The sizes of a fill's matrix: core's banded sizes with heap-allocated
/// offsets.
pub type BandedBlockBandedSizes = accel_core::banded::OwnedBandedSizes;
pub use error::{BandError, FillError};
pub use matrix::BandedBlockBandedMatrix;
pub use populate::{DEFAULT_NS_PER_ENTRY, populate, populate_serial, populate_with_cost};
pub use stored::fill_stored;
pub use view::{BlockView, BlockViewMut};

use core::ops::Range;

use accel_pool::Pool;

/// The storage size, in bytes, from which a matrix is treated as larger than the
/// cache: [`simplefill`] writes it with streaming stores and [`populate`]
/// prefetches each next block column.
///
/// Below it a matrix is likely to fit the shared last-level cache of a desktop
/// or server CPU, so a matrix that is filled again, or read soon after, is still
/// cached: plain stores are as fast there and leave the data in cache, and
/// prefetching only adds instructions. Above it the fill ends in memory
/// whatever the stores do. The value sits between the sizes at which the two
/// kinds of store were measured equal and streaming clearly ahead (the private
/// `stream` module has the details); every size test and document refers to this
/// constant rather than repeating its value.
pub const STREAM_MIN_BYTES: usize = 8 << 20;

/// The notebook's benchmark: every stored entry of `m` becomes 1, in parallel.
///
/// Same result as [`populate`] with a closure that fills each block with ones
/// (the notebook's formulation), but run by [`fill_stored`], which writes each
/// block column in one pass instead of one pass per block. A matrix of at least
/// [`STREAM_MIN_BYTES`] is written with streaming stores where the CPU has them:
/// it ends in memory anyway, and they skip reading each line before writing it,
/// which halves the memory traffic.
///
/// ```
/// use accel_kernels::fill::{simplefill, BandedBlockBandedMatrix};
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// let mut m = BandedBlockBandedMatrix::<f64>::new(&[3; 8], &[3; 6], 1, 2, 0, 1)?;
/// simplefill(&pool, &mut m);
/// assert_eq!(m.storage().iter().filter(|&&x| x == 1.0).count(), 105);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn simplefill(pool: &Pool, m: &mut BandedBlockBandedMatrix<f64>) {
    stored::fill_stored_f64(pool, m, 1.0, None);
}

/// [`simplefill`] of the stored blocks in block columns `columns` only (the
/// other entries are left as they are): one rank's share of a fill split
/// among processes ([`rank_block_columns`]). The entries written are exactly
/// those [`simplefill`] writes in those block columns.
///
/// ```
/// use accel_kernels::fill::{rank_block_columns, simplefill, simplefill_columns, BandedBlockBandedMatrix};
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// let mut whole = BandedBlockBandedMatrix::<f64>::new(&[4; 9], &[3; 7], 1, 2, 1, 1)?;
/// simplefill(&pool, &mut whole);
/// let mut parts = BandedBlockBandedMatrix::<f64>::new(&[4; 9], &[3; 7], 1, 2, 1, 1)?;
/// for rank in 0..3 {
///     let columns = rank_block_columns(parts.sizes(), 3, rank);
///     simplefill_columns(&pool, &mut parts, columns);
/// }
/// assert_eq!(parts.storage(), whole.storage());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Panics
/// Panics if `columns` reaches past the matrix's block columns.
pub fn simplefill_columns(
    pool: &Pool,
    m: &mut BandedBlockBandedMatrix<f64>,
    columns: Range<usize>,
) {
    assert!(
        columns.end <= m.sizes().col_blocks(),
        "block columns {columns:?} of {}",
        m.sizes().col_blocks()
    );
    stored::fill_stored_f64(pool, m, 1.0, Some(columns));
}

/// The block columns of part `part` of `parts` (an MPI rank's share): the
/// block columns split into contiguous runs balanced by stored entries, each
/// within one block column's entries of the ideal share (core's
/// [`weighted_part`](accel_core::partition::weighted_part)). Their storage is
/// one contiguous range ([`block_columns_range`](accel_core::banded::BandedBlockBandedSizes::block_columns_range)).
///
/// # Panics
/// Panics if `parts == 0` or `part >= parts`.
pub fn rank_block_columns(
    sizes: &BandedBlockBandedSizes,
    parts: usize,
    part: usize,
) -> Range<usize> {
    let mut prefix = vec![0u64; sizes.col_blocks() + 1];
    let costs: Vec<u64> = (0..sizes.col_blocks())
        .map(|j| sizes.column_entries(j) as u64)
        .collect();
    accel_core::partition::prefix_sums(&costs, &mut prefix).expect("entry counts fit u64");
    accel_core::partition::weighted_part(&prefix, parts, part)
}

/// The plain serial reference of [`simplefill`]: for every stored block, every
/// stored column segment, every entry, write 1 — no views, no dispatch.
///
/// ```
/// use accel_kernels::fill::{simplefill_serial, BandedBlockBandedMatrix};
/// let mut m = BandedBlockBandedMatrix::<f64>::new(&[2, 3], &[2, 3], 0, 1, 1, 1)?;
/// simplefill_serial(&mut m);
/// assert_eq!(m.storage().iter().sum::<f64>(), m.sizes().stored_entries() as f64);
/// # Ok::<(), accel_kernels::fill::FillError>(())
/// ```
pub fn simplefill_serial(m: &mut BandedBlockBandedMatrix<f64>) {
    let (sizes, data) = m.parts_mut();
    for block_col in 0..sizes.col_blocks() {
        for block_row in sizes.block_col_support(block_col) {
            let layout = sizes
                .block_layout(block_row, block_col)
                .expect("a stored block");
            for j in 0..layout.cols() {
                for x in &mut data[layout.col_storage(j)] {
                    *x = 1.0;
                }
            }
        }
    }
}
