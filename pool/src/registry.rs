//! The shared state of one pool and the life of its threads.
//!
//! # Threads and the caller seat
//! A pool of `n` threads spawns `n − 1` workers (indices `1..n`). Index 0 is the
//! *caller seat*: a thread from outside the pool that calls a parallel operation
//! takes the seat (a mutex — calls from several outside threads are serialised),
//! becomes worker 0 for the duration of the call and does its share of the work,
//! OpenMP-style. The seat owns deque 0 and a [`WorkerCtx`] like every worker; the
//! thread handle of its current holder is recorded for the wake protocol.
//!
//! A thread-local pointer names the [`WorkerCtx`] a thread currently acts as, so a
//! parallel call made from inside a job finds its pool context without taking the
//! seat again. `at_top` is true only while the seat holder runs the caller's code
//! outside every parallel construct: only there may it open a region (a parallel
//! loop or a team region needs every worker; anywhere else they may be busy with
//! jobs the region would wait for). Everywhere else, loops split themselves with
//! `join` and team regions run with a team of one.
//!
//! # The wait loop
//! Every wait — an idle worker, a joiner whose job was stolen, a scope waiting for
//! its spawns, the caller waiting for a region to finish — is
//! [`Sleep::wait_until`] with the same work search: pop the own deque, (idle
//! workers only) enter an open region, steal from another deque (checking
//! `is_empty` first: a failed steal is far dearer than two loads). Only idle
//! workers enter regions, because a region may need the waiter's own job to
//! finish first.
//!
//! # Ownership
//! The registry is shared (`Arc`) by the [`Pool`](crate::Pool) handle and the
//! workers. Dropping the pool sets `terminate` with a `SeqCst` swap, wakes every
//! sleeper, and joins the workers.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64 as StdAtomicU64, Ordering as StdOrdering};

use crossbeam_utils::CachePadded;

use crate::deque::{Steal, Stealer, Worker, new_deque};
use crate::job::JobRef;
use crate::region::{RegionHeader, RegionJob, RegionSlot, run_region};
use crate::sleep::{Sleep, SpinPolicy};
use crate::sync::{
    AtomicBool, AtomicU64, AtomicUsize, Mutex, MutexGuard, Ordering, current_thread, lock,
    spin_loop,
};

/// Whether an idle thread polls the other deques on its `polls`-th fruitless
/// poll: the first eight (work tends to appear right after work), then every
/// sixteenth (each poll costs the polled owner a cache miss on its next push or
/// pop, so polling on every round would tax every `join` of a busy owner). Its
/// own deque and the region slot are polled every time. (Under loom, where every wait
/// sleeps after one poll, every poll steals, so the models explore the stolen
/// paths.)
#[inline]
fn steal_on_poll(polls: u32) -> bool {
    cfg!(loom) || polls < 8 || polls & 15 == 0
}

/// What a pool thread does while it acts for a pool.
pub struct WorkerCtx {
    registry: *const Registry,
    index: usize,
    /// True while the seat holder runs caller code outside any parallel construct.
    at_top: Cell<bool>,
    /// The last region generation this thread entered.
    last_region: Cell<u64>,
    /// Victim rotation for steals.
    next_victim: Cell<usize>,
    /// The thread token of the seat's current holder (seat context only).
    holder: Cell<u64>,
    /// The context this thread acted as before this one (contexts of several
    /// pools nest when a job of one pool calls into another).
    outer: Cell<*const WorkerCtx>,
    /// The owner's end of this thread's deque.
    deque: Worker,
}

// SAFETY: the seat context moves between threads only under the seat mutex, which
// hands it over whole; its `Cell`s and its deque's owner role are only used by the
// thread holding it. Worker contexts never leave their thread.
unsafe impl Send for WorkerCtx {}

impl WorkerCtx {
    fn new(registry: *const Registry, index: usize, deque: Worker) -> Self {
        WorkerCtx {
            registry,
            index,
            at_top: Cell::new(false),
            last_region: Cell::new(0),
            next_victim: Cell::new(index + 1),
            holder: Cell::new(0),
            outer: Cell::new(std::ptr::null()),
            deque,
        }
    }

