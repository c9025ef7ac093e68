//! The synchronisation primitives the pool's protocols are written against.
//!
//! Normal builds use `std`'s atomics, mutex and thread parking. Under
//! `RUSTFLAGS="--cfg loom"` the same names resolve to [loom]'s model-checked
//! versions, so the sleep/wake protocol ([`crate::sleep`]), the latches
//! ([`crate::latch`]), the team barrier ([`crate::barrier`]) and the region slot
//! ([`crate::region`]) are compiled unchanged inside loom models
//! (`pool/tests/loom.rs`), and so are the pool's thread start-up and thread-local
//! context, so the models can drive the real [`Pool`](crate::Pool). (loom runs its
//! threads as coroutines on one OS thread: thread-locals must be loom's too.)
//! The remaining `std` mutexes (panic slots) are never held across a loom
//! scheduling point.
//!
//! [loom]: https://docs.rs/loom

#[cfg(not(loom))]
pub(crate) use std::{
    hint::spin_loop,
    sync::{
        Condvar, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering},
    },
    thread::{Builder, JoinHandle, Thread, current as current_thread, park, yield_now},
};

#[cfg(loom)]
pub(crate) use loom::{
    hint::spin_loop,
    sync::{
        Condvar, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence},
    },
    thread::{Builder, JoinHandle, Thread, current as current_thread, park, yield_now},
};

/// The ordering point of a Dekker pair (see [`crate::sleep`]): each side makes
/// its write with a `SeqCst` read-modify-write, calls this, then reads the other
/// side's variable with a `SeqCst` load.
///
/// In the C++/Rust memory model, `SeqCst` operations already form one total order,
/// so the pair needs nothing more (and on x86 the read-modify-write is a full
/// barrier; on AArch64 `stlxr`/`ldar` are not reordered), so in normal builds this
/// is empty. loom models `SeqCst` *accesses* only as acquire/release (its README:
/// "Unsupported features"), which would report the pattern as a lost wake-up; it
/// does model `fence(SeqCst)`, so under loom this is that fence, making the same
/// ordering explicit.
#[inline(always)]
pub(crate) fn dekker_fence() {
    #[cfg(loom)]
    fence(Ordering::SeqCst);
}

/// Locks `mutex`, ignoring poisoning: every mutex in the pool guards plain data
/// (thread handles, panic payloads) that a panic cannot leave half-updated.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
