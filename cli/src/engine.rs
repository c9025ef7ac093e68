//! The bridge to the runtime and the kernels (`accel-pool`, `accel-kernels`).
//!
//! Every call the command makes into the parallel machinery goes through here, so
//! the rest of the binary deals only in planes, batches, matrices, seconds and
//! [`Error`]s: kernel errors become one-line workload errors, and the pool's own
//! refusals (`--threads` above what a pool supports) become usage errors naming the
//! value. One [`Engine`] (one pool) serves one command, so every workload's threads
//! are started and pinned once, before any timing starts.

use accel_core::ir::stencil::{Shape, StencilError};
use accel_core::simd::{self, SimdPath};
use accel_kernels::blur::{Blur, BlurSample, Boundary};
use accel_kernels::{blackscholes, fill};
use accel_pool::{
    DefaultThreadsReason, MAX_THREADS, PinningStatus, Pool, PoolConfig, PoolError, THREADS_ENV,
    default_threads,
};

pub use accel_kernels::blackscholes::{OptionBatch, SEED_CHECKSUM_10M, SEED_CHECKSUM_40M};
pub use accel_kernels::fill::BandedBlockBandedMatrix;

use crate::args::{BoundaryArg, PoolArgs};
use crate::error::Error;
use crate::group::Group;

/// The thread team a workload runs on.
#[derive(Debug)]
pub struct Engine {
    pool: Pool,
}

impl Engine {
    /// A team as `--threads`/`--no-pin` ask (default: the pool's default thread
    /// count, one per allowed CPU unless `ACCEL_NUM_THREADS` says otherwise).
    pub fn new(args: &PoolArgs) -> Result<Self, Error> {
        let mut config = PoolConfig::new().pin(!args.no_pin);
        if let Some(n) = args.threads {
            config = config.threads(n);
        } else if let (_, DefaultThreadsReason::InvalidEnv { value, .. }) = default_threads() {
            // The library falls back to the machine default (as OpenMP does with a
            // bad OMP_NUM_THREADS); a command that was asked for a count it cannot
            // honour says so instead of quietly running on another one.
            return Err(Error::usage(
                THREADS_ENV,
                value,
                format!("not a thread count (an integer in 1..={MAX_THREADS})"),
            ));
        }
        let pool = Pool::new(config).map_err(|e| match e {
            PoolError::ZeroThreads | PoolError::TooManyThreads { .. } => Error::usage(
                "--threads",
                args.threads
                    .map_or("(default)".to_string(), |n| n.to_string()),
                e.to_string(),
            ),
            PoolError::Spawn { .. } => Error::workload("threads", e.to_string()),
        })?;
        Ok(Engine { pool })
    }

    /// Number of threads in the team (the calling thread included).
    pub fn threads(&self) -> usize {
        self.pool.num_threads()
    }

    /// Whether every worker thread is pinned to a CPU.
    pub fn pinned(&self) -> bool {
        self.pool.pinning().is_pinned()
    }

    /// How the workers are placed, in the pool's words, for the summary line
    /// ("pinned to 2 CPUs [0, 1] (…)", "unpinned (36 threads on 2 allowed CPUs)").
    pub fn pinning(&self) -> String {
        self.pool.pinning().to_string()
    }

    /// The team for a summary line: "2 threads, pinned to 2 CPUs [0, 1] (…)",
    /// "36 threads, unpinned (36 threads on 2 allowed CPUs), teams of 2 (one per
    /// CPU)", "1 thread (the caller)". Team regions (the blur) run one member per
    /// CPU when there are more threads than CPUs, and the line says so.
    pub fn team(&self) -> String {
        match self.pool.pinning() {
            PinningStatus::SingleThread => "1 thread (the caller, nothing to pin)".to_string(),
            status => {
                let members = self.pool.team_size();
                let mut text = format!("{} threads, {status}", self.threads());
                if members < self.threads() {
                    text.push_str(&format!(", teams of {members} (one per CPU)"));
                }
                text
            }
        }
    }

    /// Blurs all `planes` (the channels of one image, each `width × height`) in
    /// place, in one team region, calling `progress(done)` with the iterations done
    /// summed over planes.
    pub fn blur_planes<T: BlurSample>(
        &self,
        planes: &mut [&mut [T]],
        width: usize,
        height: usize,
        blur: &Blur<'_>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(), Error> {
        blur.clone()
            .progress(progress)
            .run(&self.pool, planes, Shape::new(width, height))
            .map_err(|e| Error::workload("blur", e.to_string()))
    }

