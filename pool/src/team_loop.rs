//! Worksharing loops inside a team region ([`TeamCtx::for_range`]).
//!
//! # Why
//! A team region with a barrier per iteration keeps every tile on the same core,
//! but it runs at the pace of its slowest member: on a busy machine a member that
//! the OS preempts holds everyone at the barrier for a whole time slice. A team
//! loop keeps the stable mapping when the team is balanced and lets the others
//! take over the work of a member that is late.
//!
//! # Protocol
//! The members call the same sequence of team loops; each counts its loops, so
//! all agree on a loop's number `k` and on its pieces (grain-sized, as in
//! [`Pool::for_range`](crate::Pool::for_range)). Every member has a share word
//! packing `epoch: 32 | lo: 16 | hi: 16`.
//!
//! - **Start**: a member arriving at loop `k` tries to move every share from
//!   epoch `k − 1` (necessarily empty: loop `k − 1` is complete before anyone
//!   starts loop `k`) to `{k, static share}` by compare-and-swap; whoever comes
//!   first initialises a share, the others find it done. So the shares of a late
//!   member are set up, and can be stolen, before it arrives.
//! - **Run**: exactly the loop schedule of [`crate::schedule`] — the owner takes
//!   pieces from its share's front, a member whose share is empty steals the back
//!   half of the largest share — except that every CAS also checks the epoch, and
//!   a share of another epoch counts as empty. A straggler still scanning the
//!   shares of loop `k − 1` therefore never takes a piece of loop `k`.
//! - **Completion** is counted, not awaited by arrival: every member adds the
//!   number of pieces it ran to a cumulative `done` counter (release); loop `k`
//!   is complete when `done` reaches the total pieces of loops `1..=k` (acquire),
//!   which orders every write of the loop before every read after it. A member
//!   that arrives after its loop completed finds `done` already there and moves
//!   on; it never holds the others up.
//! - **Waiting** for completion spins briefly, then sleeps with the Dekker pattern
//!   of [`crate::sleep`] (`waiters` counter, re-check, park); the member whose
//!   addition completes a loop unparks the team if anyone sleeps.
//! - **Panics**: a member that panics poisons the team barrier; waiters check it
//!   and unwind, so a loop whose pieces will never all run cannot hang.
//!
//! # Misuse never hangs
//! Members that call different loops would wait forever for pieces nobody runs,
//! so these checks turn misuse into a panic ([`LoopError::Mismatch`]):
//! - **Members ahead or gone.** Each member publishes the number of the last
//!   loop it completed. A waiter reads those numbers and the barrier's count of
//!   members that returned from the body *before* re-reading `done`. A member
//!   that completed loop `E` saw `done` reach its target for `E`; if every
//!   member called the same loops, that target covers every loop up to `E`, and
//!   a member departs only after its last loop. So a member at or past the
//!   waiter's loop, or a departed one, with `done` short of the waiter's target
//!   means the members called different loops (`0..10` against `0..20`, an empty
//!   loop on one member only, a late member whose loop is longer). Completing a
//!   loop and departing both wake loop waiters.
//! - **Loop signatures.** The last [`SIGNATURE_SLOTS`] loops' `(epoch, pieces,
//!   hash of range and grain)` sit in a ring; a member arriving at a loop
//!   compares its own, so a late member is checked too unless it is more than
//!   that many loops behind.
//! - **Pieces out of range.** A member asked to run a piece beyond its own loop's
//!   count knows the shares were set up for a different loop.
//!
//! Calling `barrier()` or another team loop from inside a team loop's body is
//! refused by [`TeamCtx`](crate::TeamCtx) itself (a piece may run on any member,
//! so the calls could never pair up).
//!
//! Epochs wrap after 2³² loops; a member would have to sleep through that many
//! loops inside one scan to be confused.

use std::ops::Range;

use accel_core::partition::balanced_range;
use crossbeam_utils::CachePadded;

use crate::barrier::Barrier;
use crate::sleep::{Backoff, Sleep, SpinPolicy};
use crate::sync::{AtomicU32, AtomicU64, AtomicUsize, Ordering, dekker_fence, park, spin_loop};

/// The most pieces one team loop can hold (16-bit share bounds).
pub const MAX_TEAM_PIECES: usize = u16::MAX as usize;

#[inline]
fn pack(epoch: u32, lo: usize, hi: usize) -> u64 {
    debug_assert!(lo <= hi && hi <= MAX_TEAM_PIECES);
    (u64::from(epoch) << 32) | ((lo as u64) << 16) | hi as u64
}

#[inline]
fn unpack(share: u64) -> (u32, usize, usize) {
    (
        (share >> 32) as u32,
        ((share >> 16) & 0xFFFF) as usize,
        (share & 0xFFFF) as usize,
    )
}

