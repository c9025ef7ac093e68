//! Work across MPI ranks: each rank runs its share on its own [`Pool`], and MPI
//! moves the halos and the partial results between ranks (feature `mpi`).
//!
//! This is the runtime half of the decomposition; the arithmetic half (which
//! rows a rank owns, which pieces of its halo come from whom, how many
//! iterations one exchange covers, chunk-aligned ranges) is
//! [`accel_core::partition::ranks`], pure functions that every rank evaluates
//! for itself, so that no plan is ever sent. Within a rank nothing changes:
//! the pool's team runs the band, with its temporal blocking.
//!
//! Only the calling thread of a rank talks to MPI (`MPI_THREAD_FUNNELED`): the
//! pool's workers compute and never communicate.
//!
//! # Protocol of a banded stencil ([`Ranks::run_stencil_bands`])
//! ```text
//! every rank, for each pass of k iterations (k = halo_iterations, the same on every rank):
//!     d = k · r                              halo depth
//!     copy band rows 0 .. 2d and B − 2d .. B into the two edge strips
//!     post receives of the halo pieces above and below straight into the strips
//!         (partition::RowBands::halo_pieces)
//!     post sends of the rows other ranks' halos take from this band (from the strips' copies)
//!     advance the band in place k iterations    (while the messages travel)
//!         → its rows d .. B − d are exact
//!     wait for the messages
//!     strip above = halo above ++ band rows 0 .. 2d; advance k → band rows 0 .. d
//!     strip below = band rows B − 2d .. B ++ halo below; advance k → band rows B − d .. B
//!     (a band shorter than 3d: one strip, halo above ++ band ++ halo below)
//!     agree: every rank learns whether any rank failed, and stops if one did
//! ```
//! The messages travel while the interior advances as far as the MPI
//! library moves them on its own: small (eager) messages do; a large halo
//! under a library without an asynchronous progress thread may move only at
//! the wait. The order of the steps is what makes overlap possible, not a
//! promise of it.
//!
//! Besides the band's own pass, a pass copies `4d` rows in and `2d` rows out
//! per plane (not the whole band), and recomputes the two strips' `6d` rows.
//!
//! Why the strips give exact rows: a strip's ends that are not the plane's own
//! edges carry wrong values (the strip's boundary rule applied to rows that do
//! have neighbours), and each iteration moves that error `r` rows inwards, so
//! after `k` iterations rows at least `d` from such an end are exact. Where a
//! strip's end is the plane's own edge (the first and last bands, under every
//! mode but `wrap`), its boundary rule is the plane's. Under `wrap` the halo of
//! the first band comes from the last ranks and vice versa, periodically; a
//! plane thinner than the halo repeats rows, exactly as the periodic plane
//! does. So the result has the same bits as one process.
//!
//! # Deterministic reductions
//! [`Ranks::sum_formula_on`] splits `0..n` on [`FORMULA_CHUNK`] boundaries
//! ([`Ranks::formula_range`]); each rank computes the sums of its chunks
//! ([`Pool::chunk_sums_formula_on`]), rank 0 gathers them in rank order and
//! folds them left to right, exactly as one process folds its chunks, and
//! broadcasts the result: the same bits for any number of ranks and threads.
//!
//! # Failures
//! A rank that fails while the others wait in a collective would hang them,
//! so every step that can fail on one rank alone ends in
//! [`Ranks::agree`]: a collective in which every rank learns the lowest
//! failing rank and its message, and all return the same error.

use std::fmt;
use std::ops::Range;

use accel_core::ir::Formula;
use accel_core::partition::{HaloPiece, RowBands, aligned_range, halo_iterations};
use accel_core::simd::SimdPath;
use mpi::collective::SystemOperation;
use mpi::datatype::{Equivalence, Partition, PartitionMut};
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::{CommunicatorCollectives, Destination, Root, Source};
use mpi::{Count, Threading};

use crate::ir_formula::{FORMULA_CHUNK, check_lengths};
use crate::pool::Pool;