    /// Blurs this MPI rank's band of each plane of a `width × height` image
    /// (accel-pool's banded protocol: halos from the neighbouring ranks, up to
    /// [`RANK_PASS_ITERATIONS`] iterations per exchange), each strip on this
    /// rank's pool: the same bits as one process.
    #[cfg(feature = "mpi")]
    pub fn blur_bands<T>(
        &self,
        ranks: &accel_pool::ranks::Ranks,
        planes: &mut [&mut [T]],
        width: usize,
        height: usize,
        blur: &Blur<'_>,
    ) -> Result<accel_pool::ranks::BandedStats, Error>
    where
        T: BlurSample + mpi::datatype::Equivalence + Copy + Default,
    {
        let stencil = blur.stencil();
        let banded = accel_pool::ranks::BandedStencil {
            rows: height,
            row_len: width,
            radius: stencil.radius(),
            wrap: stencil.boundary() == Boundary::Wrap,
            iterations: stencil.iterations(),
            max_pass_iterations: RANK_PASS_ITERATIONS,
        };
        ranks
            .run_stencil_bands(banded, planes, &mut |strips, rows, k| {
                blur.clone()
                    .iterations(k)
                    .run(&self.pool, strips, Shape::new(width, rows))
            })
            .map_err(|failure| rank_error("blur", failure))
    }

    /// Whether the blur accepts a `width × height` plane, by the kernels' own
    /// rule ([`Blur::check`]), before any work is done.
    pub fn check_blur_plane(
        width: usize,
        height: usize,
        blur: &Blur<'_>,
    ) -> Result<(), StencilError> {
        blur.check(Shape::new(width, height), width.saturating_mul(height))
    }

    /// Blurs one plane in place with the plain serial reference (one iteration at a
    /// time over the whole plane).
    pub fn blur_plane_serial<T: BlurSample>(
        plane: &mut [T],
        width: usize,
        height: usize,
        blur: &Blur<'_>,
    ) -> Result<(), Error> {
        blur.run_serial(plane, Shape::new(width, height))
            .map_err(|e| Error::workload("blur", format!("serial reference: {e}")))
    }

    /// `sum(put)` over the batch with the fused map-and-reduce kernel.
    pub fn blackscholes_checksum(&self, batch: &OptionBatch) -> Result<f64, Error> {
        blackscholes::checksum(&self.pool, batch).map_err(bs_error)
    }

    /// The checksum of the seed's `n` options of which this rank holds
    /// `part` ([`Group::formula_range`]): across MPI ranks, the same bits as
    /// one process's [`blackscholes_checksum`](Self::blackscholes_checksum)
    /// for any number of ranks and threads. Alone, exactly that call.
    pub fn blackscholes_checksum_ranks(
        &self,
        group: &Group,
        n: usize,
        part: &OptionBatch,
    ) -> Result<f64, Error> {
        #[cfg(feature = "mpi")]
        if let Some(ranks) = group.ranks() {
            let path = SimdPath::active();
            return ranks
                .sum_formula_on(
                    &self.pool,
                    path,
                    n,
                    part.columns(0..part.len()),
                    &blackscholes::BlackScholes,
                )
                .map_err(|failure| rank_error("blackscholes", failure));
        }
        let _ = (group, n);
        self.blackscholes_checksum(part)
    }

    /// Every put price of the batch, with the fused parallel kernel.
    pub fn blackscholes_price(&self, batch: &OptionBatch, put: &mut [f64]) -> Result<(), Error> {
        blackscholes::price(&self.pool, batch, put).map_err(bs_error)
    }

    /// Every put price of the batch, with the strict serial reference (libm functions).
    pub fn blackscholes_price_serial(batch: &OptionBatch, put: &mut [f64]) -> Result<(), Error> {
        blackscholes::price_serial(batch, put).map_err(bs_error)
    }

    /// Writes 1 to every stored entry of `m`, in parallel (the notebook's simplefill).
    pub fn fill(&self, m: &mut BandedBlockBandedMatrix<f64>) {
        fill::simplefill(&self.pool, m);
    }

    /// [`fill`](Self::fill) of block columns `columns` only: one rank's share.
    pub fn fill_columns(
        &self,
        m: &mut BandedBlockBandedMatrix<f64>,
        columns: std::ops::Range<usize>,
    ) {
        fill::simplefill_columns(&self.pool, m, columns);
    }

