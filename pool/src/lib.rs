//! # accel-pool: the runtime
//!
//! A pool of worker threads, pinned to cores, that runs parallel loops,
//! deterministic reductions, team regions for iterated stencils, `join` and
//! `scope` — and never loses to serial code on small inputs. Kernels never spawn
//! threads: they hand work to a [`Pool`].
//!
//! ```
//! use accel_pool::{Pool, PoolConfig};
//!
//! let pool = Pool::new(PoolConfig::new().threads(2))?;
//! let mut squares = vec![0u64; 10_000];
//! pool.for_each_chunk_mut(&mut squares, 1024, |offset, chunk| {
//!     for (i, x) in chunk.iter_mut().enumerate() {
//!         *x = ((offset + i) as u64).pow(2);
//!     }
//! });
//! let total = pool.reduce(0..squares.len(), 1024, || 0u64, |r| squares[r].iter().sum(), |a, b| a + b);
//! assert_eq!(total, squares.iter().sum());
//! # Ok::<(), accel_pool::PoolError>(())
//! ```
//!
//! # Design
//! The cost of parallelism on small inputs lies in handing work over and waking
//! threads, not in the deques (see docs/ARCHITECTURE.md §4). Hence:
//!
//! - **The caller works.** A pool of `n` threads starts `n − 1` workers; the thread
//!   that calls in takes the *caller seat*, becomes worker 0 for the call and
//!   does its share, as in OpenMP.
//! - **Inline below a threshold.** A loop of at most one grain (or one grain of
//!   cost), and everything in a 1-thread pool, runs on the caller with no
//!   synchronisation at all.
//! - **One fork, static shares, then stealing.** A parallel loop publishes one
//!   region that every worker joins; each starts on its static share and steals
//!   the back half of the largest remaining share when it runs dry (see the
//!   `schedule` module). `join`/`scope` jobs travel through per-worker
//!   crossbeam-deque work-stealing deques (the `deque` module: LIFO for the
//!   owner, FIFO for thieves). crossbeam-utils gives the padding and backoff.
//! - **Spin, then sleep.** Idle workers poll for a bounded window (default
//!   100 µs), then park; the wake protocol (`sleep` module) cannot lose the
//!   wake-ups that matter, which loom checks.
//! - **Stable teams.** [`Pool::team`] runs a body on every worker at once with a
//!   barrier; member `i` is always worker `i`, pinned to the same CPU. A pool
//!   with more threads than CPUs runs its teams with one member per CPU
//!   ([`Pool::team_size`]): a barrier waits for its slowest member, and an
//!   oversubscribed team always has one descheduled. Inside it,
//!   [`TeamCtx::for_range`] shares a loop among the members: each starts on its
//!   static share (the same tiles every iteration), a late member's share is
//!   stolen, and completion is counted in pieces, so a member the OS preempts
//!   does not stall the team.
//! - **It runs a user's formula.** [`Pool::map_formula`] and
//!   [`Pool::sum_formula`] run a [`Formula`](ir::Formula) (written once,
//!   generically over [`Real`](ir::Real)) on the active SIMD path's lanes over
//!   fixed chunks: the code Black-Scholes runs, for any formula. This crate
//!   re-exports accel-core's [`ir`], [`simd`], [`math`], [`partition`] and
//!   [`banded`], so one dependency gives formulas, stencils and the pool; the
//!   `examples/` show the entry points (`cargo run --release -p accel-pool
//!   --example blackscholes`).
//! - **It runs core's IR.** [`Pool::run_plan`] runs a compiled program (fused
//!   maps, reductions, comprehensions) stage by stage over fixed pieces, on the
//!   active SIMD path like a formula;
//!   [`Pool::run_stencil`] runs an iterated stencil in one team region, each
//!   member keeping its band of rows for every iteration, with buffer rotation
//!   and a barrier per (fused) pass.
//! - **Deterministic reductions.** [`Pool::reduce`] folds fixed pieces in a fixed
//!   order: the same bits for any thread count.
//! - **Panics propagate.** A panic anywhere reaches the caller after the operation
//!   has wound down; barriers are poisoned so they cannot hang; the pool stays
//!   usable. Misuse that would hang a team — mismatched barriers or team loops,
//!   a barrier inside a team loop's body — panics and names the misuse, and a
//!   panic payload whose `Drop` panics is contained (`unwind` module).
//! - **Scopes never return early.** A scope returns only when every job spawned
//!   into it has run, whatever seat or context it was opened with (see
//!   [`Scope`]).
//!
//! # Nesting and several callers
//! Parallel calls from inside jobs, loop bodies and team bodies run on the same
//! pool without deadlock (loops split with `join`, teams shrink to one member).
//! Calls from several outside threads are serialised on the caller seat. Pools
//! may call each other: a thread that is already a pool's thread never waits for
//! another pool's seat (if it is taken, the call runs inline on that thread), so
//! pool A's job calling pool B whose job calls pool A cannot deadlock. One caveat
//! remains: a thread inside a pool call must not block waiting for a *plain*
//! outside thread (one that belongs to no pool) that calls into the same pool.
//!
//! # Benchmarks
//! `cargo bench -p accel-pool` runs criterion benches (`benches/overhead.rs`:
//! empty loops, barrier, `join`, `scope`, a reduction of one partial per thread;
//! `benches/kernels.rs`: tiny and 1,000-block fills, a 16 K map, a 256×256 stencil
//! for 100 iterations), each measuring accel, rayon and a serial loop in the same
//! run. `cargo run --release -p accel-pool --example idle_cpu` prints the CPU an
//! idle pool uses.
//!
//! # Across machines
//! With the cargo feature `mpi` (off by default; it needs an MPI library and
//! libclang), `ranks` runs the same work across MPI ranks: each rank runs its
//! share on its own pool, MPI moves halos and partial results. It lives here
//! because it is runtime (who runs what, who waits for whom); the arithmetic of
//! the split is core's `partition::ranks`.
//!
//! # Model checking
//! The sleep/wake protocol, the latches, the barrier, the team loops and the
//! region slot are written against a small `sync` shim (std or loom types) and
//! checked with loom, as is the real pool driving them (with a loom stand-in
//! for crossbeam's deques, see `deque`):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p accel-pool --release --test loom
//! ```

