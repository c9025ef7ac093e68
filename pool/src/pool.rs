//! The [`Pool`] handle and its parallel operations.
//!
//! # How a call runs
//! Every operation first decides *where* it runs:
//! - **inline** — a 1-thread pool, or work below the cost threshold (a loop of at
//!   most one grain, a weighted loop of at most one grain of cost): the closure
//!   runs on the caller with no synchronisation at all;
//! - **at top level** — from a thread outside the pool (which takes the caller
//!   seat and becomes worker 0), or from [`Pool::install`]: loops and team regions
//!   open a *region* that every worker joins (one fork, one join);
//! - **nested** — from inside a job, a loop body or a team body: loops split
//!   themselves recursively with `join`, team regions run with a team of one.
//!
//! # Loops
//! A loop over `units` (grain-sized pieces, or weighted items) starts
//! OpenMP-style: each worker begins on its static share, takes work from its front,
//! and when it runs dry steals the back half of the largest remaining share (see
//! the `schedule` module). Workers that arrive late find their share already
//! taken; the caller never waits for a worker to wake up before working.

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use accel_core::partition::balanced_range;

use crate::config::{
    MAX_THREADS, PoolConfig, PoolError, allowed_cpus, default_threads, usable_cpus,
};
use crate::job::StackJob;
use crate::pinning::{
    CallerPin, PinPlan, PinningStatus, allow_cpus, mark_pinned_by_pool, pinned_by_pool,
};
use crate::registry::{Registry, WorkerCtx, WorkerStart};
use crate::schedule::{
    MAX_UNITS, Pieces, Split, Weighted, init_shares, prefix_sums, run_shares, total_cost,
    weighted_boundary,
};
use crate::scope::Scope;
use crate::sleep::SpinPolicy;
use crate::sync::{
    AtomicBool, Builder, Condvar, JoinHandle, Mutex, Ordering, current_thread, lock,
};
use crate::team::{TeamCtx, TeamShared};
use crate::unwind::{BarrierPoisoned, PanicSlot, drop_payload};

/// The default cost grain of [`Pool::for_weighted`]: a weighted loop whose total
/// cost is at most this runs inline, and owners take work in runs of at least this
/// cost. Costs are meant in "simple element operations" (about a nanosecond or
/// less each), so this
/// is a few microseconds of work — the price of forking to spinning workers.
///
/// ```
/// // 16 blocks of 8×8 entries cost 1024: below one grain, so they run inline.
/// assert!(16 * 64 <= accel_pool::DEFAULT_COST_GRAIN);
/// ```
pub const DEFAULT_COST_GRAIN: u64 = 4096;

/// A pool of worker threads that runs parallel loops, reductions, team regions,
/// `join` and `scope`.
///
/// A pool of `n` threads starts `n − 1` workers; the thread that calls into the
/// pool is worker 0 and does its share. Work below a threshold (one grain) and
/// everything in a 1-thread pool runs inline; parallel calls from outside (or in
/// [`install`](Pool::install)) fork once to every worker; calls nested inside
/// parallel work split with `join`. Calls from several outside threads are
/// serialised. Dropping the pool stops and joins its workers.
///
/// ```
/// use accel_pool::{Pool, PoolConfig};
/// let pool = Pool::new(PoolConfig::new().threads(2))?;
/// let sum = pool.reduce(0..1000, 100, || 0u64, |r| r.map(|i| i as u64).sum(), |a, b| a + b);
/// assert_eq!(sum, 499_500);
/// # Ok::<(), accel_pool::PoolError>(())
/// ```
pub struct Pool {
    registry: Arc<Registry>,
    workers: Vec<JoinHandle<()>>,
    pinning: PinningStatus,
    /// The stencil runs' second plane, kept between runs (see `scratch`).
    pub(crate) stencil_scratch: crate::scratch::ScratchCache,
    /// The one-member stencil probes' last verdicts (see `ir_stencil`).
    pub(crate) stencil_probes: crate::ir_stencil::ProbeVerdicts,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("threads", &self.num_threads())
            .field("pinning", &self.pinning)
            .finish_non_exhaustive()
    }
}