/// The shared state of a team region's loops.
pub struct TeamLoops {
    shares: Box<[CachePadded<AtomicU64>]>,
    done: CachePadded<AtomicU64>,
    waiters: AtomicUsize,
    /// Per member: the epoch of the last loop it completed.
    completed: Box<[CachePadded<AtomicU32>]>,
    /// Ring of recent loops' `epoch: 32 | pieces: 16 | signature: 16`, by epoch.
    signatures: [AtomicU64; SIGNATURE_SLOTS],
}

/// Loops whose signatures a late member can still compare with its own.
pub const SIGNATURE_SLOTS: usize = 64;

/// One member's call of a team loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopCall {
    /// The loop's number for this member (1 for its first loop).
    pub epoch: u32,
    /// The number of pieces.
    pub pieces: usize,
    /// The cumulative piece count of this member's loops, this one included.
    pub target: u64,
    /// A hash of the loop's range and grain.
    pub signature: u16,
}

/// Why a team loop could not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopError {
    /// Another member panicked.
    Poisoned,
    /// The members called different loops (see the module docs).
    Mismatch(Mismatch),
}

/// How the members' loops were found to differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// Another member returned from the body while this one waited for a loop.
    Departed,
    /// Another member completed this loop (or a later one) while this one's
    /// count of pieces was still short: its loops had fewer pieces.
    Ahead,
    /// Another member's loop of the same number has `pieces` pieces, or the same
    /// count but another range or grain (`pieces` equal to this member's).
    Other {
        /// The other member's piece count.
        pieces: usize,
    },
    /// This member was handed piece `piece` of a loop it runs with fewer pieces.
    PieceOutOfRange {
        /// The piece index.
        piece: usize,
    },
}

