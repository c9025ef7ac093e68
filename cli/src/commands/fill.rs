//! `accel fill`: fill a banded-block-banded matrix with ones, in parallel.
//!
//! The sizes are validated by `accel-core` (overflowing band widths or storage are
//! usage errors naming the values) and the storage is checked against memory
//! before it is allocated.

use accel_core::banded::BandedBlockBandedSizes;

use crate::args::FillArgs;
use crate::error::Error;
use crate::memory;

/// The block layout the arguments describe, validated and checked against memory.
pub fn sizes(args: &FillArgs) -> Result<BandedBlockBandedSizes<Vec<usize>>, Error> {
    let lists = memory::product(&[(args.block_rows as u128) + (args.block_cols as u128), 8]);
    memory::ensure_fits(lists).map_err(|e| {
        Error::workload(
            "fill",
            format!(
                "--block-rows {} --block-cols {}: the block size lists {e}",
                args.block_rows, args.block_cols
            ),
        )
    })?;
    let rows = vec![args.block_size; args.block_rows];
    let cols = vec![args.col_block_size; args.block_cols];
    let (l, u) = args.bands;
    let (lambda, mu) = args.sub_bands;
    let sizes = BandedBlockBandedSizes::new(&rows, &cols, l, u, lambda, mu).map_err(|e| {
        Error::usage(
            "matrix sizes",
            format!(
                "N={} n={} M={} m={} bands={l},{u} sub-bands={lambda},{mu}",
                args.block_rows, args.block_size, args.block_cols, args.col_block_size
            ),
            e.to_string(),
        )
    })?;
    let copies = if args.report.compare { 2 } else { 1 };
    memory::ensure_fits(memory::product(&[sizes.storage_len() as u128, 8, copies])).map_err(
        |e| {
            Error::workload(
                "fill",
                format!(
                    "{}×{} blocks of {}×{}: the storage of {} entries {e}",
                    args.block_rows,
                    args.block_cols,
                    args.block_size,
                    args.col_block_size,
                    sizes.storage_len()
                ),
            )
        },
    )?;
    Ok(sizes)
}

/// Runs `accel fill`.
pub fn run(args: &FillArgs) -> Result<(), Error> {
    let _sizes = sizes(args)?;
    Err(Error::workload(
        "fill",
        "the accel kernels are not available in this build yet",
    ))
}