/// How many of the workers have started, and whether each pinned itself.
struct Startup {
    state: Mutex<(usize, Vec<bool>)>,
    all_started: Condvar,
}

impl Pool {
    /// Builds a pool and starts its workers (returns once all have started and
    /// pinned themselves).
    ///
    /// # Errors
    /// [`PoolError::ZeroThreads`], [`PoolError::TooManyThreads`], or
    /// [`PoolError::Spawn`] when the system refuses a thread.
    ///
    /// ```
    /// use accel_pool::{Pool, PoolConfig, PoolError};
    /// assert_eq!(Pool::new(PoolConfig::new().threads(0)).unwrap_err(), PoolError::ZeroThreads);
    /// let pool = Pool::new(PoolConfig::new().threads(3).pin(false))?;
    /// assert_eq!(pool.num_threads(), 3);
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn new(config: PoolConfig) -> Result<Pool, PoolError> {
        let threads = config.thread_count().unwrap_or_else(|| default_threads().0);
        if threads == 0 {
            return Err(PoolError::ZeroThreads);
        }
        if threads > MAX_THREADS {
            return Err(PoolError::TooManyThreads {
                requested: threads,
                max: MAX_THREADS,
            });
        }
        let allowed = allowed_cpus();
        let usable = usable_cpus();
        let policy = SpinPolicy {
            window: config.spin_window(),
            yield_between_polls: threads > usable,
        };
        let team_size = if config.teams_capped() {
            threads.min(usable)
        } else {
            threads
        };
        let plan = PinPlan::new(threads, config.pinned(), &allowed);
        let (registry, starts) = Registry::new(threads, team_size, policy);
        let startup = Arc::new(Startup {
            state: Mutex::new((0, vec![false; threads])),
            all_started: Condvar::new(),
        });
        let mut workers = Vec::with_capacity(threads - 1);
        // Workers inherit this thread's mask; widen unpinned ones only when that
        // mask is a pool's one-CPU pin (see `pinned_by_pool`).
        let widen = pinned_by_pool();
        let allowed = Arc::new(allowed);
        for start in starts {
            let index = start.index;
            let cpu = plan.cpu_for(index);
            let startup = Arc::clone(&startup);
            let allowed = Arc::clone(&allowed);
            let spawned = Builder::new()
                .name(format!("accel-worker-{index}"))
                .spawn(move || worker_thread(start, cpu, widen.then_some(&allowed[..]), &startup));
            match spawned {
                Ok(handle) => workers.push(handle),
                Err(err) => {
                    registry.terminate();
                    for handle in workers {
                        let _ = handle.join();
                    }
                    return Err(PoolError::Spawn {
                        worker: index,
                        message: err.to_string(),
                    });
                }
            }
        }
        let pinned_ok = {
            let mut state = lock(&startup.state);
            while state.0 < threads - 1 {
                state = startup
                    .all_started
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            std::mem::take(&mut state.1)
        };
        Ok(Pool {
            registry,
            workers,
            pinning: plan.status(&pinned_ok),
            stencil_scratch: Default::default(),
            stencil_probes: Default::default(),
        })
    }

    /// The process-wide pool, built on first use with [`PoolConfig::new`] (default
    /// threads, `ACCEL_NUM_THREADS`, pinning on). If its threads cannot be started
    /// it falls back to one thread (which starts none).
    ///
    /// ```
    /// let pool = accel_pool::Pool::global();
    /// assert!(std::ptr::eq(pool, accel_pool::Pool::global()));
    /// assert!(pool.num_threads() >= 1);
    /// ```
    pub fn global() -> &'static Pool {
        static GLOBAL: OnceLock<Pool> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            Pool::new(PoolConfig::new()).unwrap_or_else(|_| {
                Pool::new(PoolConfig::new().threads(1)).expect("a 1-thread pool starts no thread")
            })
        })
    }

    /// The number of threads, the calling thread (worker 0) included.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(4))?;
    /// assert_eq!(pool.num_threads(), 4);
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn num_threads(&self) -> usize {
        self.registry.threads()
    }

    /// The number of members of a top-level team region: every thread, except
    /// in a pool with more threads than usable CPUs ([`usable_cpus`]), whose
    /// teams have one member per CPU (workers `0..team_size`; the others stay
    /// asleep). A barrier waits for its slowest member, and with more members
    /// than CPUs some member is always descheduled, so every iteration would
    /// cost a scheduler time slice; a team of one member per CPU does the same
    /// work without that. [`PoolConfig::cap_teams`] turns the cap off.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(64))?;
    /// assert_eq!(pool.team_size(), accel_pool::usable_cpus().min(64));
    /// pool.team(|t| assert_eq!(t.size(), pool.team_size()));
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn team_size(&self) -> usize {
        self.registry.team_size()
    }

    /// How the workers are placed on CPUs.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2).pin(false))?;
    /// assert_eq!(pool.pinning(), accel_pool::PinningStatus::Disabled);
    /// println!("{}", pool.pinning()); // "unpinned (pinning disabled)"
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn pinning(&self) -> PinningStatus {
        self.pinning.clone()
    }

    /// How long idle threads poll for work before sleeping.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(1))?;
    /// assert_eq!(pool.spin_window(), accel_pool::DEFAULT_SPIN);
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn spin_window(&self) -> Duration {
        self.registry.policy().window
    }

    /// The index of the calling thread in this pool: `Some(0)` inside a call made
    /// from outside (the caller seat), `Some(i)` on worker `i`, `None` elsewhere.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// assert_eq!(pool.current_worker(), None);
    /// assert_eq!(pool.install(|| pool.current_worker()), Some(0));
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn current_worker(&self) -> Option<usize> {
        self.registry.current().map(WorkerCtx::index)
    }

    /// Runs `f` with the calling thread acting as worker 0 for its whole duration,
    /// so that the parallel calls inside it skip taking the caller seat. Inside a
    /// pool thread it just runs `f`.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let total: u64 = pool.install(|| {
    ///     (0..10).map(|k| pool.reduce(0..100, 10, || 0, |r| r.len() as u64 * k, |a, b| a + b)).sum()
    /// });
    /// assert_eq!(total, 4500);
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn install<R>(&self, f: impl FnOnce() -> R) -> R {
        self.enter(|_| f())
    }

    /// Runs `f` with the pool context of the calling thread (taking the caller
    /// seat if needed), or `None` when the operation must run inline: a 1-thread
    /// pool, or a thread of another pool that finds the seat taken (see
    /// `Registry::with_seat`).
    #[inline]
    fn enter<R>(&self, f: impl FnOnce(Option<&WorkerCtx>) -> R) -> R {
        if self.registry.threads() == 1 {
            return f(None);
        }
        match self.registry.current() {
            Some(ctx) => f(Some(ctx)),
            None => self.registry.with_seat(f),
        }
    }

    /// Runs `a` and `b`, potentially in parallel, and returns both results.
    ///
    /// `a` runs on the calling thread; `b` is offered to the other workers and run
    /// here too if nobody took it by the time `a` is done — so a `join` whose `b`
    /// is not stolen costs a deque push and pop. A panic in either is re-raised
    /// after both have finished (`a`'s first).
    ///
    /// ```
    /// fn fib(pool: &accel_pool::Pool, n: u64) -> u64 {
    ///     if n < 10 {
    ///         return (1..=n).fold((0, 1), |(a, b), _| (b, a + b)).0;
    ///     }
    ///     let (x, y) = pool.join(|| fib(pool, n - 1), || fib(pool, n - 2));
    ///     x + y
    /// }
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// assert_eq!(fib(&pool, 20), 6765);
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA,
        B: FnOnce() -> RB + Send,
        RB: Send,
    {
        self.enter(|ctx| match ctx {
            None => (a(), b()),
            Some(ctx) => join_in(&self.registry, ctx, a, b),
        })
    }

    /// Creates a [`Scope`], runs `body` in it on the calling thread, and returns
    /// once every job spawned into the scope has finished. A panic in the body or
    /// in a job is re-raised after all jobs have finished (the body's first).
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let mut parts = vec![0u32; 4];
    /// pool.scope(|s| {
    ///     for (i, p) in parts.iter_mut().enumerate() {
    ///         s.spawn(move |_| *p = i as u32 * i as u32);
    ///     }
    /// });
    /// assert_eq!(parts, [0, 1, 4, 9]);
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn scope<'scope, R>(&self, body: impl FnOnce(&Scope<'scope>) -> R) -> R {
        self.enter(|ctx| {
            let scope = Scope::new(&self.registry, ctx.map(WorkerCtx::index));
            let top = ctx.map(WorkerCtx::leave_top);
            let result = catch_unwind(AssertUnwindSafe(|| body(&scope)));
            match ctx {
                Some(ctx) => {
                    self.registry.wait_until(ctx, || scope.is_done(), false);
                    ctx.restore_top(top.unwrap_or(false));
                }
                // A scope without a context ran every spawn inline, so none can
                // be pending (see `Scope::spawn`); the check guards that rule.
                None => assert!(scope.is_done(), "an inline scope left a spawn pending"),
            }
            match result {
                Err(payload) => resume_unwind(payload),
                Ok(value) => {
                    scope.resume_panic();
                    value
                }
            }
        })
    }

    /// Calls `f` on disjoint sub-ranges that together cover `range` exactly once,
    /// in parallel.
    ///
    /// The range is cut into pieces of `grain` items (the last may be shorter;
    /// `grain` 0 counts as 1); in parallel each call gets one piece. A range of at
    /// most one grain, or any range in a 1-thread pool, is one inline call
    /// `f(range)`. Choose `grain` so one piece is worth a few microseconds.
    ///
    /// # Panics
    /// Re-raises the first panic of `f` after the loop has wound down.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let sum = AtomicU64::new(0);
    /// pool.for_range(0..10_000, 1000, |r| {
    ///     sum.fetch_add(r.map(|i| i as u64).sum(), Ordering::Relaxed);
    /// });
    /// assert_eq!(sum.into_inner(), 49_995_000);
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn for_range<F>(&self, range: Range<usize>, grain: usize, f: F)
    where
        F: Fn(Range<usize>) + Sync,
    {
        let len = range.len();
        let grain = grain.max(1);
        if len <= grain || self.num_threads() == 1 {
            if len > 0 {
                f(range);
            }
            return;
        }
        // Coarsen pieces so their count fits a share (only for astronomic ranges).
        let grain = grain.max(len.div_ceil(MAX_UNITS));
        let pieces = len.div_ceil(grain);
        let start = range.start;
        let piece_range =
            |lo: usize, hi: usize| start + lo * grain..start + hi.saturating_mul(grain).min(len);
        self.run_loop(
            pieces,
            &Pieces,
            |worker, parts| balanced_range(pieces, parts, worker),
            &|lo, hi| f(piece_range(lo, hi)),
        );
    }

    /// Calls `f(offset, chunk)` on disjoint chunks that together cover `data`
    /// exactly once, in parallel; `offset` is the chunk's start index in `data`.
    /// Chunks are `grain` elements (the last may be shorter), or all of `data` in
    /// one inline call when it is at most one grain or the pool has 1 thread.
    ///
    /// # Panics
    /// Re-raises the first panic of `f` after the loop has wound down.
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let mut v = vec![0usize; 1000];
    /// pool.for_each_chunk_mut(&mut v, 64, |offset, chunk| {
    ///     for (i, x) in chunk.iter_mut().enumerate() {
    ///         *x = offset + i;
    ///     }
    /// });
    /// assert!(v.iter().enumerate().all(|(i, &x)| x == i));
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn for_each_chunk_mut<T, F>(&self, data: &mut [T], grain: usize, f: F)
    where
        T: Send,
        F: Fn(usize, &mut [T]) + Sync,
    {
        let len = data.len();
        if len <= grain.max(1) || self.num_threads() == 1 {
            if len > 0 {
                f(0, data);
            }
            return;
        }
        let shared = crate::SharedSlice::new(data);
        self.for_range(0..len, grain, |r| {
            // SAFETY: `for_range` hands out disjoint sub-ranges of `0..len`, each
            // once, and `data` stays mutably borrowed for the whole call.
            let chunk = unsafe { shared.slice_mut(r.clone()) };
            f(r.start, chunk);
        });
    }

    /// Calls `f` on disjoint contiguous runs of items that together cover
    /// `0..costs.len()` exactly once, in parallel, balancing the runs by the items'
    /// `costs` (for blocks of different sizes). Equivalent to
    /// [`for_weighted_with_grain`](Self::for_weighted_with_grain) with
    /// [`DEFAULT_COST_GRAIN`].
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let sizes: Vec<u64> = (0..100).map(|i| (i % 7 + 1) * 1000).collect();
    /// let done = AtomicU64::new(0);
    /// pool.for_weighted(&sizes, |items| {
    ///     done.fetch_add(items.map(|i| sizes[i]).sum(), Ordering::Relaxed);
    /// });
    /// assert_eq!(done.into_inner(), sizes.iter().sum());
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn for_weighted<F>(&self, costs: &[u64], f: F)
    where
        F: Fn(Range<usize>) + Sync,
    {
        self.for_weighted_with_grain(costs, DEFAULT_COST_GRAIN, f);
    }

    /// [`for_weighted`](Self::for_weighted) with an explicit cost `grain`: a loop
    /// whose total cost is at most `grain` (or a 1-thread pool, or one item) is
    /// one inline call `f(0..costs.len())`; in parallel, each worker starts on a
    /// contiguous part of about equal cost, takes runs of at least `grain` cost
    /// from its front, and thieves take the back half (by cost) of the costliest
    /// remaining part. `grain` 0 counts as 1.
    ///
    /// # Panics
    /// Re-raises the first panic of `f` after the loop has wound down.
    ///
    /// ```
    /// use std::sync::Mutex;
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(3))?;
    /// let costs = [5u64, 1, 1, 1, 5, 1, 1, 1, 5];
    /// let seen = Mutex::new(Vec::new());
    /// pool.for_weighted_with_grain(&costs, 1, |items| seen.lock().unwrap().extend(items));
    /// let mut seen = seen.into_inner().unwrap();
    /// seen.sort();
    /// assert_eq!(seen, (0..9).collect::<Vec<_>>());
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn for_weighted_with_grain<F>(&self, costs: &[u64], grain: u64, f: F)
    where
        F: Fn(Range<usize>) + Sync,
    {
        let items = costs.len();
        let grain = grain.max(1);
        if items == 0 {
            return;
        }
        if items == 1 || self.num_threads() == 1 || total_cost(costs) <= grain {
            f(0..items);
            return;
        }
        let prefix = prefix_sums(costs);
        let split = Weighted {
            prefix: &prefix,
            grain,
        };
        self.run_loop(
            items,
            &split,
            |worker, parts| {
                weighted_boundary(&prefix, parts, worker)
                    ..weighted_boundary(&prefix, parts, worker + 1)
            },
            &|lo, hi| f(lo..hi),
        );
    }

    /// A deterministic parallel reduction: cuts `range` into pieces of exactly
    /// `grain` items (the last may be shorter; `grain` 0 counts as 1), computes
    /// `map(piece)` for every piece in parallel, and folds the results left to
    /// right, starting from `identity()`:
    ///
    /// ```text
    /// combine(…combine(combine(identity(), map(p0)), map(p1))…, map(pk))
    /// ```
    ///
    /// The pieces and the fold order depend only on `range` and `grain`, never on
    /// the thread count or on who ran which piece, so for deterministic `map` and
    /// `combine` the result is bit-identical for any number of threads (floating
    /// point included). `identity` and `combine` run on the calling thread.
    ///
    /// # Panics
    /// Re-raises the first panic of `map` after the loop has wound down.
    ///
    /// ```
    /// let data: Vec<f64> = (0..10_000).map(|i| 1.0 / (i as f64 + 1.0)).collect();
    /// let sum = |threads| {
    ///     let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(threads)).unwrap();
    ///     pool.reduce(0..data.len(), 256, || 0.0, |r| data[r].iter().sum::<f64>(), |a, b| a + b)
    /// };
    /// assert_eq!(sum(1).to_bits(), sum(2).to_bits());
    /// assert_eq!(sum(1).to_bits(), sum(5).to_bits());
    /// ```
    pub fn reduce<T, I, M, C>(
        &self,
        range: Range<usize>,
        grain: usize,
        identity: I,
        map: M,
        mut combine: C,
    ) -> T
    where
        T: Send,
        I: FnOnce() -> T,
        M: Fn(Range<usize>) -> T + Sync,
        C: FnMut(T, T) -> T,
    {
        let len = range.len();
        let grain = grain.max(1);
        let pieces = len.div_ceil(grain);
        let start = range.start;
        let piece = |k: usize| {
            let lo = k * grain;
            start + lo..start + lo.saturating_add(grain).min(len)
        };
        let mut acc = identity();
        if pieces <= 1 || self.num_threads() == 1 {
            for k in 0..pieces {
                acc = combine(acc, map(piece(k)));
            }
            return acc;
        }
        let partials = Partials::new(pieces);
        self.run_loop(
            pieces,
            &Pieces,
            |worker, parts| balanced_range(pieces, parts, worker),
            &|lo, hi| {
                for k in lo..hi {
                    // SAFETY: the loop runs every piece index exactly once.
                    unsafe { partials.set(k, map(piece(k))) };
                }
            },
        );
        for value in partials.into_values() {
            acc = combine(acc, value);
        }
        acc
    }

    /// Runs `body` once on every worker at the same time — one fork, one join —
    /// with [`TeamCtx`] giving each member its index, the team size and a barrier.
    /// For iterated stencils: member `i` is always worker `i`, the same pinned
    /// thread, so a tile it owns stays in its cache across iterations. Member 0
    /// is the calling thread; in a pinned pool it is pinned to the first CPU
    /// (see [`PinningStatus::caller_cpu`]) for the length of the region and gets
    /// its own affinity mask back afterwards, so the OS cannot stack it on a
    /// worker's CPU and run the team one member at a time. Core's iterated
    /// stencils run this way through [`run_stencil`](Self::run_stencil).
    ///
    /// The team has [`team_size`](Self::team_size) members (every thread, or one
    /// per CPU in a pool with more threads than CPUs) when called from
    /// outside the pool or directly inside [`install`](Self::install); called
    /// from inside a job, loop body or another team body, it runs inline as a team
    /// of one (the other workers may be busy). Write bodies for any team size.
    ///
    /// # Panics
    /// Re-raises the first panic of a member after every member has finished or
    /// unwound (the others fail at their next barrier instead of hanging).
    ///
    /// ```
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let n = 1000;
    /// let (mut a, mut b) = (vec![1.0f64; n], vec![0.0f64; n]);
    /// let (sa, sb) = (accel_pool::SharedSlice::new(&mut a), accel_pool::SharedSlice::new(&mut b));
    /// pool.team(|t| {
    ///     let mine = t.share(n);
    ///     for step in 0..10 {
    ///         let (src, dst) = if step % 2 == 0 { (&sa, &sb) } else { (&sb, &sa) };
    ///         // SAFETY: in this step only `dst` is written, each index by one
    ///         // member; the barrier separates the steps.
    ///         let s = unsafe { src.slice(0..n) };
    ///         for i in mine.clone() {
    ///             unsafe { *dst.get_mut(i) = 0.5 * (s[i] + s[i.saturating_sub(1)]) };
    ///         }
    ///         t.barrier();
    ///     }
    /// });
    /// assert!(a.iter().all(|&x| x == 1.0));
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn team<F>(&self, body: F)
    where
        F: Fn(&TeamCtx<'_>) + Sync,
    {
        self.enter(|ctx| match ctx {
            Some(ctx) if ctx.at_top() && self.team_size() > 1 => self.team_region(ctx, &body),
            _ => body(&TeamCtx::solo()),
        });
    }

    fn team_region<F>(&self, ctx: &WorkerCtx, body: &F)
    where
        F: Fn(&TeamCtx<'_>) + Sync,
    {
        let registry = &*self.registry;
        let size = registry.team_size();
        // Member 0 is this thread: give it its own CPU for the region, or the OS
        // may stack it on a worker's CPU and the team runs one member at a time.
        let _pin = self.pinning.caller_cpu().map(CallerPin::to);
        let shared = TeamShared::new(size, &registry.sleep, registry.policy());
        let panic = PanicSlot::new();
        registry.run_region(ctx, true, |worker| {
            let member = TeamCtx::member(worker, size, &shared);
            let outcome = catch_unwind(AssertUnwindSafe(|| body(&member)))
                .and_then(|()| shared.check_loop_count(worker, member.loops_run()));
            match outcome {
                Ok(()) => shared.depart(),
                Err(payload) => {
                    panic.store(payload);
                    shared.poison();
                }
            }
        });
        match panic.take() {
            None => {}
            // Members unwound from a poisoned barrier, but no member's body
            // panicked: a team loop's piece panicked and the body caught it.
            Some(payload) if payload.is::<BarrierPoisoned>() => {
                drop_payload(payload);
                panic!(
                    "team region: a team loop's piece panicked and the panic was caught \
                     inside the region body; the loop could not complete, so the other \
                     members stopped"
                );
            }
            Some(payload) => resume_unwind(payload),
        }
    }

    /// Runs the units `0..units` of a loop: a region at top level (static shares
    /// from `share(worker, parts)`, then stealing), `join` splitting when nested.
    /// Callers handle the inline cases; the pool has more than one thread.
    fn run_loop<S: Split>(
        &self,
        units: usize,
        split: &S,
        share: impl Fn(usize, usize) -> Range<usize>,
        run: &(dyn Fn(usize, usize) + Sync),
    ) {
        self.enter(|ctx| match ctx {
            Some(ctx) if ctx.at_top() && units <= MAX_UNITS => {
                self.loop_region(ctx, split, share, run);
            }
            Some(_) => split_nested(&self.registry, split, 0, units, run),
            None => run(0, units),
        });
    }

    fn loop_region<S: Split>(
        &self,
        ctx: &WorkerCtx,
        split: &S,
        share: impl Fn(usize, usize) -> Range<usize>,
        run: &(dyn Fn(usize, usize) + Sync),
    ) {
        let registry = &*self.registry;
        let parts = registry.threads();
        init_shares(&registry.shares, |worker| share(worker, parts));
        let cancelled = AtomicBool::new(false);
        let panic = PanicSlot::new();
        registry.run_region(ctx, false, |worker| {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                run_shares(&registry.shares, worker, split, &cancelled, run);
            }));
            if let Err(payload) = outcome {
                cancelled.store(true, Ordering::Relaxed);
                panic.store(payload);
            }
        });
        panic.resume();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.registry.terminate();
        #[cfg(loom)]
        self.registry.wait_for_exit();
        let me = current_thread().id();
        for handle in self.workers.drain(..) {
            if handle.thread().id() != me {
                let _ = handle.join();
            }
        }
    }
}

