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
//! Epochs wrap after 2³² loops; a member would have to sleep through that many
//! loops inside one scan to be confused.

use std::ops::Range;

use accel_core::partition::balanced_range;
use crossbeam_utils::CachePadded;

use crate::barrier::Barrier;
use crate::sleep::{Backoff, Sleep, SpinPolicy};
use crate::sync::{AtomicU64, AtomicUsize, Ordering, dekker_fence, park, spin_loop};

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
}

/// Why a team loop could not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopPoisoned;

impl TeamLoops {
    /// Loop state for a team of `members`.
    pub fn new(members: usize) -> Self {
        TeamLoops {
            shares: (0..members)
                .map(|_| CachePadded::new(AtomicU64::new(pack(0, 0, 0))))
                .collect(),
            done: CachePadded::new(AtomicU64::new(0)),
            waiters: AtomicUsize::new(0),
        }
    }

    /// Runs member `me`'s part of loop number `epoch` over `pieces` pieces, then
    /// waits until the cumulative piece count reaches `target` (this loop
    /// included). `run(lo, hi)` runs pieces `[lo, hi)`.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &self,
        me: usize,
        epoch: u32,
        pieces: usize,
        target: u64,
        run: &mut dyn FnMut(usize, usize),
        barrier: &Barrier,
        sleep: &Sleep,
        policy: SpinPolicy,
    ) -> Result<(), LoopPoisoned> {
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
                return Err(LoopPoisoned);
            }
            match self.steal(me, epoch) {
                Some((lo, hi)) => own.store(pack(epoch, lo, hi), Ordering::Release),
                None => break,
            }
        }
        self.wait_done(target, barrier, policy)
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
            dekker_fence();
            if self.waiters.load(Ordering::SeqCst) != 0 {
                sleep.unpark_all();
            }
        }
    }

    fn wait_done(
        &self,
        target: u64,
        barrier: &Barrier,
        policy: SpinPolicy,
    ) -> Result<(), LoopPoisoned> {
        let mut backoff = Backoff::eager(policy);
        loop {
            if self.done.load(Ordering::Acquire) >= target {
                return Ok(());
            }
            if barrier.is_poisoned() {
                return Err(LoopPoisoned);
            }
            if backoff.pause() {
                continue;
            }
            self.waiters.fetch_add(1, Ordering::SeqCst);
            dekker_fence();
            if self.done.load(Ordering::SeqCst) < target && !barrier.is_poisoned() {
                park();
            }
            self.waiters.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// The pieces of `range` for grain `grain` (coarsened to fit a share), as
/// `(pieces, grain)`.
pub fn team_pieces(range: &Range<usize>, grain: usize) -> (usize, usize) {
    let len = range.len();
    let grain = grain.max(1).max(len.div_ceil(MAX_TEAM_PIECES));
    (len.div_ceil(grain), grain)
}
