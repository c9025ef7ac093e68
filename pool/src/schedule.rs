//! Loop scheduling: static shares first, then stealing halves of what is left.
//!
//! A parallel loop is cut into *units* — grain-sized pieces of a range, or the
//! items of a weighted loop — numbered `0..units`. Each worker `w` owns a *share*:
//! one `AtomicU64` packing a half-open unit range `[lo, hi)` (low and high 32 bits).
//! Before the region opens, the caller writes every worker's static share
//! ([`balanced_range`] of the units, or the weighted split); then:
//!
//! - the **owner** takes units from the *front* of its share: a compare-and-swap
//!   `[lo, hi) → [lo', hi)` where `lo'` is one piece, or the smallest run of items
//!   worth a grain of cost; it runs `[lo, lo')`;
//! - a worker whose share is empty becomes a **thief**: it reads every share,
//!   picks the one with the most remaining cost and splits it, a compare-and-swap
//!   `[lo, hi) → [lo, m)` that takes the back half `[m, hi)` (the whole share if
//!   one unit is left); it stores the stolen range as its own share (which is
//!   empty, so nobody else can modify it concurrently: every CAS on a share expects
//!   a non-empty value) and continues as its owner, so it can be stolen from in
//!   turn;
//! - a worker that finds every share empty is done.
//!
//! Every unit leaves a share exactly once — by the owner's front CAS or inside a
//! thief's back CAS — and is run by whoever removed it, so every unit runs exactly
//! once. A stale CAS cannot misbehave: a share value fully describes its unclaimed
//! units, so if the value still matches, the split computed from it is valid.
//! Units in transit (stolen, not yet stored) are invisible to other thieves, which
//! may therefore finish early; the region only completes when every worker that
//! entered has left, which includes the thief carrying them.
//!
//! Shares hold 32-bit bounds, so a loop has at most `u32::MAX` units (larger
//! loops coarsen their pieces or fall back to `join` splitting).
//!
//! [`balanced_range`]: accel_core::partition::balanced_range

use crossbeam_utils::CachePadded;
use std::ops::Range;

use crate::sync::{AtomicBool, AtomicU64, Ordering, spin_loop};

/// The most units a share can hold.
pub const MAX_UNITS: usize = u32::MAX as usize;

#[inline]
fn pack(lo: usize, hi: usize) -> u64 {
    debug_assert!(lo <= hi && hi <= MAX_UNITS);
    lo as u64 | ((hi as u64) << 32)
}

#[inline]
fn unpack(share: u64) -> (usize, usize) {
    ((share & 0xFFFF_FFFF) as usize, (share >> 32) as usize)
}

/// How units are taken and split.
pub trait Split: Sync {
    /// The end of the run the owner takes from the front of `[lo, hi)`
    /// (`lo < end ≤ hi`).
    fn take(&self, lo: usize, hi: usize) -> usize;
    /// Where a thief cuts `[lo, hi)`: it takes `[m, hi)` (`lo ≤ m < hi`).
    fn cut(&self, lo: usize, hi: usize) -> usize;
    /// The remaining cost of `[lo, hi)` (victim choice).
    fn cost(&self, lo: usize, hi: usize) -> u64;
    /// Whether `[lo, hi)` is too small to split further (nested `join` splitting).
    fn is_leaf(&self, lo: usize, hi: usize) -> bool;
}

/// Units of equal cost (grain-sized pieces of a range): one at a time, halves.
pub struct Pieces;

impl Split for Pieces {
    #[inline]
    fn take(&self, lo: usize, _hi: usize) -> usize {
        lo + 1
    }
    #[inline]
    fn cut(&self, lo: usize, hi: usize) -> usize {
        lo + (hi - lo) / 2
    }
    #[inline]
    fn cost(&self, lo: usize, hi: usize) -> u64 {
        (hi - lo) as u64
    }
    #[inline]
    fn is_leaf(&self, lo: usize, hi: usize) -> bool {
        hi - lo <= 1
    }
}

/// Items of given costs: prefix sums drive takes (one grain of cost) and cuts
/// (half the remaining cost).
pub struct Weighted<'a> {
    /// `prefix[i]` = total cost of items `0..i` (`items + 1` entries).
    pub prefix: &'a [u64],
    /// The cost an owner takes at once, and below which nothing is split.
    pub grain: u64,
}

impl Weighted<'_> {
    /// The first index in `lo + 1..=hi` whose prefix reaches `target`, or `hi`.
    #[inline]
    fn first_reaching(&self, lo: usize, hi: usize, target: u64) -> usize {
        lo + 1 + self.prefix[lo + 1..=hi].partition_point(|&p| p < target)
    }
}

