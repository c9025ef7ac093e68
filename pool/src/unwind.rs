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
//!
//! # Payloads that panic when dropped
//! A payload is any `Box<dyn Any + Send>`, and its `Drop` may itself panic. The
//! payloads the pool discards (every one after the first) are therefore dropped
//! by [`drop_payload`], inside `catch_unwind`: a worker that discards one never
//! dies, and a caller that discards one never unwinds out of a region it has not
//! closed (which would free the region's body while workers still run it). A
//! second payload raised by that drop is leaked, not dropped, for the same
//! reason. Only the payload re-raised to the caller is dropped by the caller's
//! own code, as with any panic.

use std::panic::{AssertUnwindSafe, catch_unwind};
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
        let discarded = if replace {
            slot.replace(payload)
        } else {
            Some(payload)
        };
        self.stored.store(true, Ordering::Release);
        drop(slot);
        if let Some(discarded) = discarded {
            drop_payload(discarded);
        }
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

impl Drop for PanicSlot {
    /// A payload still kept (its operation unwound with another panic) is
    /// discarded with [`drop_payload`].
    fn drop(&mut self) {
        let kept = self
            .payload
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(payload) = kept {
            drop_payload(payload);
        }
    }
}

/// Drops a panic payload that nobody will re-raise, without letting a panic in
/// its `Drop` escape (see the module docs): such a panic's own payload is
/// leaked.
pub(crate) fn drop_payload(payload: Panic) {
    if let Err(nested) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(nested);
    }
}