impl TeamLoops {
    /// Loop state for a team of `members`.
    pub fn new(members: usize) -> Self {
        TeamLoops {
            shares: (0..members)
                .map(|_| CachePadded::new(AtomicU64::new(pack(0, 0, 0))))
                .collect(),
            done: CachePadded::new(AtomicU64::new(0)),
            waiters: AtomicUsize::new(0),
            completed: (0..members)
                .map(|_| CachePadded::new(AtomicU32::new(0)))
                .collect(),
            signatures: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Records or compares this loop's signature (module docs).
    fn check_signature(&self, call: LoopCall) -> Result<(), Mismatch> {
        let mine = (u64::from(call.epoch) << 32)
            | ((call.pieces.min(MAX_TEAM_PIECES) as u64) << 16)
            | u64::from(call.signature);
        let slot = &self.signatures[call.epoch as usize % SIGNATURE_SLOTS];
        let mut latest = slot.load(Ordering::Acquire);
        loop {
            let epoch = (latest >> 32) as u32;
            if epoch == call.epoch {
                return if latest == mine {
                    Ok(())
                } else {
                    Err(Mismatch::Other {
                        pieces: ((latest >> 16) & 0xFFFF) as usize,
                    })
                };
            }
            // The slot holds a later loop: this member is too far behind to compare.
            if (epoch.wrapping_sub(call.epoch) as i32) > 0 {
                return Ok(());
            }
            match slot.compare_exchange_weak(latest, mine, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(()),
                Err(now) => latest = now,
            }
        }
    }

    /// After a member departed (returned from the body): wakes the members that
    /// sleep in a loop wait, so a mismatched wait fails instead of hanging.
    pub fn wake_after_departure(&self, sleep: &Sleep) {
        self.wake_waiters(sleep);
    }

    /// After a `SeqCst` write the waiters re-check (`done`, a completion, a
    /// departure): unparks the members if any sleeps in a loop wait (the Dekker
    /// pattern of [`crate::sleep`]).
    fn wake_waiters(&self, sleep: &Sleep) {
        dekker_fence();
        if self.waiters.load(Ordering::SeqCst) != 0 {
            sleep.unpark_first(self.shares.len());
        }
    }

    /// Runs member `me`'s part of its loop `call`, then waits until the
    /// cumulative piece count reaches `call.target`. `run(lo, hi)` runs pieces
    /// `[lo, hi)`. On an error the caller unwinds and poisons the barrier (see
    /// `TeamCtx::for_range`).
    pub fn run(
        &self,
        me: usize,
        call: LoopCall,
        run: &mut dyn FnMut(usize, usize),
        barrier: &Barrier,
        sleep: &Sleep,
        policy: SpinPolicy,
    ) -> Result<(), LoopError> {
        let LoopCall {
            epoch,
            pieces,
            target,
            ..
        } = call;
        self.check_signature(call).map_err(LoopError::Mismatch)?;
        let members = self.shares.len();
        let previous = epoch.wrapping_sub(1);
        for (j, share) in self.shares.iter().enumerate() {
            let value = share.load(Ordering::Acquire);
            if unpack(value).0 == previous {
                let r = balanced_range(pieces, members, j);
                // Losing this race means another member initialised it.
                let _ = share.compare_exchange(
                    value,
                    pack(epoch, r.start, r.end),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
            }
        }
        let own = &self.shares[me];
        loop {
            let mut current = own.load(Ordering::Acquire);
            loop {
                let (e, lo, hi) = unpack(current);
                if e != epoch || lo >= hi || barrier.is_poisoned() {
                    break;
                }
                if hi > pieces {
                    let piece = lo.max(pieces);
                    return Err(LoopError::Mismatch(Mismatch::PieceOutOfRange { piece }));
                }
                match own.compare_exchange_weak(
                    current,
                    pack(epoch, lo + 1, hi),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        run(lo, lo + 1);
                        self.count_done(1, target, sleep);
                        current = own.load(Ordering::Acquire);
                    }
                    Err(now) => current = now,
                }
            }
            if barrier.is_poisoned() {
                return Err(LoopError::Poisoned);
            }
            match self.steal(me, epoch) {
                Some((lo, hi)) => own.store(pack(epoch, lo, hi), Ordering::Release),
                None => break,
            }
        }
        self.wait_done(me, epoch, target, barrier, policy)?;
        // Publish the completion (module docs) and wake waiters that may now
        // see a mismatch.
        self.completed[me].store(epoch, Ordering::SeqCst);
        self.wake_waiters(sleep);
        Ok(())
    }

    /// Steals the back half of the largest share of `epoch`.
    fn steal(&self, me: usize, epoch: u32) -> Option<(usize, usize)> {
        let n = self.shares.len();
        loop {
            let mut best: Option<(usize, u64, usize)> = None;
            for k in 1..n {
                let victim = (me + k) % n;
                let value = self.shares[victim].load(Ordering::Acquire);
                let (e, lo, hi) = unpack(value);
                if e == epoch && lo < hi && best.is_none_or(|(_, _, len)| hi - lo > len) {
                    best = Some((victim, value, hi - lo));
                }
            }
            let (victim, value, _) = best?;
            let (_, lo, hi) = unpack(value);
            let m = lo + (hi - lo) / 2;
            if self.shares[victim]
                .compare_exchange(
                    value,
                    pack(epoch, lo, m),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
            {
                return Some((m, hi));
            }
            spin_loop();
        }
    }

    /// Adds `n` finished pieces; the addition that completes the loop wakes the
    /// team if anyone sleeps.
    fn count_done(&self, n: u64, target: u64, sleep: &Sleep) {
        let before = self.done.fetch_add(n, Ordering::SeqCst);
        if before < target && before + n >= target {
            self.wake_waiters(sleep);
        }
    }

    fn wait_done(
        &self,
        me: usize,
        epoch: u32,
        target: u64,
        barrier: &Barrier,
        policy: SpinPolicy,
    ) -> Result<(), LoopError> {
        let mut backoff = Backoff::eager(policy);
        loop {
            if let Some(outcome) = self.check_done(me, epoch, target, barrier) {
                return outcome;
            }
            if backoff.pause() {
                continue;
            }
            self.waiters.fetch_add(1, Ordering::SeqCst);
            dekker_fence();
            let outcome = self.check_done(me, epoch, target, barrier);
            if outcome.is_none() {
                park();
            }
            self.waiters.fetch_sub(1, Ordering::SeqCst);
            if let Some(outcome) = outcome {
                return outcome;
            }
        }
    }

    /// The state of member `me`'s wait for `target` in loop `epoch`: `None`
    /// while it must go on. The departures and the other members' completed
    /// loops are read before `done` (module docs).
    fn check_done(
        &self,
        me: usize,
        epoch: u32,
        target: u64,
        barrier: &Barrier,
    ) -> Option<Result<(), LoopError>> {
        if barrier.is_poisoned() {
            return Some(Err(LoopError::Poisoned));
        }
        let departed = barrier.has_departures();
        let ahead = self.completed.iter().enumerate().any(|(j, completed)| {
            j != me && (completed.load(Ordering::SeqCst).wrapping_sub(epoch) as i32) >= 0
        });
        if self.done.load(Ordering::SeqCst) >= target {
            return Some(Ok(()));
        }
        if departed {
            return Some(Err(LoopError::Mismatch(Mismatch::Departed)));
        }
        ahead.then_some(Err(LoopError::Mismatch(Mismatch::Ahead)))
    }
}

/// The pieces of `range` for grain `grain` (coarsened to fit a share), as
/// `(pieces, grain)`.
pub fn team_pieces(range: &Range<usize>, grain: usize) -> (usize, usize) {
    let len = range.len();
    let grain = grain.max(1).max(len.div_ceil(MAX_TEAM_PIECES));
    (len.div_ceil(grain), grain)
}
