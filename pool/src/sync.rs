//! The synchronisation primitives the pool's protocols are written against.
//!
//! Normal builds use `std`'s atomics, mutex and thread parking. Under
//! `RUSTFLAGS="--cfg loom"` the same names resolve to [loom]'s model-checked
//! versions, so the sleep/wake protocol ([`crate::sleep`]), the latches
//! ([`crate::latch`]), the team barrier ([`crate::barrier`]) and the region slot
//! ([`crate::region`]) are compiled unchanged inside loom models
//! (`pool/tests/loom.rs`). Code outside those modules may use `std` directly: it is
//! never run inside a model.
//!
//! [loom]: https://docs.rs/loom

#[cfg(not(loom))]
pub(crate) use std::{
    hint::spin_loop,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence},
    },
    thread::{Thread, current as current_thread, park, yield_now},
};

#[cfg(loom)]
pub(crate) use loom::{
    hint::spin_loop,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence},
    },
    thread::{Thread, current as current_thread, park, yield_now},
};

/// Locks `mutex`, ignoring poisoning: every mutex in the pool guards plain data
/// (thread handles, panic payloads) that a panic cannot leave half-updated.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