    /// This thread's index in the pool (0 for the caller seat).
    #[inline]
    pub fn index(&self) -> usize {
        self.index
    }

    /// Pushes a job onto this thread's deque.
    #[inline]
    pub fn push(&self, job: JobRef) {
        self.deque.push(job);
    }

    /// Pops the most recently pushed job of this thread's deque.
    #[inline]
    pub fn pop(&self) -> Option<JobRef> {
        self.deque.pop()
    }

    /// Whether this thread may open a region now (see the module docs); clears the
    /// flag and returns its previous value.
    #[inline]
    pub fn leave_top(&self) -> bool {
        self.at_top.replace(false)
    }

    /// Restores the flag [`leave_top`](Self::leave_top) returned.
    #[inline]
    pub fn restore_top(&self, at_top: bool) {
        self.at_top.set(at_top);
    }

    /// Whether this thread may open a region now.
    #[inline]
    pub fn at_top(&self) -> bool {
        self.at_top.get()
    }
}

#[cfg(not(loom))]
thread_local! {
    /// The context this thread currently acts as, or null.
    static CURRENT: Cell<*const WorkerCtx> = const { Cell::new(std::ptr::null()) };
    /// A process-unique number for this thread (never reused, unlike addresses).
    static TOKEN: u64 = next_token();
}

#[cfg(loom)]
loom::thread_local! {
    static CURRENT: Cell<*const WorkerCtx> = Cell::new(std::ptr::null());
    static TOKEN: u64 = next_token();
}

fn next_token() -> u64 {
    static NEXT: StdAtomicU64 = StdAtomicU64::new(1);
    NEXT.fetch_add(1, StdOrdering::Relaxed)
}

/// Restores the previous thread-local context on drop (also while unwinding).
struct CurrentGuard(*const WorkerCtx);

impl CurrentGuard {
    /// Makes `ctx` the thread's current context, remembering the previous one in
    /// `ctx.outer` (and in the guard, to restore it).
    fn enter(ctx: &WorkerCtx) -> Self {
        let outer = CURRENT.with(|current| current.replace(ctx));
        ctx.outer.set(outer);
        CurrentGuard(outer)
    }
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.0));
    }
}

/// Work found by a waiting thread.
pub enum Work {
    /// A job from a deque.
    Job(JobRef),
    /// An entered region.
    Region(*const RegionHeader),
}

/// The state shared by a pool's handle and its workers.
pub struct Registry {
    threads: usize,
    /// Members of a team region (workers `0..team_size`): fewer than `threads`
    /// when the pool has more threads than CPUs (see `Pool::team_size`).
    team_size: usize,
    /// Thieves' ends of every thread's deque, by index.
    stealers: Box<[Stealer]>,
    /// Padded: the holder writes its context's cells on every `join`, and the
    /// workers poll the fields around it.
    seat: CachePadded<Mutex<WorkerCtx>>,
    pub(crate) sleep: Sleep,
    pub(crate) region: CachePadded<RegionSlot>,
    /// Per-worker `[lo, hi)` shares of the current parallel loop (see `schedule`).
    pub(crate) shares: Box<[CachePadded<AtomicU64>]>,
    terminate: AtomicBool,
    /// Workers that have left their main loop.
    exited: AtomicUsize,
    policy: SpinPolicy,
}

/// Everything a new worker thread needs.
pub struct WorkerStart {
    pub(crate) registry: Arc<Registry>,
    pub(crate) index: usize,
    pub(crate) deque: Worker,
}