mod barrier;
mod config;
mod deque;
mod ir_formula;
mod ir_plan;
mod ir_stencil;
mod ir_system;
mod job;
mod latch;
mod pinning;
mod pool;
#[cfg(feature = "mpi")]
pub mod ranks;
mod region;
mod registry;
mod schedule;
mod scope;
mod scratch;
mod shared;
mod sleep;
mod sync;
mod team;
mod team_loop;
mod unwind;

pub use accel_core::{banded, ir, math, partition, simd};
pub use config::{
    DEFAULT_SPIN, DefaultThreadsReason, MAX_THREADS, PoolConfig, PoolError, THREADS_ENV,
    allowed_cpus, default_threads, usable_cpus,
};
pub use ir_formula::FORMULA_CHUNK;
pub use ir_plan::{PLAN_PIECE_COST, stage_grain};
pub use ir_stencil::{StencilRunError, StencilSchedule};
pub use ir_system::SYSTEM_RING_BYTES;
pub use pinning::PinningStatus;
pub use pool::{DEFAULT_COST_GRAIN, Pool};
pub use scope::Scope;
pub use shared::SharedSlice;
pub use team::TeamCtx;

/// Internals exposed to the loom models in `tests/loom.rs` (`--cfg loom` only).
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_support {
    pub use crate::barrier::{Barrier, BarrierError};
    pub use crate::latch::{CountLatch, Latch};
    pub use crate::region::{MAX_REGION_WORKERS, RegionSlot};
    pub use crate::schedule::{Pieces, init_shares, run_shares};
    pub use crate::sleep::{Sleep, SpinPolicy};
    pub use crate::team_loop::{LoopCall, TeamLoops};
}