/// Environment variables whose presence means this process was started by
/// an MPI launcher (Open MPI's `mpirun`, or a PMI/PMIx one such as `srun`).
pub const LAUNCHER_ENV: [&str; 4] = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"];

/// Why the ranks could not be set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RanksError {
    /// MPI was already initialised in this process (a second [`Ranks`]).
    AlreadyInitialized,
    /// The MPI library gives less thread support than funnelled (only the
    /// main thread calls MPI), which the pool's workers need.
    ThreadSupport {
        /// What the library provides.
        provided: &'static str,
    },
}

impl fmt::Display for RanksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyInitialized => write!(f, "MPI is already initialised in this process"),
            Self::ThreadSupport { provided } => write!(
                f,
                "the MPI library provides only {provided} thread support; accel needs funnelled (worker threads that never call MPI)"
            ),
        }
    }
}

impl std::error::Error for RanksError {}

/// An error that some rank met, which every rank now returns (see
/// [`Ranks::agree`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankFailure {
    /// The lowest rank that failed.
    pub rank: usize,
    /// Its error, as text.
    pub message: String,
}

impl fmt::Display for RankFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (on rank {})", self.message, self.rank)
    }
}

impl std::error::Error for RankFailure {}

/// A banded iterated stencil, as [`Ranks::run_stencil_bands`] runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BandedStencil {
    /// Rows of the whole plane (planes of a volume): the dimension split
    /// into bands.
    pub rows: usize,
    /// Values per row (`width`, or `width × height` for a volume's planes).
    pub row_len: usize,
    /// The stencil's radius along the split dimension.
    pub radius: usize,
    /// Whether the boundary is periodic (`wrap`) along the split dimension.
    pub wrap: bool,
    /// Iterations to run.
    pub iterations: usize,
    /// The most iterations one exchange of halos may cover
    /// (see [`halo_iterations`]).
    pub max_pass_iterations: usize,
}

/// What a banded run did: the passes and depth are the same on every rank,
/// the rows received are this rank's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BandedStats {
    /// Passes run (exchanges of halos).
    pub passes: usize,
    /// Iterations one pass covered at most (the `k` of the first pass).
    pub pass_iterations: usize,
    /// Halo depth of that pass, in rows (`k · r`).
    pub halo_depth: usize,
    /// Halo rows this rank took in over the whole run, all planes together
    /// (rows it owns itself, under `wrap` on few ranks, included).
    pub halo_rows_received: usize,
}

/// What [`Ranks::share_node_cpus`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeCpus {
    /// This rank keeps the CPUs the launcher gave it.
    Unchanged,
    /// This rank shares its node's CPUs with others and now runs on `cpus`.
    Shared {
        /// Its place among the ranks of its node that had its CPUs.
        local_rank: usize,
        /// How many ranks of its node had its CPUs.
        local_size: usize,
        /// The CPUs it now runs on.
        cpus: Vec<usize>,
    },
}

/// The ranks of `MPI_COMM_WORLD`, initialised for funnelled use; MPI is
/// finalised when this is dropped.
pub struct Ranks {
    // Declared before the universe: the communicator handle goes first.
    world: SimpleCommunicator,
    _universe: Universe,
}

impl fmt::Debug for Ranks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ranks")
            .field("rank", &self.rank())
            .field("size", &self.size())
            .finish()
    }
}

/// Whether the environment says this process was started by an MPI launcher.
pub fn launched_by_mpi() -> bool {
    LAUNCHER_ENV.iter().any(|v| std::env::var_os(v).is_some())
}

impl Ranks {
    /// Initialises MPI (`MPI_Init_thread`, funnelled) and joins
    /// `MPI_COMM_WORLD`. Outside a launcher this is a world of one rank.
    ///
    /// # Errors
    /// [`RanksError::AlreadyInitialized`] on a second call in one process,
    /// [`RanksError::ThreadSupport`] if the library gives single-threaded
    /// support only.
    pub fn init() -> Result<Self, RanksError> {
        let (universe, provided) = mpi::initialize_with_threading(Threading::Funneled)
            .ok_or(RanksError::AlreadyInitialized)?;
        if provided < Threading::Funneled {
            return Err(RanksError::ThreadSupport { provided: "single" });
        }
        Ok(Self {
            world: universe.world(),
            _universe: universe,
        })
    }

