//! Pinning workers to CPUs, and the status a pool reports about it.
//!
//! The allowed CPU set is read once ([`allowed_cpus`](crate::allowed_cpus)).
//! Worker `i` (`1 ≤ i < n`) pins itself to the set's `i`-th CPU when it starts;
//! the set's first CPU is left to worker 0, the calling thread. The pool pins
//! the caller there only for the length of a team region ([`CallerPin`]), where a
//! member sharing a CPU with another would serialise the whole team, and restores
//! the caller's own affinity mask afterwards: the thread belongs to the caller. When the pool has more threads than the
//! set has CPUs, nobody is pinned (several threads per CPU would only fight); when
//! a pin call fails, that worker runs unpinned. Nothing is printed: the outcome is
//! a [`PinningStatus`] that callers can query and display.

use std::fmt;

/// How a pool's workers are placed on CPUs.
///
/// ```
/// use accel_pool::{PinningStatus, Pool, PoolConfig};
/// let pool = Pool::new(PoolConfig::new().threads(1))?;
/// assert_eq!(pool.pinning(), PinningStatus::SingleThread);
/// assert_eq!(pool.pinning().to_string(), "single thread (the caller), nothing to pin");
/// # Ok::<(), accel_pool::PoolError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinningStatus {
    /// Worker `i ≥ 1` runs on `cpus[i]`; `cpus[0]` is left to the calling thread,
    /// which runs there during team regions.
    Pinned {
        /// CPU of each worker index.
        cpus: Vec<usize>,
    },
    /// One thread: the caller runs everything, nothing to pin.
    SingleThread,
    /// Pinning was turned off in the configuration.
    Disabled,
    /// More threads than allowed CPUs: all unpinned.
    Oversubscribed {
        /// Threads in the pool.
        threads: usize,
        /// Allowed CPUs.
        cpus: usize,
    },
    /// The allowed CPU set could not be read: all unpinned.
    CpuSetUnavailable,
    /// Some pin calls failed: those workers run unpinned, the others are pinned.
    Failed {
        /// CPU of each worker index, `None` where pinning failed (and for worker 0).
        cpus: Vec<Option<usize>>,
    },
}

impl PinningStatus {
    /// Whether every worker thread is pinned.
    ///
    /// ```
    /// assert!(accel_pool::PinningStatus::Pinned { cpus: vec![0, 1] }.is_pinned());
    /// assert!(!accel_pool::PinningStatus::Disabled.is_pinned());
    /// ```
    pub fn is_pinned(&self) -> bool {
        matches!(self, PinningStatus::Pinned { .. })
    }

    /// The CPU the calling thread (worker 0) is pinned to during team regions:
    /// the first CPU of a fully pinned pool, `None` otherwise.
    ///
    /// ```
    /// use accel_pool::PinningStatus;
    /// assert_eq!(PinningStatus::Pinned { cpus: vec![4, 5] }.caller_cpu(), Some(4));
    /// assert_eq!(PinningStatus::Disabled.caller_cpu(), None);
    /// ```
    pub fn caller_cpu(&self) -> Option<usize> {
        match self {
            PinningStatus::Pinned { cpus } => cpus.first().copied(),
            _ => None,
        }
    }
}

/// The calling thread pinned to one CPU until this is dropped, when its previous
/// affinity mask comes back (also when a team region unwinds). Costs three
/// system calls, which only team regions — long, iterated work — pay.
/// Where the mask cannot be read or set (or off Linux) it does nothing.
pub(crate) struct CallerPin {
    #[cfg(target_os = "linux")]
    saved: Option<libc::cpu_set_t>,
    /// The thread's [`pinned_by_pool`] flag before this pin.
    was_pinned_by_pool: bool,
}

#[cfg(not(loom))]
thread_local! {
    /// Whether a pool pinned this thread to one CPU (a pinned worker, or a team's
    /// member 0 during the region).
    static PINNED_BY_POOL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(loom)]
