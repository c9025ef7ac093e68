//! The team barrier: every member of a team region waits until all have arrived.
//!
//! # Protocol
//! A centralised counting barrier whose arrival count and generation number
//! share one word (`state` = generation << 16 | arrived), so a round costs one
//! read-modify-write per member on one cache line. An arriving member adds 1 to
//! `state`; the value it gets back tells it both the round's generation and
//! whether it is the last. The last arrival stores (generation + 1, 0) with a
//! `SeqCst` store, which publishes everything the team wrote before the barrier
//! (every earlier arrival's `AcqRel` add is in its acquire chain); the others
//! poll `state` until its generation moves — spinning for the pool's spin
//! window, then sleeping. Nobody can add to `state` between the last arrival and
//! its store: every member has arrived and waits for the generation to move
//! before it can arrive again. With two members a round moves the line twice
//! (each arrival) instead of three times with separate count and generation
//! words: one cache-line transfer fewer per round.
//!
//! Sleeping uses the same Dekker pattern as [`crate::sleep`]: a waiter increments
//! `sleepers` (`SeqCst`) and re-checks the generation before parking; the last
//! arrival bumps the generation and then, if `sleepers` is non-zero, unparks every
//! team thread (the waker callback). Spurious unparks are harmless: waiters loop.
//!
//! # Poisoning and mismatched calls
//! A barrier must never hang the program:
//! - a member whose body panics [poisons](Barrier::poison) the barrier: waiters
//!   and later arrivals return [`BarrierError::Poisoned`] (the team context turns
//!   that into a silent unwind, and the region reports the original panic);
//! - a member that returns from the body [departs](Barrier::depart). If another
//!   member then waits at a barrier whose generation has not moved, the departed
//!   member can never arrive: that waiter poisons the barrier and gets
//!   [`BarrierError::Mismatch`] (the members called the barrier a different number
//!   of times). A waiter checks `departed` *before* re-reading the generation, so a
//!   member that departed right after the final barrier is never mistaken for a
//!   mismatch: its departure comes after it saw the generation bump.

use crossbeam_utils::CachePadded;

use crate::sleep::{Backoff, SpinPolicy};
use crate::sync::{AtomicBool, AtomicUsize, Ordering, dekker_fence, park};

/// Why a barrier wait failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarrierError {
    /// Another member panicked.
    Poisoned,
    /// A member returned from the region body while this one waited at a barrier.
    Mismatch,
}

/// Bits of [`Barrier`]'s `state` word that count arrivals (the rest is the
/// generation); more than [`MAX_THREADS`](crate::MAX_THREADS) members fit.
const COUNT_BITS: u32 = 16;
const COUNT_MASK: usize = (1 << COUNT_BITS) - 1;

/// A reusable barrier for a fixed number of members (see the module docs).
pub struct Barrier {
    members: usize,
    /// generation << COUNT_BITS | members arrived in this generation.
    state: CachePadded<AtomicUsize>,
    poisoned: AtomicBool,
    departed: AtomicUsize,
    sleepers: AtomicUsize,
    policy: SpinPolicy,
}

impl Barrier {
    /// A barrier for `members` threads that spin per `policy` before sleeping.
    pub fn new(members: usize, policy: SpinPolicy) -> Self {
        assert!(
            members <= COUNT_MASK,
            "a barrier counts at most {COUNT_MASK} members"
        );
        Barrier {
            members,
            state: CachePadded::new(AtomicUsize::new(0)),
            poisoned: AtomicBool::new(false),
            departed: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            policy,
        }
    }

    /// Waits until all members have arrived. `wake_all` must unpark every member
    /// thread; it runs only when some member sleeps.
    pub fn wait(&self, wake_all: impl Fn()) -> Result<(), BarrierError> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(BarrierError::Poisoned);
        }
        let before = self.state.fetch_add(1, Ordering::AcqRel);
        let generation = before >> COUNT_BITS;
        if (before & COUNT_MASK) + 1 == self.members {
            // Everyone else has arrived and waits for the generation to move, so
            // nobody touches `state` until this store (module docs).
            self.state
                .store(generation.wrapping_add(1) << COUNT_BITS, Ordering::SeqCst);
            dekker_fence();
            if self.sleepers.load(Ordering::SeqCst) != 0 {
                wake_all();
            }
            return Ok(());
        }
        let mut backoff = Backoff::eager(self.policy);
        loop {
            if let Some(outcome) = self.check(generation) {
                return outcome;
            }
            if backoff.pause() {
                continue;
            }
            self.sleepers.fetch_add(1, Ordering::SeqCst);
            dekker_fence();
            let outcome = self.check(generation);
            if outcome.is_none() {
                park();
            }
            self.sleepers.fetch_sub(1, Ordering::SeqCst);
            if let Some(outcome) = outcome {
                return outcome;
            }
        }
    }

    /// The state of a wait that started at `generation`: `None` while it must go on.
    fn check(&self, generation: usize) -> Option<Result<(), BarrierError>> {
        if self.poisoned.load(Ordering::SeqCst) {
            // A poisoning after our round completed does not concern this wait.
            return Some(if self.generation() != generation {
                Ok(())
            } else {
                Err(BarrierError::Poisoned)
            });
        }
        let departed = self.departed.load(Ordering::SeqCst) != 0;
        if self.generation() != generation {
            return Some(Ok(()));
        }
        if departed {
            self.poisoned.store(true, Ordering::SeqCst);
            return Some(Err(BarrierError::Mismatch));
        }
        None
    }

    /// The current generation (a `SeqCst` load: part of the re-check before
    /// sleeping).
    fn generation(&self) -> usize {
        self.state.load(Ordering::SeqCst) >> COUNT_BITS
    }

    /// Marks the barrier unusable after a member panicked, and wakes the waiters.
    pub fn poison(&self, wake_all: impl Fn()) {
        self.poisoned.swap(true, Ordering::SeqCst);
        dekker_fence();
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            wake_all();
        }
    }

    /// Whether a member poisoned the barrier (a `SeqCst` load: part of the
    /// re-check before sleeping in a team loop).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::SeqCst)
    }

    /// The number of members.
    pub fn members(&self) -> usize {
        self.members
    }

    /// Whether some member has returned from the body (a `SeqCst` load).
    pub fn has_departures(&self) -> bool {
        self.departed.load(Ordering::SeqCst) != 0
    }

    /// Records that a member returned from the body, and wakes the waiters so that
    /// a mismatched wait fails instead of hanging.
    pub fn depart(&self, wake_all: impl Fn()) {
        self.departed.fetch_add(1, Ordering::SeqCst);
        dekker_fence();
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            wake_all();
        }
    }
}
