//! Idle workers: spin briefly, then sleep; and the wake protocol that finds them.
//!
//! # Why
//! Handing work to a sleeping thread costs a futex wake-up (microseconds); handing
//! it to a spinning one costs a cache-line transfer (far less). So a thread that runs
//! out of work first *spins* for a bounded window ([`SpinPolicy::window`], default
//! 100 µs) polling for work, and only then *sleeps*, so that an idle pool burns no
//! CPU. While spinning it yields its CPU every few polls: on a busy machine the
//! caller (worker 0, not pinned) may share a CPU with a spinning worker, and a
//! spinner that never yields halves the caller's speed. Barrier waits yield only
//! after a few microseconds ([`Backoff::eager`]): yielding there right away
//! invites the scheduler to put two team members on one CPU. When a pool has more
//! threads than CPUs, every poll yields.
//!
//! # The sleep protocol
//! Every pool thread has an index (`0` is the thread currently holding the pool's
//! caller seat, `1..n` are the workers) and, here, a *sleep flag*, a slot for its
//! [`Thread`] handle, and a share of the packed `counts` word (number of sleepers
//! in the low half, number of spinning searchers in the high half).
//!
//! A thread going to sleep ([`Sleep::sleep`]):
//! 1. increments the sleeper count (a `SeqCst` read-modify-write) and then sets
//!    its flag — in that order, so that the count is never lower than the number
//!    of set flags, even while a waker claims a flag that was just set,
//! 2. re-checks, with `SeqCst` loads, everything that could wake it (its latch,
//!    the region slot, the deques, the terminate flag); if anything is there it
//!    takes its registration back and returns,
//! 3. otherwise parks, and after waking takes its registration back if a waker has
//!    not already claimed it.
//!
//! A producer of an event that must not be missed (a latch set, a region opened,
//! the pool terminating) first publishes the event with a `SeqCst`
//! read-modify-write and *then* loads the counts with `SeqCst`: if a sleeper is
//! registered it claims that sleeper's flag (a compare-and-swap, so each
//! registration is claimed by exactly one party) and unparks its thread.
//!
//! This is Dekker's pattern: both sides write (event / registration), then read the
//! other side's variable, all in the single total order of `SeqCst` operations,
//! so at least one side sees the other: either the sleeper's re-check sees the
//! event, or the producer sees the registration and wakes it. `park`/`unpark` keep
//! a token, so an unpark that arrives before the park is not lost either. A claim
//! that races with the sleeper's own take-back leaves at most one stale token,
//! which makes one later `park` return early; every park site loops on its
//! condition, so that is harmless.
//!
//! # Hints
//! Pushing a `join`/`spawn` job onto a deque is *not* an event that must be
//! delivered: the thread that pushed it always runs it itself if nobody steals it.
//! So a push only *hints* ([`Sleep::hint_new_work`]): one plain load of the counts,
//! and a wake-up only when somebody sleeps and nobody is spinning (a spinner will
//! find the job). A hint that races with a thread going to sleep may be missed; the
//! cost is parallelism, never progress, and the next push hints again.
//!
//! The protocol is model-checked with loom (`pool/tests/loom.rs`).

use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use crate::sync::{
    AtomicBool, AtomicU64, Mutex, Ordering, Thread, dekker_fence, lock, park, spin_loop, yield_now,
};

/// One sleeper in the low half of [`Sleep::counts`].
const SLEEPER: u64 = 1;
/// One spinning searcher in the high half of [`Sleep::counts`].
const SEARCHER: u64 = 1 << 32;
/// Mask of the sleeper count.
const SLEEPER_MASK: u64 = SEARCHER - 1;

/// How a thread without work waits before it sleeps.
#[derive(Clone, Copy, Debug)]
pub struct SpinPolicy {
    /// How long to poll for work before sleeping.
    pub window: Duration,
    /// Yield the CPU between polls instead of pausing (pools with more threads
    /// than CPUs).
    pub yield_between_polls: bool,
}

/// The spin phase of one wait: exponential pauses up to a cap, then the clock.
pub struct Backoff {
    policy: SpinPolicy,
    /// The first poll that may yield.
    yield_from: u32,
    rounds: u32,
    started: Option<Instant>,
}

/// Pauses per poll grow as 1, 2, 4, 8 and stay at 8 (under a microsecond on
/// current x86):
/// the poll interval bounds how fast a spinning worker notices a new region.
const MAX_PAUSE_SHIFT: u32 = 3;
/// A spinning thread yields its CPU on every this-many-th poll (a power of two).
const YIELD_EVERY: u32 = 8;
/// Polls before an [eager](Backoff::eager) spin phase starts yielding.
const EAGER_POLLS: u32 = 48;
/// The clock is read every this many polls (a power of two; a clock read costs
/// more than a poll).
const CLOCK_EVERY: u32 = 16;

