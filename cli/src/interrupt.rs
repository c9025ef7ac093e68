//! Interrupts (Ctrl-C, `kill`, a closed terminal) leave no temporary output behind.
//!
//! A pending output ([`crate::output::PendingOutput`]) is a hidden temporary file
//! that its destructor deletes, but a signal's default action ends the process
//! without running destructors, so a blur stopped with Ctrl-C used to leave an
//! empty `.accel-*.tmp` next to its output. [`install`] starts a thread that waits
//! for `SIGINT`, `SIGTERM` and `SIGHUP` (through signal-hook, so no code of ours
//! runs inside a signal handler); when one arrives it deletes every registered
//! temporary file and then ends the process as the signal's default action would,
//! so the shell still sees "killed by SIGINT" (status 130) and so on.
//!
//! The race with a finishing run is harmless: a temporary file that was already
//! renamed into place is no longer at its temporary path, so deleting that path
//! fails and the finished output stays.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use signal_hook::low_level::emulate_default_handler;

/// The temporary files to delete on an interrupt, by registration number.
static PENDING: Mutex<BTreeMap<u64, PathBuf>> = Mutex::new(BTreeMap::new());

/// Registration numbers.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Starts the thread that cleans up and ends the process on an interrupt. If the
/// handlers cannot be installed the process keeps the default actions: the only
/// loss is the cleanup, so that is not an error worth stopping the run for.
pub fn install() {
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("accel-interrupt".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                remove_pending();
                // The default action of all three ends the process; the
                // fallback only runs if emulation failed.
                let _ = emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        });
    drop(spawned);
}

/// Deletes every registered temporary file.
fn remove_pending() {
    let pending = PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for path in pending.values() {
        let _ = std::fs::remove_file(path);
    }
}

/// Keeps `path` registered for deletion on an interrupt until dropped.
#[derive(Debug)]
pub struct Registration(u64);

impl Registration {
    /// Registers `path` (a temporary file this process owns) for deletion on an
    /// interrupt.
    pub fn new(path: PathBuf) -> Self {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        PENDING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(id, path);
        Registration(id)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        PENDING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.0);
    }
}