loom::thread_local! {
    static PINNED_BY_POOL: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

/// Whether a pool pinned the calling thread to one CPU. A pool built there gives
/// its unpinned workers the process's CPUs instead of that one-CPU mask; any
/// other thread's mask (say, one the user narrowed with `taskset` or for a NUMA
/// node) is inherited as the OS does.
pub(crate) fn pinned_by_pool() -> bool {
    PINNED_BY_POOL.with(std::cell::Cell::get)
}

/// Records that a pool pinned the calling thread (a worker, at start).
pub(crate) fn mark_pinned_by_pool() {
    PINNED_BY_POOL.with(|flag| flag.set(true));
}

impl CallerPin {
    /// Pins the calling thread to `cpu`, remembering its current mask.
    pub(crate) fn to(cpu: usize) -> CallerPin {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: an all-zero `cpu_set_t` is a valid empty set (it is a
            // plain bit array).
            let mut saved: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            let size = std::mem::size_of::<libc::cpu_set_t>();
            // SAFETY: `saved` is a writable `cpu_set_t` of `size` bytes; pid 0
            // is the calling thread.
            let got = unsafe { libc::sched_getaffinity(0, size, &mut saved) } == 0;
            let pinned = got && cpu < libc::CPU_SETSIZE as usize && {
                // SAFETY: as above, an all-zero set is valid.
                let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
                // SAFETY: `cpu < CPU_SETSIZE`, the set's capacity.
                unsafe { libc::CPU_SET(cpu, &mut one) };
                // SAFETY: `one` is a valid set of `size` bytes.
                unsafe { libc::sched_setaffinity(0, size, &one) == 0 }
            };
            let was_pinned_by_pool = pinned_by_pool();
            if pinned {
                mark_pinned_by_pool();
            }
            CallerPin {
                saved: pinned.then_some(saved),
                was_pinned_by_pool,
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = cpu;
            CallerPin {
                was_pinned_by_pool: pinned_by_pool(),
            }
        }
    }
}

impl Drop for CallerPin {
    fn drop(&mut self) {
        let was = self.was_pinned_by_pool;
        PINNED_BY_POOL.with(|flag| flag.set(was));
        #[cfg(target_os = "linux")]
        if let Some(saved) = &self.saved {
            let size = std::mem::size_of::<libc::cpu_set_t>();
            // SAFETY: `saved` is the mask `sched_getaffinity` filled in; a
            // failure leaves the thread pinned, which is harmless.
            unsafe { libc::sched_setaffinity(0, size, saved) };
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, cpus: impl Iterator<Item = String>) -> fmt::Result {
    f.write_str("[")?;
    for (i, cpu) in cpus.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(&cpu)?;
    }
    f.write_str("]")
}

impl fmt::Display for PinningStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinningStatus::Pinned { cpus } => {
                write!(f, "pinned to {} CPUs ", cpus.len())?;
                write_list(f, cpus.iter().map(usize::to_string))?;
                f.write_str(" (worker 0 is the calling thread, pinned only during team regions)")
            }
            PinningStatus::SingleThread => {
                f.write_str("single thread (the caller), nothing to pin")
            }
            PinningStatus::Disabled => f.write_str("unpinned (pinning disabled)"),
            PinningStatus::Oversubscribed { threads, cpus } => {
                write!(f, "unpinned ({threads} threads on {cpus} allowed CPUs)")
            }
            PinningStatus::CpuSetUnavailable => {
                f.write_str("unpinned (the allowed CPU set could not be read)")
            }
            PinningStatus::Failed { cpus } => {
                let failed = cpus.iter().skip(1).filter(|c| c.is_none()).count();
                write!(f, "partly pinned ({failed} workers could not be pinned) ")?;
                write_list(
                    f,
                    cpus.iter()
                        .map(|c| c.map_or_else(|| "-".to_owned(), |c| c.to_string())),
                )
            }
        }
    }
}

/// Where each worker should go, before any thread starts.
pub(crate) enum PinPlan {
    /// Worker `i` pins itself to `cpus[i]`.
    Pin(Vec<usize>),
    /// Nobody pins; the status says why.
    Unpinned(PinningStatus),
}

impl PinPlan {
    /// The plan for `threads` threads given the configuration and the CPU set.
    pub(crate) fn new(threads: usize, pin: bool, allowed: &[usize]) -> Self {
        if threads == 1 {
            PinPlan::Unpinned(PinningStatus::SingleThread)
        } else if !pin {
            PinPlan::Unpinned(PinningStatus::Disabled)
        } else if allowed.is_empty() {
            PinPlan::Unpinned(PinningStatus::CpuSetUnavailable)
        } else if threads > allowed.len() {
            PinPlan::Unpinned(PinningStatus::Oversubscribed {
                threads,
                cpus: allowed.len(),
            })
        } else {
            PinPlan::Pin(allowed[..threads].to_vec())
        }
    }

    /// The CPU worker `index` should pin itself to.
    pub(crate) fn cpu_for(&self, index: usize) -> Option<usize> {
        match self {
            PinPlan::Pin(cpus) if index > 0 => cpus.get(index).copied(),
            _ => None,
        }
    }

    /// The status once every worker reported whether its pin call succeeded.
    pub(crate) fn status(self, pinned_ok: &[bool]) -> PinningStatus {
        match self {
            PinPlan::Unpinned(status) => status,
            PinPlan::Pin(cpus) => {
                if pinned_ok.iter().skip(1).all(|&ok| ok) {
                    PinningStatus::Pinned { cpus }
                } else {
                    PinningStatus::Failed {
                        cpus: cpus
                            .iter()
                            .zip(pinned_ok)
                            .enumerate()
                            .map(|(i, (&cpu, &ok))| (i > 0 && ok).then_some(cpu))
                            .collect(),
                    }
                }
            }
        }
    }
}

/// Lets the calling thread run on every CPU in `cpus` (the process's allowed
/// set): an unpinned worker of a pool built on a thread a pool had pinned. Does nothing if `cpus` is empty, if the mask cannot be set, or off
/// Linux.
pub(crate) fn allow_cpus(cpus: &[usize]) {
    #[cfg(target_os = "linux")]
    {
        if cpus.is_empty() {
            return;
        }
        // SAFETY: an all-zero `cpu_set_t` is a valid empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        for &cpu in cpus.iter().filter(|&&cpu| cpu < libc::CPU_SETSIZE as usize) {
            // SAFETY: `cpu < CPU_SETSIZE`, the set's capacity.
            unsafe { libc::CPU_SET(cpu, &mut set) };
        }
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: `set` is a valid set of `size` bytes; pid 0 is the calling
        // thread. A failure leaves the inherited mask, which is harmless.
        unsafe { libc::sched_setaffinity(0, size, &set) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpus;
}
