//! `accel fill`: fill a banded-block-banded matrix with ones, in parallel.
//!
//! The sizes are validated by `accel-core` (overflowing band widths or storage are
//! usage errors naming the values) and the storage is checked against memory
//! before it is allocated.

use accel_kernels::fill::BandedBlockBandedSizes;

use std::time::Instant;

use crate::args::FillArgs;
use crate::engine::{self, Engine};
use crate::error::Error;
use crate::group::Group;
use crate::memory;
use crate::report::{self, Comparison, ErrorStats};

/// The block layout the arguments describe, validated and checked against memory.
pub fn sizes(args: &FillArgs) -> Result<BandedBlockBandedSizes, Error> {
    let lists = memory::product(&[(args.block_rows as u128) + (args.block_cols as u128), 8]);
    memory::ensure_fits(lists).map_err(|e| {
        Error::workload(
            "fill",
            format!(
                "--block-rows {} --block-cols {}: the list of block sizes {e}",
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
pub fn run(args: &FillArgs, group: &Group) -> Result<(), Error> {
    let engine = group.agree(Engine::new(&args.pool))?;
    let simd = group.agree(engine::active_simd())?;
    let sizes = group.agree(sizes(args))?;
    let entries = sizes.stored_entries();
    // Each rank allocates the whole (lazily zeroed) storage and writes only
    // its block columns' range of it.
    let mut matrix = group.agree(engine::zero_matrix(sizes.clone()))?;
    // Each rank's block columns, by stored-entry weight (all of them alone).
    let shares: Vec<_> = (0..group.size())
        .map(|r| accel_kernels::fill::rank_block_columns(&sizes, group.size(), r))
        .collect();
    let seconds = if group.distributed() {
        let mine = shares[group.rank()].clone();
        best_of_ranks(group, args.repeat, || {
            engine.fill_columns(&mut matrix, mine.clone())
        })
    } else {
        best_of(args.repeat, || engine.fill(&mut matrix))
    };

    let comparison = if args.report.compare {
        // Rank 0 gathers every rank's storage range and checks it against the
        // serial fill; every rank learns the verdict.
        let ranges: Vec<_> = shares
            .iter()
            .map(|share| sizes.block_columns_range(share.clone()))
            .collect();
        let verdict = if group.gather_in_place(&ranges, matrix.storage_mut()) {
            engine::zero_matrix(sizes).and_then(|mut reference| {
                let serial_seconds = best_of(args.repeat, || Engine::fill_serial(&mut reference));
                check_equal(matrix.storage(), reference.storage())
                    .map(|errors| (errors, serial_seconds))
            })
        } else {
            Ok((ErrorStats::default(), 0.0))
        };
        let (errors, serial_seconds) = group.agree(verdict)?;
        Some(Comparison {
            serial_seconds,
            accel_seconds: seconds,
            errors,
        })
    } else {
        None
    };

    // Every stored entry is written once per fill: 8 bytes each.
    let bytes_per_second = entries as f64 * 8.0 / seconds;
    let gb_per_second = bytes_per_second / 1e9;
    if args.report.json {
        let mut json = serde_json::json!({
            "workload": "fill",
            "block_rows": args.block_rows,
            "block_size": args.block_size,
            "block_cols": args.block_cols,
            "col_block_size": args.col_block_size,
            "bands": [args.bands.0, args.bands.1],
            "sub_bands": [args.sub_bands.0, args.sub_bands.1],
            "entries": entries,
            "storage_entries": matrix.storage().len(),
            "repeat": args.repeat,
            "threads": engine.threads(),
            "ranks": group.size(),
            "threads_per_rank": engine.threads(),
            "pinned": engine.pinned(),
            "pinning": engine.pinning(),
            "simd": simd.name(),
            "seconds": seconds,
            "gb_per_second": report::finite_or_null(gb_per_second),
        });
        if let Some(c) = &comparison {
            c.add_to(&mut json);
            if entries == 0 {
                // Nothing was filled: the two timings are clock noise.
                json["speedup"] = serde_json::Value::Null;
            }
        }
        return group.agree(report::emit_json(&json));
    }
    let entry_word = if entries == 1 { "entry" } else { "entries" };
    let mut line = format!(
        "fill: {}×{} blocks of {}×{}, bands {},{}, sub-bands {},{}: {entries} stored {entry_word}, {}{}; best of {}: {}, {:.2} GB/s",
        args.block_rows,
        args.block_cols,
        args.block_size,
        args.col_block_size,
        args.bands.0,
        args.bands.1,
        args.sub_bands.0,
        args.sub_bands.1,
        group.summary_prefix(),
        engine.team(),
        args.repeat,
        report::seconds(seconds),
        gb_per_second,
    );
    if let Some(c) = &comparison {
        line.push_str("; ");
        if entries == 0 {
            line.push_str(&c.summary_without_speedup("nothing to fill"));
        } else {
            line.push_str(&c.summary());
        }
        line.push_str(" (storage identical)");
    }
    group.agree(report::emit(&line))
}

/// The shortest of `repeat` timed runs of `work`, in seconds.
fn best_of(repeat: usize, mut work: impl FnMut()) -> f64 {
    (0..repeat.max(1))
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// The shortest of `repeat` runs of `work` on every rank at once: each run
/// starts together (a barrier) and lasts until the slowest rank is done.
fn best_of_ranks(group: &Group, repeat: usize, mut work: impl FnMut()) -> f64 {
    (0..repeat.max(1))
        .map(|_| {
            group.barrier();
            let start = Instant::now();
            work();
            group.max_f64(start.elapsed().as_secs_f64())
        })
        .fold(f64::INFINITY, f64::min)
}

/// The fill writes exact values, so the parallel storage must equal the serial one
/// entry for entry (padding included); the error names the first difference.
pub fn check_equal(got: &[f64], want: &[f64]) -> Result<ErrorStats, Error> {
    let mut errors = ErrorStats::default();
    for (&g, &w) in got.iter().zip(want) {
        errors.add(g, w);
    }
    let first = got
        .iter()
        .zip(want)
        .position(|(g, w)| g.to_bits() != w.to_bits());
    match (got.len() == want.len(), first) {
        (true, None) => Ok(errors),
        (false, _) => Err(Error::accuracy(
            "fill",
            format!(
                "the storage holds {} entries, the serial reference's {}",
                got.len(),
                want.len()
            ),
        )),
        (true, Some(i)) => Err(Error::accuracy(
            "fill",
            format!(
                "storage entry {i} is {} but the serial reference has {} (largest difference {:.3e})",
                got[i], want[i], errors.max_abs
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_storage_passes_and_any_difference_fails() {
        let want = [1.0, 0.0, 1.0, 1.0];
        assert_eq!(check_equal(&want, &want).unwrap(), ErrorStats::default());
        let e = check_equal(&[1.0, 0.0, 0.0, 1.0], &want).unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(e.to_string().contains("entry 2"), "{e}");
        assert!(check_equal(&[1.0, 0.0, 1.0], &want).is_err());
        // -0.0 == 0.0 numerically but is not what the reference wrote
        assert!(check_equal(&[1.0, -0.0, 1.0, 1.0], &want).is_err());
    }

    #[test]
    fn best_of_runs_every_repetition() {
        let mut runs = 0;
        let best = best_of(3, || runs += 1);
        assert_eq!(runs, 3);
        assert!(best.is_finite() && best >= 0.0);
    }
}