    /// This process's rank, `0..size`.
    pub fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    /// The number of ranks.
    pub fn size(&self) -> usize {
        self.world.size() as usize
    }

    /// Whether this is rank 0, the one that prints and writes shared files.
    pub fn is_root(&self) -> bool {
        self.world.rank() == 0
    }

    /// The world communicator, for anything this module does not wrap.
    pub fn world(&self) -> &SimpleCommunicator {
        &self.world
    }

    /// Waits until every rank has called it.
    pub fn barrier(&self) {
        self.world.barrier();
    }

    /// Ends every rank at once with `code` (`MPI_Abort`): for a bug (a panic)
    /// on one rank, which would otherwise leave the others waiting.
    pub fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }

    /// Collective: every rank passes its own outcome and gets back `Ok` only
    /// if every rank succeeded; otherwise all get the same [`RankFailure`],
    /// naming the lowest failing rank and its message.
    pub fn agree<T, E: fmt::Display>(&self, local: Result<T, E>) -> Result<T, RankFailure> {
        let size = self.world.size();
        let mine = if local.is_err() {
            self.world.rank()
        } else {
            size
        };
        let mut first = size;
        self.world
            .all_reduce_into(&mine, &mut first, SystemOperation::min());
        if first == size {
            return Ok(local.unwrap_or_else(|_| unreachable!("every rank succeeded")));
        }
        let mut text = match &local {
            Err(e) if self.world.rank() == first => e.to_string().into_bytes(),
            _ => Vec::new(),
        };
        let root = self.world.process_at_rank(first);
        let mut len = text.len() as u64;
        root.broadcast_into(&mut len);
        text.resize(len as usize, 0);
        root.broadcast_into(&mut text[..]);
        Err(RankFailure {
            rank: first as usize,
            message: String::from_utf8_lossy(&text).into_owned(),
        })
    }

    /// Collective: the largest of every rank's `x` (NaN if any is NaN), on
    /// every rank.
    pub fn max_f64(&self, x: f64) -> f64 {
        let nan = u8::from(x.is_nan());
        let mut any_nan = 0u8;
        self.world
            .all_reduce_into(&nan, &mut any_nan, SystemOperation::max());
        if any_nan != 0 {
            return f64::NAN;
        }
        let mut max = x;
        self.world
            .all_reduce_into(&x, &mut max, SystemOperation::max());
        max
    }

    /// Collective: every rank's `x` added left to right in rank order from
    /// `0.0` (`((0 + x₀) + x₁) + …`), on every rank: the same bits however
    /// MPI would order a reduction.
    pub fn sum_in_rank_order(&self, x: f64) -> f64 {
        let root = self.world.process_at_rank(0);
        let mut total = 0.0f64;
        if self.is_root() {
            let mut all = vec![0.0f64; self.size()];
            root.gather_into_root(&x, &mut all[..]);
            total = all.iter().fold(0.0, |a, b| a + b);
        } else {
            root.gather_into(&x);
        }
        root.broadcast_into(&mut total);
        total
    }

    /// Collective: rank 0's `bytes` on every rank (the others' are ignored).
    pub fn broadcast_bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        let root = self.world.process_at_rank(0);
        let mut bytes = if self.is_root() { bytes } else { Vec::new() };
        let mut len = bytes.len() as u64;
        root.broadcast_into(&mut len);
        bytes.resize(len as usize, 0);
        root.broadcast_into(&mut bytes[..]);
        bytes
    }

    /// Collective: when the launcher gave several ranks on one node the same
    /// CPUs (an unbound launch, `--oversubscribe`, or several ranks bound to
    /// one socket), gives each its own share of them, so that their pools pin
    /// their workers to different CPUs instead of piling onto the first ones.
    /// The ranks with the same mask share it in balanced contiguous runs, in
    /// node-local rank order (one CPU each, round robin, if there are more
    /// ranks than CPUs). A rank whose mask no other rank has keeps it.
    ///
    /// Call it from the main thread, before any pool exists in this process:
    /// the pool reads the process's mask once
    /// ([`allowed_cpus`](crate::allowed_cpus)); called from another thread it
    /// changes nothing. Linux only; elsewhere nothing changes.
    pub fn share_node_cpus(&self) -> NodeCpus {
        #[cfg(target_os = "linux")]
        {
            let local = self.world.split_shared(self.world.rank());
            let local_rank = local.rank() as usize;
            const WORDS: usize = libc::CPU_SETSIZE as usize / 64;
            // SAFETY: getpid and gettid have no preconditions.
            let (pid, tid) = unsafe { (libc::getpid(), libc::gettid()) };
            // Only the main thread's mask is the process's (what the pool
            // reads); another thread, or an unreadable mask, sends an empty
            // mask, which matches no other rank: it keeps its CPUs, and every
            // rank still takes part in the gather below.
            let cpus = if pid == tid {
                crate::config::affinity_of(pid).unwrap_or_default()
            } else {
                Vec::new()
            };
            let mut mine = [0u64; WORDS];
            for &cpu in &cpus {
                mine[cpu / 64] |= 1 << (cpu % 64);
            }
            let mut all = vec![0u64; WORDS * local.size() as usize];
            local.all_gather_into(&mine[..], &mut all[..]);
            if cpus.is_empty() {
                return NodeCpus::Unchanged;
            }
            // The ranks of this node given exactly this rank's CPUs (all of
            // them after an unbound launch; those of one socket when ranks
            // are bound to sockets), and this rank's place among them.
            let same: Vec<usize> = all
                .chunks_exact(WORDS)
                .enumerate()
                .filter(|(_, mask)| *mask == mine)
                .map(|(rank, _)| rank)
                .collect();
            let (place, sharing) = (
                same.iter().position(|&r| r == local_rank).unwrap_or(0),
                same.len(),
            );
            if sharing < 2 {
                return NodeCpus::Unchanged;
            }
            let share: Vec<usize> = if cpus.len() >= sharing {
                cpus[accel_core::partition::balanced_range(cpus.len(), sharing, place)].to_vec()
            } else {
                vec![cpus[place % cpus.len()]]
            };
            // SAFETY: an all-zero cpu_set_t is a valid empty set.
            let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            for &cpu in &share {
                // SAFETY: `cpu` came from the mask, so `cpu < CPU_SETSIZE`, the
                // set's capacity.
                unsafe { libc::CPU_SET(cpu, &mut set) };
            }
            // SAFETY: `set` is a valid cpu_set_t of the size passed; 0 is the
            // calling thread, the main thread (checked above), whose mask the
            // threads it starts later inherit.
            if unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) }
                != 0
            {
                return NodeCpus::Unchanged;
            }
            NodeCpus::Shared {
                local_rank: place,
                local_size: sharing,
                cpus: share,
            }
        }
        #[cfg(not(target_os = "linux"))]
        NodeCpus::Unchanged
    }

    /// This rank's share of `0..n` for the formula runners: whole
    /// [`FORMULA_CHUNK`]s, balanced over the ranks.
    pub fn formula_range(&self, n: usize) -> Range<usize> {
        aligned_range(n, FORMULA_CHUNK, self.size(), self.rank())
    }

    /// Collective: `sum(f(inputs…))` over a long input of `n` elements of
    /// which this rank holds [`formula_range(n)`](Self::formula_range) (its
    /// `inputs`): the same bits as [`Pool::sum_formula_on`] over the whole
    /// input in one process, for any number of ranks and threads. Every rank
    /// returns the sum.
    ///
    /// # Errors
    /// As [`Pool::chunk_sums_formula_on`], agreed among the ranks: if one
    /// rank's inputs are wrong, every rank returns that error (its text, in a
    /// [`RankFailure`]).
    pub fn sum_formula_on<F, const K: usize>(
        &self,
        pool: &Pool,
        path: SimdPath,
        n: usize,
        inputs: [&[f64]; K],
        f: &F,
    ) -> Result<f64, RankFailure>
    where
        F: Formula<K, 1> + Sync,
    {
        let mine = self.formula_range(n);
        let local = check_lengths(&inputs, mine.len()).and_then(|()| {
            let mut sums = vec![0.0; mine.len().div_ceil(FORMULA_CHUNK)];
            pool.chunk_sums_formula_on(path, inputs, &mut sums, f)
                .map(|()| sums)
        });
        let sums = self.agree(local)?;
        let counts: Vec<Count> = (0..self.size())
            .map(|r| {
                aligned_range(n, FORMULA_CHUNK, self.size(), r)
                    .len()
                    .div_ceil(FORMULA_CHUNK) as Count
            })
            .collect();
        let mut total = 0.0f64;
        let root = self.world.process_at_rank(0);
        if self.is_root() {
            let displs = displacements(&counts);
            let mut all = vec![0.0f64; counts.iter().map(|&c| c as usize).sum()];
            {
                let mut partition = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
                root.gather_varcount_into_root(&sums[..], &mut partition);
            }
            total = all.iter().fold(0.0, |a, b| a + b);
        } else {
            root.gather_varcount_into(&sums[..]);
        }
        root.broadcast_into(&mut total);
        Ok(total)
    }

    /// Collective: gathers each rank's band of rows (`band`, the rows
    /// [`RowBands::band`] gives it, `row_len` values each) into `whole` on
    /// rank 0, in row order; `whole` is ignored elsewhere.
    ///
    /// # Panics
    /// Panics if `band` does not hold this rank's rows, or `whole` (on rank 0)
    /// is missing or not `rows × row_len` long.
    pub fn gather_bands<T: Equivalence>(
        &self,
        bands: RowBands,
        row_len: usize,
        band: &[T],
        whole: Option<&mut [T]>,
    ) {
        let ranges: Vec<Range<usize>> = (0..self.size())
            .map(|r| {
                let rows = bands.band(r);
                rows.start * row_len..rows.end * row_len
            })
            .collect();
        if let Some(whole) = &whole {
            assert_eq!(whole.len(), bands.rows() * row_len, "gathered length");
        }
        self.gather_ranges(&ranges, band, whole);
    }

    /// Collective: gathers each rank's `part` into `whole` on rank 0, at
    /// `ranges[rank]` (disjoint ranges of `whole`, one per rank, in any
    /// order); `whole` is ignored elsewhere, and the entries of `whole` no
    /// range covers are left as they are.
    ///
    /// # Panics
    /// Panics if `ranges` does not have one range per rank, if `part` is not
    /// as long as this rank's range, or if rank 0 has no `whole` or one too
    /// short for a range.
    pub fn gather_ranges<T: Equivalence>(
        &self,
        ranges: &[Range<usize>],
        part: &[T],
        whole: Option<&mut [T]>,
    ) {
        assert_eq!(ranges.len(), self.size(), "one range per rank");
        assert_eq!(part.len(), ranges[self.rank()].len(), "this rank's part");
        let root = self.world.process_at_rank(0);
        if self.is_root() {
            let whole = whole.expect("rank 0 gathers into a buffer");
            assert!(
                ranges.iter().all(|r| r.end <= whole.len()),
                "ranges within the buffer"
            );
            let counts: Vec<Count> = ranges.iter().map(|r| count(r.len())).collect();
            let displs: Vec<Count> = ranges.iter().map(|r| count(r.start)).collect();
            let mut partition = PartitionMut::new(whole, &counts[..], &displs[..]);
            root.gather_varcount_into_root(part, &mut partition);
        } else {
            root.gather_varcount_into(part);
        }
    }

    /// Collective: scatters rank 0's `whole` (`rows × row_len` values) so
    /// that each rank's `band` receives its rows; `whole` is ignored
    /// elsewhere.
    ///
    /// # Panics
    /// As [`gather_bands`](Self::gather_bands).
    pub fn scatter_bands<T: Equivalence>(
        &self,
        bands: RowBands,
        row_len: usize,
        whole: Option<&[T]>,
        band: &mut [T],
    ) {
        assert_eq!(
            band.len(),
            bands.band(self.rank()).len() * row_len,
            "band length"
        );
        let root = self.world.process_at_rank(0);
        if self.is_root() {
            let whole = whole.expect("rank 0 scatters from a buffer");
            assert_eq!(whole.len(), bands.rows() * row_len, "scattered length");
            let counts: Vec<Count> = (0..self.size())
                .map(|r| count(bands.band(r).len() * row_len))
                .collect();
            let displs = displacements(&counts);
            let partition = Partition::new(whole, &counts[..], &displs[..]);
            root.scatter_varcount_into_root(&partition, band);
        } else {
            root.scatter_varcount_into(band);
        }
    }

    /// Collective: runs an iterated stencil over a plane split in row bands,
    /// one per rank (module docs, "Protocol"). `planes` are this rank's bands
    /// of the plane's channels (each [`RowBands::band`] rows of
    /// `row_len` values); `advance(strips, rows, k)` must advance every strip
    /// (`rows` rows of `row_len` values, one per plane) by `k` iterations of
    /// the stencil in place, with the plane's boundary rule, on this rank's
    /// pool — for example `Blur::iterations(k).run`.
    ///
    /// The result is bit for bit what `advance` gives on the whole plane in
    /// one process, provided `advance` is exact per point (every accel
    /// stencil executor is).
    ///
    /// # Errors
    /// The first error of `advance` on any rank, agreed after each pass:
    /// every rank returns it, and the bands then hold a mix of iterations.
    ///
    /// # Panics
    /// Panics if a plane's length is not its band's rows × `row_len`.
    pub fn run_stencil_bands<T, E>(
        &self,
        stencil: BandedStencil,
        planes: &mut [&mut [T]],
        advance: &mut AdvanceStrips<'_, T, E>,
    ) -> Result<BandedStats, RankFailure>
    where
        T: Equivalence + Copy + Default,
        E: fmt::Display,
    {
        let bands = RowBands::new(stencil.rows, self.size());
        let me = self.rank();
        let band = bands.band(me);
        let w = stencil.row_len;
        for plane in planes.iter() {
            assert_eq!(
                plane.len(),
                band.len() * w,
                "a band of {} rows of {w}",
                band.len()
            );
        }
        let mut stats = BandedStats::default();
        let mut remaining = stencil.iterations;
        while remaining > 0 {
            let k = halo_iterations(
                bands.min_band(),
                stencil.radius,
                remaining,
                stencil.max_pass_iterations.max(1),
            );
            let depth = k * stencil.radius;
            if stats.passes == 0 {
                stats.pass_iterations = k;
                stats.halo_depth = depth;
            }
            let outcome = self.pass(&bands, stencil, depth, k, planes, advance);
            let received = self.agree(outcome)?;
            stats.halo_rows_received += received;
            stats.passes += 1;
            remaining -= k;
        }
        Ok(stats)
    }

    /// One pass of [`run_stencil_bands`](Self::run_stencil_bands): returns
    /// the halo rows received. Every message of the pass completes before it
    /// returns, even when `advance` fails.
    #[allow(clippy::too_many_arguments)]
    // Plane indices address the top and bottom strips at once.
    #[allow(clippy::needless_range_loop)]
    fn pass<T, E>(
        &self,
        bands: &RowBands,
        stencil: BandedStencil,
        depth: usize,
        k: usize,
        planes: &mut [&mut [T]],
        advance: &mut AdvanceStrips<'_, T, E>,
    ) -> Result<usize, E>
    where
        T: Equivalence + Copy + Default,
    {
        let me = self.rank();
        let band = bands.band(me);
        let b = band.len();
        let w = stencil.row_len;
        let n_planes = planes.len();
        let wrap = stencil.wrap;
        let rows_above = bands.halo_rows(me, depth, wrap, true);
        let rows_below = bands.halo_rows(me, depth, wrap, false);
        let pieces_above: Vec<HaloPiece> = bands.halo_pieces(me, depth, wrap, true).collect();
        let pieces_below: Vec<HaloPiece> = bands.halo_pieces(me, depth, wrap, false).collect();
        // What the other ranks' halos take from this band, with the tags their
        // receives use (the same enumeration on both sides).
        let mut sends: Vec<(usize, Range<usize>, i32)> = Vec::new();
        for other in 0..self.size() {
            if other == me {
                continue;
            }
            for above in [true, false] {
                for (index, piece) in bands.halo_pieces(other, depth, wrap, above).enumerate() {
                    if piece.rank == me {
                        sends.push((other, piece.rows, piece_tag(index, above)));
                    }
                }
            }
        }
        let split = depth > 0
            && b >= 3 * depth
            && sends.iter().all(|(_, rows, _)| {
                let (r0, r1) = (rows.start - band.start, rows.end - band.start);
                r1 <= 2 * depth || r0 >= b - 2 * depth
            });
        // The strips the pass advances after the messages: with a deep band,
        // `halo above ++ rows 0..2d` and `rows b−2d..b ++ halo below` (the band
        // itself advances in place meanwhile); otherwise one strip,
        // `halo above ++ band ++ halo below`. The halos are received straight
        // into them, and their own rows are copied before the band changes.
        let shapes: Vec<(usize, Range<usize>, usize)> = if split {
            vec![
                (rows_above, 0..2 * depth, 0),
                (0, b - 2 * depth..b, rows_below),
            ]
        } else {
            vec![(rows_above, 0..b, rows_below)]
        };
        let mut strips: Vec<Vec<Vec<T>>> = shapes
            .iter()
            .map(|(up, own, down)| {
                planes
                    .iter()
                    .map(|plane| {
                        let mut strip = vec![T::default(); (up + own.len() + down) * w];
                        strip[up * w..(up + own.len()) * w]
                            .copy_from_slice(&plane[own.start * w..own.end * w]);
                        strip
                    })
                    .collect()
            })
            .collect();
        let last = strips.len() - 1;
        // Pieces this rank owns itself (one rank, or wrap over a thin plane).
        for (plane_index, plane) in planes.iter().enumerate() {
            for piece in pieces_above.iter().filter(|p| p.rank == me) {
                let src =
                    &plane[(piece.rows.start - band.start) * w..(piece.rows.end - band.start) * w];
                strips[0][plane_index][piece.offset * w..piece.offset * w + src.len()]
                    .copy_from_slice(src);
            }
            let (up, own, _) = &shapes[last];
            for piece in pieces_below.iter().filter(|p| p.rank == me) {
                let src =
                    &plane[(piece.rows.start - band.start) * w..(piece.rows.end - band.start) * w];
                let at = (up + own.len() + piece.offset) * w;
                strips[last][plane_index][at..at + src.len()].copy_from_slice(src);
            }
        }
        let interior = mpi::request::scope(|scope| {
            // Each strip buffer as (halo above, own rows, halo below).
            let mut parts: Vec<Vec<StripParts<'_, T>>> = strips
                .iter_mut()
                .zip(&shapes)
                .map(|(per_plane, (up, own, _))| {
                    per_plane
                        .iter_mut()
                        .map(|strip| {
                            let (halo_up, rest) = strip.split_at_mut(up * w);
                            let (own_rows, halo_down) = rest.split_at_mut(own.len() * w);
                            (halo_up, &*own_rows, halo_down)
                        })
                        .collect()
                })
                .collect();
            let mut requests = Vec::new();
            for plane_index in 0..n_planes {
                for (pieces, is_above) in [(&pieces_above, true), (&pieces_below, false)] {
                    let strip = if is_above { 0 } else { last };
                    let halo: &mut [T] = if is_above {
                        std::mem::take(&mut parts[strip][plane_index].0)
                    } else {
                        std::mem::take(&mut parts[strip][plane_index].2)
                    };
                    let mut rest = halo;
                    for (index, piece) in pieces.iter().enumerate() {
                        let (here, tail) = rest.split_at_mut(piece.rows.len() * w);
                        rest = tail;
                        if piece.rank != me {
                            let tag =
                                piece_tag(index, is_above) * n_planes as i32 + plane_index as i32;
                            requests.push(
                                self.world
                                    .process_at_rank(piece.rank as i32)
                                    .immediate_receive_into_with_tag(scope, here, tag),
                            );
                        }
                    }
                }
            }
            // Sends read the strips' copies of the band's edge rows (split) or
            // the band itself (one strip, which does not change meanwhile).
            let mut send_requests = Vec::new();
            for plane_index in 0..n_planes {
                for (to, rows, tag) in &sends {
                    let (r0, r1) = (rows.start - band.start, rows.end - band.start);
                    // One strip holds the whole band; the top strip band rows
                    // 0..2d; the bottom one rows b−2d..b.
                    let src: &[T] = if !split || r1 <= 2 * depth {
                        &parts[0][plane_index].1[r0 * w..r1 * w]
                    } else {
                        let base = b - 2 * depth;
                        &parts[last][plane_index].1[(r0 - base) * w..(r1 - base) * w]
                    };
                    send_requests.push(
                        self.world
                            .process_at_rank(*to as i32)
                            .immediate_send_with_tag(
                                scope,
                                src,
                                tag * n_planes as i32 + plane_index as i32,
                            ),
                    );
                }
            }
            // The interior advances in place while the messages travel: its
            // rows d .. b − d come out exact.
            let interior = if split { advance(planes, b, k) } else { Ok(()) };
            for request in requests {
                request.wait();
            }
            for request in send_requests {
                request.wait();
            }
            interior
        });
        interior?;
        let received = (rows_above + rows_below) * n_planes;
        if b == 0 {
            return Ok(received);
        }
        for (strip, (up, own, down)) in strips.iter_mut().zip(&shapes) {
            let mut views: Vec<&mut [T]> = strip.iter_mut().map(|v| &mut v[..]).collect();
            advance(&mut views, up + own.len() + down, k)?;
        }
        for (plane_index, plane) in planes.iter_mut().enumerate() {
            if split {
                // Strip above → band rows 0..d; strip below → rows b−d..b.
                plane[..depth * w].copy_from_slice(
                    &strips[0][plane_index][rows_above * w..(rows_above + depth) * w],
                );
                plane[(b - depth) * w..]
                    .copy_from_slice(&strips[1][plane_index][depth * w..2 * depth * w]);
            } else {
                plane
                    .copy_from_slice(&strips[0][plane_index][rows_above * w..(rows_above + b) * w]);
            }
        }
        Ok(received)
    }
}

