//! Latches: how a waiting thread learns that the work it waits for is done.
//!
//! A latch belongs to one *owner* (a pool thread index) that waits on it with
//! [`Sleep::wait_until`], helping with other work meanwhile and sleeping when there
//! is none. Whoever completes the work sets the latch with a `SeqCst`
//! read-modify-write and then calls [`Sleep::wake_specific`] for the owner: the
//! event side of the wake protocol described in [`crate::sleep`].
//!
//! Latches live on the owner's stack. The moment a latch is set, the owner may
//! return and free it, so the setting functions take raw pointers, read everything
//! they need (the owner index) *before* the final write, and touch only the pool's
//! [`Sleep`] (which outlives every job) after it.

use crate::sleep::Sleep;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};

/// A one-shot latch: set once by the thread that ran a job.
pub struct Latch {
    set: AtomicBool,
    owner: usize,
}

impl Latch {
    /// An unset latch that thread `owner` will wait on.
    pub fn new(owner: usize) -> Self {
        Latch {
            set: AtomicBool::new(false),
            owner,
        }
    }

    /// Whether the latch is set; once true, everything written before the set is
    /// visible.
    #[inline]
    pub fn probe(&self) -> bool {
        self.set.load(Ordering::SeqCst)
    }

    /// Sets the latch and wakes its owner if it sleeps.
    ///
    /// # Safety
    /// `this` must point to a live latch; it may be freed as soon as the latch is
    /// set, so the caller must not use it after this call.
    pub unsafe fn set(this: *const Latch, sleep: &Sleep) {
        // SAFETY: the caller guarantees `this` is live until the swap below.
        let owner = unsafe { (*this).owner };
        // SAFETY: as above; after this swap `*this` is never touched again.
        unsafe { (*this).set.swap(true, Ordering::SeqCst) };
        sleep.wake_specific(owner);
    }
}

/// A counting latch: done when the count reaches zero (a scope's pending jobs).
pub struct CountLatch {
    count: AtomicUsize,
    owner: usize,
}

impl CountLatch {
    /// A latch with `count` outstanding parts, waited on by thread `owner`.
    pub fn new(count: usize, owner: usize) -> Self {
        CountLatch {
            count: AtomicUsize::new(count),
            owner,
        }
    }

    /// Adds one outstanding part (before handing the part to another thread).
    #[inline]
    pub fn increment(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether every part is done.
    #[inline]
    pub fn probe(&self) -> bool {
        self.count.load(Ordering::SeqCst) == 0
    }

    /// Marks one part done; the last one wakes the owner if it sleeps.
    ///
    /// # Safety
    /// `this` must point to a live latch with a non-zero count; after the count
    /// reaches zero it may be freed, so the caller must not use it after this call.
    pub unsafe fn decrement(this: *const CountLatch, sleep: &Sleep) {
        // SAFETY: the caller guarantees `this` is live until the decrement below.
        let owner = unsafe { (*this).owner };
        // SAFETY: as above; after this decrement `*this` is never touched again.
        let before = unsafe { (*this).count.fetch_sub(1, Ordering::SeqCst) };
        if before == 1 {
            sleep.wake_specific(owner);
        }
    }
}