/// The body of a worker thread: pin (or, unpinned, widen its mask to `widen`,
/// the process's CPUs, when given: a new thread inherits its creator's mask,
/// which is one CPU when the pool is built inside a team region), register,
/// report, serve.
fn worker_thread(
    start: WorkerStart,
    cpu: Option<usize>,
    widen: Option<&[usize]>,
    startup: &Startup,
) {
    let pinned = cpu.is_some_and(|id| core_affinity::set_for_current(core_affinity::CoreId { id }));
    if pinned {
        mark_pinned_by_pool();
    } else if let Some(cpus) = widen {
        allow_cpus(cpus);
    }
    start
        .registry
        .sleep
        .set_thread(start.index, current_thread());
    {
        let mut state = lock(&startup.state);
        state.1[start.index] = pinned;
        state.0 += 1;
        startup.all_started.notify_all();
    }
    Registry::worker_main(start);
}

/// `join` on a pool thread: push `b`, run `a`, then pop `b` back or wait for the
/// thief (helping meanwhile).
fn join_in<A, B, RA, RB>(registry: &Registry, ctx: &WorkerCtx, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    let job = StackJob::new(b, ctx.index(), &registry.sleep);
    // SAFETY: `job` stays on this frame until it is popped back below or its latch
    // is set (the loop does not exit before either).
    let job_ref = unsafe { job.as_job_ref() };
    ctx.push(job_ref);
    registry.sleep.hint_new_work();
    let top = ctx.leave_top();
    let result_a = catch_unwind(AssertUnwindSafe(a));
    let result_b = loop {
        if job.is_done() {
            break job.into_result();
        }
        match ctx.pop() {
            Some(popped) if popped.is(job_ref) => break job.run_inline(),
            // An older job: `b` was stolen. Run it while we wait.
            // SAFETY: popped jobs are executed exactly once, by the popper.
            Some(other) => unsafe { other.execute() },
            None => {
                registry.wait_until(ctx, || job.is_done(), false);
                break job.into_result();
            }
        }
    };
    ctx.restore_top(top);
    match (result_a, result_b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(payload), Err(second)) => {
            drop_payload(second);
            resume_unwind(payload)
        }
        (Err(payload), Ok(_)) | (Ok(_), Err(payload)) => resume_unwind(payload),
    }
}

