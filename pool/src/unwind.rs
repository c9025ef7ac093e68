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

use crate::job::Panic;

/// The payload of a team member unwinding because the barrier was poisoned.
pub(crate) struct BarrierPoisoned;

/// The first (most informative) panic of a parallel operation.
pub(crate) struct PanicSlot(Mutex<Option<Panic>>);

impl PanicSlot {
    /// An empty slot.
    pub(crate) fn new() -> Self {
        PanicSlot(Mutex::new(None))
    }

    /// Keeps `payload` unless a more informative one is already there.
    pub(crate) fn store(&self, payload: Panic) {
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let replace = match &*slot {
            None => true,
            Some(kept) => kept.is::<BarrierPoisoned>() && !payload.is::<BarrierPoisoned>(),
        };
        if replace {
            *slot = Some(payload);
        }
    }

    /// The kept payload, if any.
    pub(crate) fn take(&self) -> Option<Panic> {
        self.0
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