impl Backoff {
    /// A fresh spin phase.
    #[inline]
    pub fn new(policy: SpinPolicy) -> Self {
        Backoff {
            policy,
            yield_from: 0,
            rounds: 0,
            started: None,
        }
    }

    /// A spin phase that only starts yielding after [`EAGER_POLLS`] polls (a few
    /// microseconds):
    /// for barrier waits, which are short when the team is balanced. Yielding
    /// early there invites the scheduler to put two members on one CPU.
    pub fn eager(policy: SpinPolicy) -> Self {
        Backoff {
            yield_from: EAGER_POLLS,
            ..Self::new(policy)
        }
    }

    /// Restarts the spin phase (after finding work).
    #[inline]
    pub fn reset(&mut self) {
        self.rounds = 0;
        self.started = None;
    }

    /// Waits a little. Returns `false` once the spin window is over: time to sleep.
    /// Under loom there is no spin phase: every wait goes straight to the sleep
    /// protocol, which is what the models check.
    #[inline]
    pub fn pause(&mut self) -> bool {
        if cfg!(loom) {
            yield_now();
            return false;
        }
        if self.policy.yield_between_polls
            || (self.rounds >= self.yield_from
                && self.rounds & (YIELD_EVERY - 1) == YIELD_EVERY - 1)
        {
            // Now and then, and always in oversubscribed pools, let any other
            // runnable thread on this CPU — often the very caller we wait for —
            // have it: an idle spinner must not halve its neighbour's speed.
            yield_now();
        } else {
            for _ in 0..(1u32 << self.rounds.min(MAX_PAUSE_SHIFT)) {
                spin_loop();
            }
        }
        self.rounds = self.rounds.wrapping_add(1);
        if self.rounds & (CLOCK_EVERY - 1) == 0 {
            let now = Instant::now();
            match self.started {
                None => self.started = Some(now),
                Some(start) if now.duration_since(start) >= self.policy.window => return false,
                Some(_) => {}
            }
        }
        true
    }
}

/// The sleep flags, thread handles and counts of one pool (see the module docs).
pub struct Sleep {
    counts: CachePadded<AtomicU64>,
    flags: Box<[CachePadded<AtomicBool>]>,
    handles: Box<[Mutex<Option<Thread>>]>,
}