/// A loop nested inside a parallel construct: split `[lo, hi)` in halves with
/// `join` down to leaves.
fn split_nested<S: Split>(
    registry: &Registry,
    split: &S,
    lo: usize,
    hi: usize,
    run: &(dyn Fn(usize, usize) + Sync),
) {
    if lo >= hi {
        return;
    }
    if split.is_leaf(lo, hi) {
        run(lo, hi);
        return;
    }
    let mid = split.cut(lo, hi).clamp(lo + 1, hi - 1);
    let ctx = registry
        .current()
        .expect("nested loops run on the pool's threads");
    join_in(
        registry,
        ctx,
        || split_nested(registry, split, lo, mid, run),
        || split_nested(registry, split, mid, hi, run),
    );
}

/// One slot per reduction piece, written once by whichever thread ran the piece.
struct Partials<T> {
    slots: Box<[std::cell::UnsafeCell<Option<T>>]>,
}

// SAFETY: each slot is written by exactly one thread (the one that ran the piece)
// and read only after the loop has completed (which orders those writes before the
// reads); moving `T`s between threads needs `T: Send`.
unsafe impl<T: Send> Sync for Partials<T> {}

impl<T> Partials<T> {
    fn new(n: usize) -> Self {
        Partials {
            slots: (0..n).map(|_| std::cell::UnsafeCell::new(None)).collect(),
        }
    }

    /// # Safety
    /// Each index is set at most once, and not while `into_values` runs.
    unsafe fn set(&self, k: usize, value: T) {
        // SAFETY: exclusive access to slot `k` (caller's promise).
        unsafe { *self.slots[k].get() = Some(value) };
    }

    fn into_values(self) -> impl Iterator<Item = T> {
        self.slots
            .into_vec()
            .into_iter()
            .map(|slot| slot.into_inner().expect("every reduction piece ran"))
    }
}