    /// The plain serial reference of [`Engine::fill`].
    pub fn fill_serial(m: &mut BandedBlockBandedMatrix<f64>) {
        fill::simplefill_serial(m);
    }
}

/// A zero matrix with the given (validated) sizes.
/// The most blur iterations one exchange of halos between MPI ranks covers:
/// a pass of `k` iterations recomputes about `6 · 2k` rows per band (the
/// radius is 2), so at the seed's bands (1331 rows on 4 ranks) 16 iterations
/// cost 14 % more rows and save 15 of every 16 messages; `halo_iterations`
/// lowers it on thin bands.
#[cfg(feature = "mpi")]
pub const RANK_PASS_ITERATIONS: usize = 16;

/// A failure the ranks already agreed on inside a workload, as the command's
/// agreed error (so it is not agreed, or taken for a bug, a second time).
#[cfg(feature = "mpi")]
fn rank_error(workload: &str, failure: accel_pool::ranks::RankFailure) -> Error {
    Error::Rank {
        rank: failure.rank,
        code: crate::error::EXIT_FAILURE,
        message: format!("{workload}: {}", failure.message),
    }
}

pub fn zero_matrix(
    sizes: fill::BandedBlockBandedSizes,
) -> Result<BandedBlockBandedMatrix<f64>, Error> {
    BandedBlockBandedMatrix::zeros(sizes).map_err(|e| Error::workload("fill", e.to_string()))
}

/// The kernels' blur for `accel blur`'s `--iters`, `--boundary` and
/// `--normalize`.
pub fn blur_options(iters: usize, boundary: BoundaryArg, normalize: bool) -> Blur<'static> {
    let blur = if normalize {
        Blur::gaussian_normalized()
    } else {
        Blur::gaussian()
    };
    blur.iterations(iters).boundary(match boundary {
        BoundaryArg::Skip => Boundary::Skip,
        BoundaryArg::ZeroSrc => Boundary::ZeroSrc,
        BoundaryArg::Wrap => Boundary::Wrap,
        BoundaryArg::Clamp => Boundary::Clamp,
    })
}

fn bs_error(e: blackscholes::BlackScholesError) -> Error {
    Error::workload("blackscholes", e.to_string())
}

/// The SIMD path every kernel of this run uses (core's one detection), after
/// applying `ACCEL_SIMD`: a value that names no path, or one this CPU lacks, is a
/// usage error, so a run never measures another path than the one asked for.
/// Each workload calls this before any work.
pub fn active_simd() -> Result<SimdPath, Error> {
    simd::force_from_env().map_err(|e| Error::usage("ACCEL_SIMD", e.value, e.error.to_string()))?;
    Ok(SimdPath::active())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_boundary_maps_to_its_kernel_mode() {
        for (arg, name) in [
            (BoundaryArg::Skip, "skip"),
            (BoundaryArg::ZeroSrc, "zero-src"),
            (BoundaryArg::Wrap, "wrap"),
            (BoundaryArg::Clamp, "clamp"),
        ] {
            let mode = blur_options(3, arg, false).stencil().boundary();
            assert_eq!(mode.to_string(), name);
            assert_eq!(arg.name(), name);
        }
    }

    #[test]
    fn team_text_counts_threads_and_says_how_they_are_placed() {
        let one = Engine::new(&PoolArgs {
            threads: Some(1),
            no_pin: false,
        })
        .unwrap();
        assert_eq!(one.team(), "1 thread (the caller, nothing to pin)");
        let three = Engine::new(&PoolArgs {
            threads: Some(3),
            no_pin: true,
        })
        .unwrap();
        let cpus = accel_pool::usable_cpus();
        let teams = if cpus < 3 {
            format!(", teams of {cpus} (one per CPU)")
        } else {
            String::new()
        };
        assert_eq!(
            three.team(),
            format!("3 threads, unpinned (pinning disabled){teams}")
        );
        assert!(!three.pinned());
        let many = Engine::new(&PoolArgs {
            threads: Some(cpus + 1),
            no_pin: false,
        })
        .unwrap();
        assert!(
            many.team()
                .ends_with(&format!(", teams of {cpus} (one per CPU)")),
            "{}",
            many.team()
        );
    }

    #[test]
    fn too_many_threads_is_a_usage_error_naming_the_value() {
        let args = PoolArgs {
            threads: Some(accel_pool::MAX_THREADS + 1),
            no_pin: true,
        };
        let err = Engine::new(&args).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains(&(accel_pool::MAX_THREADS + 1).to_string())
        );
    }
}