impl Sleep {
    /// Sleep state for `n` threads (indices `0..n`), none registered.
    pub fn new(n: usize) -> Self {
        Sleep {
            counts: CachePadded::new(AtomicU64::new(0)),
            flags: (0..n)
                .map(|_| CachePadded::new(AtomicBool::new(false)))
                .collect(),
            handles: (0..n).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Records the thread that acts as index `idx` (workers at start, index 0
    /// whenever a different thread takes the caller seat).
    pub fn set_thread(&self, idx: usize, thread: Thread) {
        *lock(&self.handles[idx]) = Some(thread);
    }

    /// Unparks the thread recorded for `idx`, registered or not (team barriers use
    /// this; a stale token is harmless, see the module docs).
    pub fn unpark(&self, idx: usize) {
        let thread = lock(&self.handles[idx]).clone();
        if let Some(thread) = thread {
            thread.unpark();
        }
    }

    /// Unparks every recorded thread.
    pub fn unpark_all(&self) {
        self.unpark_first(self.handles.len());
    }

    /// Unparks the threads recorded for indices `0..n` (the members of a team).
    pub fn unpark_first(&self, n: usize) {
        for idx in 0..n.min(self.handles.len()) {
            self.unpark(idx);
        }
    }

    /// Marks the calling thread as spinning in search of work.
    #[inline]
    pub fn start_searching(&self) {
        self.counts.fetch_add(SEARCHER, Ordering::Relaxed);
    }

    /// Ends [`Sleep::start_searching`].
    #[inline]
    pub fn stop_searching(&self) {
        self.counts.fetch_sub(SEARCHER, Ordering::Relaxed);
    }

    /// A job was pushed: wake one sleeper if nobody is spinning to pick it up.
    /// A hint, not a delivery guarantee (see the module docs).
    #[inline]
    pub fn hint_new_work(&self) {
        let counts = self.counts.load(Ordering::SeqCst);
        if counts & SLEEPER_MASK != 0 && counts >> 32 == 0 {
            self.wake_up_to(1);
        }
    }

    /// Registers `idx` as asleep, re-checks `should_wake`, and parks unless it
    /// returned true. Returns after one park (the caller loops on its condition).
    pub fn sleep(&self, idx: usize, should_wake: impl Fn() -> bool) {
        // Count first, flag second: a waker that sees the flag and claims it
        // decrements a count that already includes this registration, so the
        // count never falls below the number of set flags (a waker skips the scan
        // when it reads 0). loom found the reverse order losing a wake-up.
        self.counts.fetch_add(SLEEPER, Ordering::SeqCst);
        self.flags[idx].store(true, Ordering::SeqCst);
        dekker_fence();
        if !should_wake() {
            park();
        }
        self.unregister(idx);
    }

    /// Takes `idx`'s registration back, unless a waker claimed it first.
    fn unregister(&self, idx: usize) {
        if self.flags[idx]
            .compare_exchange(true, false, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            self.counts.fetch_sub(SLEEPER, Ordering::SeqCst);
        }
    }

    /// Claims `idx`'s registration if it has one and unparks it.
    fn claim(&self, idx: usize) -> bool {
        let flag = &self.flags[idx];
        if flag.load(Ordering::Acquire)
            && flag
                .compare_exchange(true, false, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            self.counts.fetch_sub(SLEEPER, Ordering::SeqCst);
            self.unpark(idx);
            true
        } else {
            false
        }
    }

    /// After publishing an event for `idx` with a `SeqCst` read-modify-write:
    /// wakes `idx` if it sleeps.
    #[inline]
    pub fn wake_specific(&self, idx: usize) {
        dekker_fence();
        if self.counts.load(Ordering::SeqCst) & SLEEPER_MASK != 0 {
            self.claim(idx);
        }
    }

    /// After publishing an event with a `SeqCst` read-modify-write: wakes up to
    /// `k` sleepers, any index. Returns how many it woke.
    pub fn wake_up_to(&self, k: usize) -> usize {
        self.wake_from(0, self.flags.len(), k)
    }

    /// Like [`wake_up_to`](Self::wake_up_to), but only workers (indices ≥ 1):
    /// a region's wake must not be spent on the caller seat, which sleeps while it
    /// waits for the region and is no participant (a team region would hang
    /// waiting for the member that wake was meant for).
    pub fn wake_workers(&self, k: usize) -> usize {
        self.wake_from(1, self.flags.len(), k)
    }

    /// Like [`wake_workers`](Self::wake_workers), among workers `1..end` only
    /// (the members of a team smaller than the pool).
    pub fn wake_workers_below(&self, end: usize, k: usize) -> usize {
        self.wake_from(1, end, k)
    }

    fn wake_from(&self, first: usize, end: usize, k: usize) -> usize {
        let mut woken = 0;
        dekker_fence();
        if k == 0 || self.counts.load(Ordering::SeqCst) & SLEEPER_MASK == 0 {
            return 0;
        }
        for idx in first..end.min(self.flags.len()) {
            if self.claim(idx) {
                woken += 1;
                if woken == k {
                    break;
                }
            }
        }
        woken
    }

    /// After publishing an event with a `SeqCst` read-modify-write: wakes every
    /// sleeper.
    pub fn wake_all(&self) -> usize {
        self.wake_up_to(usize::MAX)
    }

    /// The wait loop every pool thread uses: until `done()`, run the work `find`
    /// returns (via `run`; `find` gets the number of fruitless polls so far, so it
    /// can poll expensive sources less often); when there is none, spin per
    /// `policy`, then
    /// [`sleep`](Sleep::sleep), re-checking `done() || has_work()` after
    /// registering.
    ///
    /// `has_work` must observe, with `SeqCst` loads, every event whose producer
    /// relies on the wake protocol (regions, termination); `done` likewise for the
    /// latch it waits on.
    pub fn wait_until<W>(
        &self,
        idx: usize,
        policy: SpinPolicy,
        done: impl Fn() -> bool,
        mut find: impl FnMut(u32) -> Option<W>,
        mut run: impl FnMut(W),
        has_work: impl Fn() -> bool,
    ) {
        let mut backoff = Backoff::new(policy);
        let mut searching = false;
        let mut polls = 0u32;
        loop {
            if done() {
                break;
            }
            if let Some(work) = find(polls) {
                if searching {
                    self.stop_searching();
                    searching = false;
                }
                run(work);
                backoff.reset();
                polls = 0;
                continue;
            }
            polls = polls.wrapping_add(1);
            if !searching {
                self.start_searching();
                searching = true;
            }
            if backoff.pause() {
                continue;
            }
            self.stop_searching();
            searching = false;
            self.sleep(idx, || done() || has_work());
            backoff.reset();
            polls = 0;
        }
        if searching {
            self.stop_searching();
        }
    }
}
