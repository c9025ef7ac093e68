//! The work-stealing deque of one pool thread: a bounded Chase–Lev deque.
//!
//! # Why not `crossbeam-deque`
//! A `join` that is not stolen pushes one job onto an empty deque and pops it
//! back. `crossbeam_deque::Worker::pop` pays a `SeqCst` fence *and* a
//! compare-and-swap for that last element — two locked instructions, ≈ 26 ns on
//! the development machine, more than the whole `join` budget. This deque pays one.
//!
//! # Layout
//! A ring of `CAPACITY` slots, a `front` index (thieves take from here) and a
//! `back` index (the owner pushes and pops here). Indices grow without bound
//! (wrapping `usize`); slot `i` lives at `i % CAPACITY`. A full deque refuses the
//! push and the caller runs the job inline, so the ring never grows and no memory
//! reclamation scheme is needed.
//!
//! # Protocol (Chase–Lev, with a cheaper last-element pop)
//! - **push** (owner): write the slot, then publish `back + 1` (release). A
//!   refused push (full, judged against a possibly stale, hence smaller, `front`)
//!   never overwrites a slot a thief might still claim.
//! - **pop** (owner), when its view says exactly one element is left: claim it
//!   with a compare-and-swap of `front` from `f` to `f + 1`, exactly like a thief,
//!   without touching `back`. Whoever wins the CAS owns the job; this is the only
//!   locked instruction of an unstolen `join`.
//! - **pop** with more elements: the classic sequence — store `back − 1`, `SeqCst`
//!   fence, reload `front`; if the popped index is still above `front` it is the
//!   owner's, if equal the owner races the thieves with a CAS on `front`, if below
//!   the thieves took everything; `back` is restored in the last two cases.
//! - **steal** (any other thread): load `front`, `SeqCst` fence, load `back`; if
//!   non-empty, read the slot (atomically, word by word) and claim it with a CAS
//!   on `front`. The read may be stale only if the slot was reused, which requires
//!   `front` to have moved past it, so then the CAS fails and the read is
//!   discarded.
//!
//! Every element is therefore taken exactly once: elements at index `front` only
//! through a CAS on `front`, elements above it only by the owner after its fence.
//! The loom model in `tests/loom.rs` checks this.
//!
//! # Not stealing tiny jobs
//! Thieves poll. A spinning thief that grabs the second half of every tiny `join`
//! turns a 10 ns push/pop into a cross-core round trip. So each push onto an empty
//! deque bumps a `stamp`, and [`JobDeque::stamp`] lets a thief see whether the
//! deque has stayed non-empty since its previous poll (same stamp): the pool only
//! steals work that has waited at least one poll interval (see `registry`). Work
//! that sits in a deque for long — the other half of a big `join`, the bottom of a
//! recursion, a batch of spawns — is stolen one poll interval later than it could
//! be; work that comes and goes within nanoseconds is left to its owner.

use crossbeam_utils::CachePadded;

use crate::job::JobRef;
use crate::sync::{AtomicPtr, AtomicUsize, Ordering, fence};

/// Slots per deque. Deeper `join` recursion or larger spawn bursts run inline.
pub const CAPACITY: usize = 1024;

/// The outcome of a steal attempt.
#[derive(Debug)]
pub enum Steal {
    /// Nothing to steal.
    Empty,
    /// Lost a race; the deque may still hold work.
    Retry,
    /// Got a job.
    Success(JobRef),
}

/// One ring slot: a [`JobRef`] stored as two atomic words.
struct Slot {
    data: AtomicPtr<()>,
    execute: AtomicPtr<()>,
}

/// The indices, on one cache line: the owner writes `back` and `stamp` on every
/// push and `front` on every last-element pop, and a polling thief reads all three,
/// so one line means at most one cache miss for the owner per poll.
struct Ends {
    front: AtomicUsize,
    back: AtomicUsize,
    stamp: AtomicUsize,
}

/// A bounded work-stealing deque (see the module docs).
pub struct JobDeque {
    ends: CachePadded<Ends>,
    slots: Box<[Slot]>,
    mask: usize,
}

impl Default for JobDeque {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl JobDeque {
    /// An empty deque of `capacity` slots (a power of two).
    pub fn with_capacity(capacity: usize) -> Self {
        assert!(
            capacity.is_power_of_two(),
            "deque capacity {capacity} is not a power of two"
        );
        JobDeque {
            ends: CachePadded::new(Ends {
                front: AtomicUsize::new(0),
                back: AtomicUsize::new(0),
                stamp: AtomicUsize::new(0),
            }),
            slots: (0..capacity)
                .map(|_| Slot {
                    data: AtomicPtr::new(std::ptr::null_mut()),
                    execute: AtomicPtr::new(std::ptr::null_mut()),
                })
                .collect(),
            mask: capacity - 1,
        }
    }

