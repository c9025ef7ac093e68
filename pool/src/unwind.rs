//! Carrying panics from pool threads back to the caller.
//!
//! Every job, loop share and team body runs under `catch_unwind`; the first
//! payload is kept in a [`PanicSlot`] and re-raised on the calling thread with
//! `resume_unwind` once the parallel operation has wound down, so the panic
//! reaches the caller exactly as if the code had run serially, and the pool's
//! threads never unwind.
//!
//! A team member that fails at a barrier because *another* member panicked
//! unwinds with the private [`BarrierPoisoned`] payload; the slot prefers any other
//! payload, so the caller sees the original panic.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::job::Panic;

/// The payload of a team member unwinding because the barrier was poisoned.
pub(crate) struct BarrierPoisoned;

/// The first (most informative) panic of a parallel operation.
///
/// The flag lets the common, panic-free path check the slot with one load
/// instead of a lock and an unlock.
pub(crate) struct PanicSlot {
    payload: Mutex<Option<Panic>>,
    stored: AtomicBool,
}

impl PanicSlot {
    /// An empty slot.
    pub(crate) fn new() -> Self {
        PanicSlot {
            payload: Mutex::new(None),
            stored: AtomicBool::new(false),
        }
    }

    /// Keeps `payload` unless a more informative one is already there.
    pub(crate) fn store(&self, payload: Panic) {
        let mut slot = self
            .payload
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let replace = match &*slot {
            None => true,
            Some(kept) => kept.is::<BarrierPoisoned>() && !payload.is::<BarrierPoisoned>(),
        };
        if replace {
            *slot = Some(payload);
        }
        self.stored.store(true, Ordering::Release);
    }

    /// The kept payload, if any. Call it once the operation has wound down (its
    /// completion orders every `store` before this).
    pub(crate) fn take(&self) -> Option<Panic> {
        if !self.stored.load(Ordering::Acquire) {
            return None;
        }
        self.payload
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// Re-raises the kept payload, if any.
    pub(crate) fn resume(&self) {
        if let Some(payload) = self.take() {
            std::panic::resume_unwind(payload);
        }
    }
}