impl Registry {
    /// A registry for `threads` threads. Returns it with the start records of
    /// workers `1..threads`.
    pub fn new(
        threads: usize,
        team_size: usize,
        policy: SpinPolicy,
    ) -> (Arc<Registry>, Vec<WorkerStart>) {
        debug_assert!((1..=threads).contains(&team_size));
        let (mut owners, stealers): (Vec<Worker>, Vec<Stealer>) =
            (0..threads).map(|_| new_deque()).unzip();
        let mut workers_ends = owners.split_off(1);
        let seat_end = owners.pop().expect("a pool has at least one thread");
        let registry = Arc::new_cyclic(|this| Registry {
            threads,
            team_size,
            stealers: stealers.into_boxed_slice(),
            seat: CachePadded::new(Mutex::new(WorkerCtx::new(this.as_ptr(), 0, seat_end))),
            sleep: Sleep::new(threads),
            region: CachePadded::new(RegionSlot::new()),
            shares: (0..threads)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
            terminate: AtomicBool::new(false),
            exited: AtomicUsize::new(0),
            policy,
        });
        let starts = workers_ends
            .drain(..)
            .enumerate()
            .map(|(k, deque)| WorkerStart {
                registry: Arc::clone(&registry),
                index: k + 1,
                deque,
            })
            .collect();
        (registry, starts)
    }

    /// Number of threads, the caller seat included.
    #[inline]
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Number of members of a team region.
    #[inline]
    pub fn team_size(&self) -> usize {
        self.team_size
    }

    /// The spin policy of this pool's waits.
    #[inline]
    pub fn policy(&self) -> SpinPolicy {
        self.policy
    }

    /// The context the calling thread acts as for this pool, if any.
    ///
    /// Walks the chain of nested contexts: a worker of this pool that runs a job
    /// which calls into another pool is still this pool's worker, and must not try
    /// to take this pool's caller seat (its holder may be waiting for that job).
    #[inline]
    pub fn current(&self) -> Option<&WorkerCtx> {
        let mut ctx = CURRENT.with(Cell::get);
        // SAFETY: a non-null CURRENT, and every `outer` link, points to a context
        // that outlives the guard that installed it, which is further up this
        // thread's stack.
        while let Some(found) = unsafe { ctx.as_ref() } {
            if std::ptr::eq(found.registry, self) {
                return Some(found);
            }
            ctx = found.outer.get();
        }
        None
    }