    #[inline]
    fn write(&self, index: usize, job: JobRef) {
        let (data, execute) = job.into_raw();
        let slot = &self.slots[index & self.mask];
        slot.data.store(data.cast_mut(), Ordering::Relaxed);
        slot.execute.store(execute, Ordering::Relaxed);
    }

    /// # Safety
    /// Slot `index` must hold a job written by [`push`](Self::push).
    #[inline]
    unsafe fn read(&self, index: usize) -> JobRef {
        let slot = &self.slots[index & self.mask];
        let data = slot.data.load(Ordering::Relaxed);
        let execute = slot.execute.load(Ordering::Relaxed);
        // SAFETY: both words were written together by `write` from one JobRef
        // (the caller guarantees the slot holds a pushed job; a torn or stale read
        // by a thief is discarded when its CAS fails, before it is used).
        unsafe { JobRef::from_raw(data, execute) }
    }

    /// Pushes a job; returns it back if the deque is full.
    ///
    /// # Safety
    /// Only the deque's owner may push and pop (one thread at a time).
    #[inline]
    pub unsafe fn push(&self, job: JobRef) -> Result<(), JobRef> {
        let back = self.ends.back.load(Ordering::Relaxed);
        // Acquire: a thief's read of a slot happens before the CAS that frees it,
        // which must happen before we reuse the slot.
        let front = self.ends.front.load(Ordering::Acquire);
        let len = back.wrapping_sub(front);
        if len >= self.slots.len() {
            return Err(job);
        }
        if len == 0 {
            self.ends.stamp.store(
                self.ends.stamp.load(Ordering::Relaxed).wrapping_add(1),
                Ordering::Relaxed,
            );
        }
        self.write(back, job);
        self.ends
            .back
            .store(back.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Pops the most recently pushed job, if no thief took it.
    ///
    /// # Safety
    /// Only the deque's owner may push and pop (one thread at a time).
    #[inline]
    pub unsafe fn pop(&self) -> Option<JobRef> {
        let back = self.ends.back.load(Ordering::Relaxed);
        let front = self.ends.front.load(Ordering::Relaxed);
        let len = back.wrapping_sub(front) as isize;
        if len <= 0 {
            return None;
        }
        if len == 1 {
            // The last element: claim it with the thieves' CAS (see module docs).
            return match self.ends.front.compare_exchange(
                front,
                front.wrapping_add(1),
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                // SAFETY: we pushed slot `front` and now own it.
                Ok(_) => Some(unsafe { self.read(front) }),
                Err(_) => None,
            };
        }
        let last = back.wrapping_sub(1);
        self.ends.back.store(last, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        let front = self.ends.front.load(Ordering::Relaxed);
        let remaining = last.wrapping_sub(front) as isize;
        if remaining > 0 {
            // SAFETY: `last` is above `front`: no thief can claim it.
            return Some(unsafe { self.read(last) });
        }
        let won = remaining == 0
            && self
                .ends
                .front
                .compare_exchange(
                    front,
                    front.wrapping_add(1),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                )
                .is_ok();
        self.ends.back.store(back, Ordering::Relaxed);
        // SAFETY: we pushed slot `last` and won the race for it.
        won.then(|| unsafe { self.read(last) })
    }

    /// Takes the oldest job (any thread).
    #[inline]
    pub fn steal(&self) -> Steal {
        let front = self.ends.front.load(Ordering::Acquire);
        fence(Ordering::SeqCst);
        let back = self.ends.back.load(Ordering::Acquire);
        if back.wrapping_sub(front) as isize <= 0 {
            return Steal::Empty;
        }
        // SAFETY: `front < back`, so slot `front` was pushed (the Acquire load of
        // `back` makes its contents visible); if it has been taken and reused
        // since, the CAS below fails and the value is dropped unused.
        let job = unsafe { self.read(front) };
        match self.ends.front.compare_exchange(
            front,
            front.wrapping_add(1),
            Ordering::SeqCst,
            Ordering::Relaxed,
        ) {
            Ok(_) => Steal::Success(job),
            Err(_) => Steal::Retry,
        }
    }

    /// Whether the deque looks empty (a hint for thieves and sleepers).
    #[inline]
    pub fn is_empty(&self) -> bool {
        let front = self.ends.front.load(Ordering::SeqCst);
        let back = self.ends.back.load(Ordering::SeqCst);
        back.wrapping_sub(front) as isize <= 0
    }

    /// Changes whenever the deque goes from empty to non-empty (see module docs).
    #[inline]
    pub fn stamp(&self) -> usize {
        self.ends.stamp.load(Ordering::Relaxed)
    }
}