impl Split for Weighted<'_> {
    #[inline]
    fn take(&self, lo: usize, hi: usize) -> usize {
        let target = self.prefix[lo].saturating_add(self.grain);
        self.first_reaching(lo, hi, target).min(hi)
    }
    #[inline]
    fn cut(&self, lo: usize, hi: usize) -> usize {
        if hi - lo <= 1 {
            return lo;
        }
        let half = self.prefix[lo] + (self.prefix[hi] - self.prefix[lo]) / 2;
        self.first_reaching(lo, hi, half).clamp(lo + 1, hi - 1)
    }
    #[inline]
    fn cost(&self, lo: usize, hi: usize) -> u64 {
        self.prefix[hi] - self.prefix[lo]
    }
    #[inline]
    fn is_leaf(&self, lo: usize, hi: usize) -> bool {
        hi - lo <= 1 || self.cost(lo, hi) <= self.grain
    }
}

/// Total cost of `costs`, saturating (a saturated total only coarsens the split).
pub fn total_cost(costs: &[u64]) -> u64 {
    costs.iter().fold(0u64, |acc, &c| acc.saturating_add(c))
}

/// Prefix sums of `costs` (`costs.len() + 1` entries, saturating).
// A private equivalent of `accel_core::partition::prefix_sums`, which is not on
// main yet; switch once it lands.
pub fn prefix_sums(costs: &[u64]) -> Vec<u64> {
    let mut prefix = Vec::with_capacity(costs.len() + 1);
    let mut acc = 0u64;
    prefix.push(0);
    for &c in costs {
        acc = acc.saturating_add(c);
        prefix.push(acc);
    }
    prefix
}

/// Boundary `i` of the weighted split of `prefix` into `parts`: the smallest `t`
/// with `prefix[t] · parts ≥ i · total` (ends pinned to 0 and `items`); items are
/// split by count when the total is 0.
// The same rule as `accel_core::partition::weighted_boundary` (in progress on
// core); switch once it lands.
pub fn weighted_boundary(prefix: &[u64], parts: usize, i: usize) -> usize {
    let items = prefix.len() - 1;
    let total = prefix[items];
    if i == 0 {
        return 0;
    }
    if i >= parts {
        return items;
    }
    if total == 0 {
        return accel_core::partition::balanced_range(items, parts, i).start;
    }
    let goal = i as u128 * u128::from(total);
    prefix.partition_point(|&p| u128::from(p) * (parts as u128) < goal)
}

/// Writes the static shares: worker `w` gets `share(w)`.
pub fn init_shares(shares: &[CachePadded<AtomicU64>], share: impl Fn(usize) -> Range<usize>) {
    for (w, slot) in shares.iter().enumerate() {
        let r = share(w);
        slot.store(pack(r.start, r.end), Ordering::Relaxed);
    }
}

/// Runs worker `me`'s part of a loop: its share from the front, then stolen
/// halves, until every share is empty or `cancelled` is set. `run(lo, hi)` runs
/// units `[lo, hi)`.
pub fn run_shares<S: Split>(
    shares: &[CachePadded<AtomicU64>],
    me: usize,
    split: &S,
    cancelled: &AtomicBool,
    mut run: impl FnMut(usize, usize),
) {
    let own = &shares[me];
    loop {
        let mut current = own.load(Ordering::Acquire);
        loop {
            let (lo, hi) = unpack(current);
            if lo >= hi || cancelled.load(Ordering::Relaxed) {
                break;
            }
            let end = split.take(lo, hi);
            match own.compare_exchange_weak(
                current,
                pack(end, hi),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    run(lo, end);
                    current = own.load(Ordering::Acquire);
                }
                Err(now) => current = now,
            }
        }
        if cancelled.load(Ordering::Relaxed) {
            return;
        }
        match steal(shares, me, split) {
            Some((lo, hi)) => own.store(pack(lo, hi), Ordering::Release),
            None => return,
        }
    }
}

/// Steals the back half of the costliest other share; `None` when all are empty.
fn steal<S: Split>(
    shares: &[CachePadded<AtomicU64>],
    me: usize,
    split: &S,
) -> Option<(usize, usize)> {
    let n = shares.len();
    loop {
        let mut best: Option<(usize, u64, u64)> = None;
        for k in 1..n {
            let victim = (me + k) % n;
            let value = shares[victim].load(Ordering::Acquire);
            let (lo, hi) = unpack(value);
            if lo < hi {
                let cost = split.cost(lo, hi);
                if best.is_none_or(|(_, _, c)| cost > c) {
                    best = Some((victim, value, cost));
                }
            }
        }
        let (victim, value, _) = best?;
        let (lo, hi) = unpack(value);
        let m = split.cut(lo, hi);
        if shares[victim]
            .compare_exchange(value, pack(lo, m), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            return Some((m, hi));
        }
        spin_loop();
    }
}