/// One strip buffer of a pass, cut into its halo above, its own rows (read
/// by the sends) and its halo below.
type StripParts<'a, T> = (&'a mut [T], &'a [T], &'a mut [T]);

/// `advance(strips, rows, k)`: advances one strip per plane, `rows` rows each,
/// by `k` iterations in place (see [`Ranks::run_stencil_bands`]).
pub type AdvanceStrips<'a, T, E> = dyn FnMut(&mut [&mut [T]], usize, usize) -> Result<(), E> + 'a;

/// The tag of halo piece `index` above or below a band (before the plane is
/// folded in): sender and receiver enumerate the same pieces.
fn piece_tag(index: usize, above: bool) -> i32 {
    (index as i32) * 2 + i32::from(!above)
}

/// An element count as MPI's `int`.
fn count(n: usize) -> Count {
    Count::try_from(n).expect("a rank's share fits MPI's int count")
}

/// Exclusive prefix sums of `counts`: where each rank's part starts.
///
/// # Panics
/// Panics if a start does not fit MPI's `int` (more than 2³¹ − 1 elements
/// before it), rather than handing MPI a wrapped offset.
fn displacements(counts: &[Count]) -> Vec<Count> {
    let mut at = 0usize;
    counts
        .iter()
        .map(|&c| {
            let start = count(at);
            at += usize::try_from(c).expect("counts are not negative");
            start
        })
        .collect()
}
