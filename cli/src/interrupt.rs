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
//! # Protocol
//! One lock, [`PENDING`], orders everything:
//! - a temporary file is created and registered under the lock
//!   ([`Registration::create`]), so there is no moment when it exists unregistered;
//! - it is renamed into place and unregistered under the lock
//!   ([`Registration::commit`]);
//! - the signal thread takes the lock, deletes what is registered and ends the
//!   process *while holding it*, so a rename can no longer start.
//!
//! So an interrupt either finds the file registered and deletes it (no output), or
//! comes after the rename (a complete output) — never a half-renamed state or a
//! spurious "cannot move the result into place".
//!
//! A signal that the process inherited as *ignored* (`nohup`, `&` in a
//! non-interactive shell) is left ignored: accel must not die on a hang-up that
//! its user asked it to survive. If the watcher thread cannot be started, no
//! handler is installed, so the default actions stay in force.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, mpsc};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use signal_hook::low_level::emulate_default_handler;

/// The temporary files to delete on an interrupt, by registration number.
static PENDING: Mutex<BTreeMap<u64, PathBuf>> = Mutex::new(BTreeMap::new());

/// Registration numbers.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// The registry, also after a panic elsewhere poisoned the lock (the map is
/// updated in single inserts and removes, so it is never half-changed).
fn pending() -> MutexGuard<'static, BTreeMap<u64, PathBuf>> {
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts the thread that cleans up and ends the process on an interrupt, for the
/// signals not inherited as ignored. Failing to do so is not an error worth
/// stopping the run for: the only loss is the cleanup.
pub fn install() {
    let watched: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
        .into_iter()
        .filter(|&s| !inherited_as_ignored(s))
        .collect();
    if watched.is_empty() {
        return;
    }
    // The handlers are registered by the thread itself, so that they exist only
    // if there is a thread to act on them; `install` waits until they are.
    let (ready, registered) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("accel-interrupt".into())
        .spawn(move || {
            let Ok(mut signals) = Signals::new(&watched) else {
                let _ = ready.send(());
                return;
            };
            let _ = ready.send(());
            if let Some(signal) = signals.forever().next() {
                let files = pending();
                for path in files.values() {
                    let _ = std::fs::remove_file(path);
                }
                // Still holding the lock: no rename can start from here on.
                let _ = emulate_default_handler(signal);
                // Only reached if the emulation failed.
                std::process::exit(128 + signal);
            }
        });
    if spawned.is_ok() {
        let _ = registered.recv();
    }
}

/// Whether `signal` is set to be ignored, as inherited from the parent.
fn inherited_as_ignored(signal: i32) -> bool {
    // SAFETY: `sigaction` with a null new action only reads the current one into
    // `old`, a zeroed (valid) `sigaction` owned by this frame.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

/// A temporary file registered for deletion on an interrupt; dropping it
/// unregisters the file (whose own destructor deletes it).
#[derive(Debug)]
pub struct Registration(u64);

impl Registration {
    /// Creates a temporary file with `create` and registers `path_of` it, under
    /// the registry's lock (see the module's protocol).
    pub fn create<F, E>(
        create: impl FnOnce() -> Result<F, E>,
        path_of: impl FnOnce(&F) -> PathBuf,
    ) -> Result<(F, Self), E> {
        let mut files = pending();
        let file = create()?;
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        files.insert(id, path_of(&file));
        Ok((file, Registration(id)))
    }

    /// Runs `rename` (which moves the temporary file into place) and unregisters
    /// the file, under the registry's lock (see the module's protocol).
    pub fn commit<T>(self, rename: impl FnOnce() -> T) -> T {
        let mut files = pending();
        let result = rename();
        files.remove(&self.0);
        result
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        pending().remove(&self.0);
    }
}