    /// Runs `f` as the seat holder (worker 0, at top level), taking the seat.
    ///
    /// A thread outside every pool blocks while another thread holds the seat
    /// (outside callers are served one at a time). A thread that is already some
    /// pool's thread — a worker of another pool running a job, or the caller of
    /// another pool — does not wait: if the seat is taken it gets `None` and runs
    /// the operation inline. Its own caller may be the very seat holder, waiting
    /// for it (pool A's call runs pool B's region, whose job calls pool A), so
    /// waiting could deadlock.
    pub fn with_seat<R>(&self, f: impl FnOnce(Option<&WorkerCtx>) -> R) -> R {
        let in_some_pool = !CURRENT.with(Cell::get).is_null();
        let guard: MutexGuard<'_, WorkerCtx> = if in_some_pool {
            match self.seat.try_lock() {
                Ok(guard) => guard,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => return f(None),
            }
        } else {
            lock(&self.seat)
        };
        let ctx: &WorkerCtx = &guard;
        let token = TOKEN.with(|t| *t);
        if ctx.holder.get() != token {
            self.sleep.set_thread(0, current_thread());
            ctx.holder.set(token);
        }
        ctx.at_top.set(true);
        let _current = CurrentGuard::enter(ctx);
        let result = f(Some(ctx));
        ctx.at_top.set(false);
        result
    }

    /// The body of worker thread `start.index`.
    pub fn worker_main(start: WorkerStart) {
        let WorkerStart {
            registry,
            index,
            deque,
        } = start;
        let ctx = WorkerCtx::new(Arc::as_ptr(&registry), index, deque);
        let _current = CurrentGuard::enter(&ctx);
        registry.wait_until(&ctx, || registry.terminate.load(Ordering::SeqCst), true);
        registry.exited.fetch_add(1, Ordering::SeqCst);
    }

    /// Under loom only: waits (yielding) until every worker has left
    /// [`worker_main`](Self::worker_main). loom wakes a thread blocked in
    /// `JoinHandle::join` when it receives an `unpark` — a stale one is allowed by
    /// the wake protocol — and then fails an internal assertion; a plain `std`
    /// join ignores unparks. Once all workers are out, no unpark can come.
    #[cfg(loom)]
    pub fn wait_for_exit(&self) {
        while self.exited.load(Ordering::SeqCst) < self.threads - 1 {
            crate::sync::yield_now();
        }
    }

    /// Stops the workers: they finish their current wait and exit.
    pub fn terminate(&self) {
        self.terminate.swap(true, Ordering::SeqCst);
        self.sleep.wake_all();
        self.sleep.unpark_all();
    }

    /// Waits (helping, spinning, sleeping) until `done()`. Idle workers pass
    /// `regions = true` to take part in regions.
    pub fn wait_until(&self, ctx: &WorkerCtx, done: impl Fn() -> bool, regions: bool) {
        self.sleep.wait_until(
            ctx.index,
            self.policy,
            done,
            |polls| self.find_work(ctx, regions, polls),
            |work| self.run_work(ctx, work),
            || self.has_work(ctx, regions),
        );
    }

    /// Runs a region from the caller seat: opens it, runs `body(0)` here, waits for
    /// every worker that entered to leave. `body` must not unwind.
    pub fn run_region<F: Fn(usize) + Sync>(&self, ctx: &WorkerCtx, team: bool, body: F) {
        let job = RegionJob::new(body);
        let top = ctx.leave_top();
        self.region.open(job.header(), team);
        self.wake_region_workers(team);
        job.run_here(0);
        if !team {
            self.region.close();
        }
        self.wait_until(ctx, || self.region.is_done(), false);
        ctx.restore_top(top);
    }

    fn find_work(&self, ctx: &WorkerCtx, regions: bool, polls: u32) -> Option<Work> {
        if let Some(job) = ctx.pop() {
            return Some(Work::Job(job));
        }
        if regions {
            let mut last = ctx.last_region.get();
            let entered = self
                .region
                .try_enter(&mut last, ctx.index, self.team_size - 1);
            ctx.last_region.set(last);
            if let Some(header) = entered {
                return Some(Work::Region(header));
            }
        }
        // Other deques only on some polls: reading a deque's indices costs its
        // owner a cache miss on its next push or pop.
        if steal_on_poll(polls) {
            return self.steal(ctx).map(Work::Job);
        }
        None
    }

    /// Steals the oldest job of another deque, starting from the victim of the
    /// last successful steal.
    fn steal(&self, ctx: &WorkerCtx) -> Option<JobRef> {
        let n = self.threads;
        let start = ctx.next_victim.get();
        for k in 0..n {
            let victim = (start + k) % n;
            if victim == ctx.index {
                continue;
            }
            let deque = &self.stealers[victim];
            if deque.is_empty() {
                continue;
            }
            loop {
                match deque.steal() {
                    Steal::Success(job) => {
                        ctx.next_victim.set(victim);
                        return Some(job);
                    }
                    Steal::Empty => break,
                    Steal::Retry => spin_loop(),
                }
            }
        }
        ctx.next_victim.set(start.wrapping_add(1));
        None
    }

    fn run_work(&self, ctx: &WorkerCtx, work: Work) {
        match work {
            // SAFETY: every JobRef in a deque is executed exactly once, by whoever
            // popped or stole it, while its owner waits for it.
            Work::Job(job) => unsafe { job.execute() },
            Work::Region(header) => {
                // Pass the fork on: each entering worker wakes up to two sleepers,
                // so waking the team takes logarithmic time.
                self.wake_region_workers(self.region.is_team());
                // SAFETY: `header` comes from a successful `try_enter`, and the
                // matching `leave` follows.
                unsafe { run_region(header, ctx.index) };
                self.region.leave(&self.sleep);
            }
        }
    }

    /// Wakes up to two sleeping workers that may enter the open region: any
    /// worker for a loop, the team's members for a team region.
    fn wake_region_workers(&self, team: bool) {
        if team {
            self.sleep.wake_workers_below(self.team_size, 2);
        } else {
            self.sleep.wake_workers(2);
        }
    }

    fn has_work(&self, ctx: &WorkerCtx, regions: bool) -> bool {
        (regions && self.region.has_new(ctx.last_region.get()))
            || self.stealers.iter().any(|d| !d.is_empty())
    }
}
