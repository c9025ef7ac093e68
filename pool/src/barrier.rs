//! The team barrier: every member of a team region waits until all have arrived.
//!
//! # Protocol
//! A centralised counting barrier with a generation number. An arriving member
//! reads the generation, then increments `arrived`. The last arrival resets
//! `arrived` to 0 and bumps the generation (a `SeqCst` read-modify-write that
//! publishes everything the team wrote before the barrier); the others poll the
//! generation — spinning for the pool's spin window, then sleeping. A member
//! cannot arrive at round `k + 1` before seeing round `k`'s generation bump, which
//! happens after the reset, so the reset never races with a new arrival.
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

/// A reusable barrier for a fixed number of members (see the module docs).
pub struct Barrier {
    members: usize,
    arrived: CachePadded<AtomicUsize>,
    generation: CachePadded<AtomicUsize>,
    poisoned: AtomicBool,
    departed: AtomicUsize,
    sleepers: AtomicUsize,
    policy: SpinPolicy,
}

impl Barrier {
    /// A barrier for `members` threads that spin per `policy` before sleeping.
    pub fn new(members: usize, policy: SpinPolicy) -> Self {
        Barrier {
            members,
            arrived: CachePadded::new(AtomicUsize::new(0)),
            generation: CachePadded::new(AtomicUsize::new(0)),
            poisoned: AtomicBool::new(false),
            departed: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            policy,
        }
    }

    /// Waits until all members have arrived. `wake_all` must unpark every member
    /// thread; it runs only when some member sleeps.
    pub fn wait(&self, wake_all: impl Fn()) -> Result<(), BarrierError> {
        let generation = self.generation.load(Ordering::Acquire);
        if self.poisoned.load(Ordering::Acquire) {
            return Err(BarrierError::Poisoned);
        }
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.members {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::SeqCst);
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
            return Some(if self.generation.load(Ordering::SeqCst) != generation {
                Ok(())
            } else {
                Err(BarrierError::Poisoned)
            });
        }
        let departed = self.departed.load(Ordering::SeqCst) != 0;
        if self.generation.load(Ordering::SeqCst) != generation {
            return Some(Ok(()));
        }
        if departed {
            self.poisoned.store(true, Ordering::SeqCst);
            return Some(Err(BarrierError::Mismatch));
        }
        None
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
