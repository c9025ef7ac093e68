//! Pool configuration: thread count, pinning, spin window, and where the defaults
//! come from.
//!
//! The default thread count is the number of CPUs in this process's affinity mask,
//! never more than [`std::thread::available_parallelism`] (which also accounts
//! for cgroup CPU quotas). Both are read once, the first time any pool function
//! needs them — at the latest when the first pool is built, before any thread is
//! pinned — and never again, and from the process, not the calling thread:
//! `available_parallelism` reads the *calling thread's* mask, and inside a team
//! region every member is pinned to one CPU, so reading it there would make the
//! machine look like one CPU (see [`allowed_cpus`]). `ACCEL_NUM_THREADS` overrides it, like `OMP_NUM_THREADS`; an invalid
//! value is ignored, and [`default_threads`] says so in its reason.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use crate::region::MAX_REGION_WORKERS;

/// The environment variable that overrides the default thread count.
///
/// ```
/// assert_eq!(accel_pool::THREADS_ENV, "ACCEL_NUM_THREADS");
/// ```
pub const THREADS_ENV: &str = "ACCEL_NUM_THREADS";

/// The largest thread count a pool supports (the region slot counts workers in
/// 12 bits).
///
/// ```
/// use accel_pool::{MAX_THREADS, Pool, PoolConfig, PoolError};
/// let err = Pool::new(PoolConfig::new().threads(MAX_THREADS + 1)).unwrap_err();
/// assert!(matches!(err, PoolError::TooManyThreads { .. }));
/// ```
pub const MAX_THREADS: usize = MAX_REGION_WORKERS + 1;

/// The default spin window: how long an idle thread polls for work before it
/// sleeps.
///
/// ```
/// assert!(accel_pool::DEFAULT_SPIN <= std::time::Duration::from_micros(200));
/// ```
pub const DEFAULT_SPIN: Duration = Duration::from_micros(100);

/// The CPUs this process may run on, ascending (empty if the affinity mask cannot
/// be read).
///
/// Read once, the first time any pool function needs it. On Linux it is the
/// process's mask (`sched_getaffinity` of the process id, that is of the main
/// thread), whichever thread asks first: a thread the user narrowed, or one a
/// pool pinned, does not shrink it. Elsewhere it is the calling thread's.
///
/// ```
/// let cpus = accel_pool::allowed_cpus();
/// assert!(cpus.windows(2).all(|w| w[0] < w[1]));
/// ```
pub fn allowed_cpus() -> Vec<usize> {
    static CPUS: OnceLock<Vec<usize>> = OnceLock::new();
    CPUS.get_or_init(|| {
        #[cfg(target_os = "linux")]
        // SAFETY: getpid has no preconditions.
        if let Some(cpus) = affinity_of(unsafe { libc::getpid() }) {
            return cpus;
        }
        let mut cpus: Vec<usize> = core_affinity::get_core_ids()
            .unwrap_or_default()
            .into_iter()
            .map(|core| core.id)
            .collect();
        cpus.sort_unstable();
        cpus.dedup();
        cpus
    })
    .clone()
}

/// The CPUs in the affinity mask of thread `tid` (0: the calling thread),
/// ascending, or `None` if it cannot be read.
#[cfg(target_os = "linux")]
pub(crate) fn affinity_of(tid: libc::pid_t) -> Option<Vec<usize>> {
    // SAFETY: an all-zero cpu_set_t is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is a writable cpu_set_t of `size` bytes.
    if unsafe { libc::sched_getaffinity(tid, size, &mut set) } != 0 {
        return None;
    }
    let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu < CPU_SETSIZE`, the set's capacity.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect();
    (!cpus.is_empty()).then_some(cpus)
}

/// `available_parallelism`, for the process rather than the calling thread.
///
/// std caps the calling thread's mask by the cgroup CPU quota. When the result is
/// exactly the thread's mask, the quota did not bind, and a thread narrower than
/// the process (the user's, or a pinned pool thread) must not shrink the answer:
/// the process's `cpus` count instead. When it is below the thread's mask, the
/// quota bound, and the quota is the process's.
fn process_parallelism(cpus: usize) -> Option<usize> {
    let available = std::thread::available_parallelism().ok().map(|n| n.get());
    #[cfg(target_os = "linux")]
    if let (Some(available), Some(thread)) = (available, affinity_of(0).map(|m| m.len()))
        && available >= thread
        && thread < cpus
    {
        return Some(cpus);
    }
    available
}

/// Why [`default_threads`] chose its number; `Display` says it in words.
///
/// ```
/// use accel_pool::DefaultThreadsReason;
/// let reason = DefaultThreadsReason::CappedByAvailableParallelism { cpus: 8, available: 4 };
/// assert_eq!(
///     reason.to_string(),
///     "8 CPUs in the affinity mask, capped to available parallelism 4"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultThreadsReason {
    /// `ACCEL_NUM_THREADS` set it.
    Env {
        /// The value.
        threads: usize,
    },
    /// The number of CPUs in the affinity mask.
    AffinityMask {
        /// CPUs in the mask.
        cpus: usize,
    },
    /// The affinity mask allows more CPUs than `available_parallelism` (a CPU
    /// quota, for example).
    CappedByAvailableParallelism {
        /// CPUs in the mask.
        cpus: usize,
        /// What `available_parallelism` reports.
        available: usize,
    },
    /// The mask could not be read; `available_parallelism` was used.
    AvailableParallelism {
        /// What it reports.
        available: usize,
    },
    /// Neither could be read: one thread.
    Unknown,
    /// `ACCEL_NUM_THREADS` was set but is not a thread count this pool accepts;
    /// the machine default was used.
    InvalidEnv {
        /// The rejected value.
        value: String,
        /// Where the number used instead came from.
        fallback: Box<DefaultThreadsReason>,
    },
}

impl fmt::Display for DefaultThreadsReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefaultThreadsReason::Env { threads } => write!(f, "{THREADS_ENV}={threads}"),
            DefaultThreadsReason::AffinityMask { cpus } => {
                write!(f, "{cpus} CPUs in the process affinity mask")
            }
            DefaultThreadsReason::CappedByAvailableParallelism { cpus, available } => write!(
                f,
                "{cpus} CPUs in the affinity mask, capped to available parallelism {available}"
            ),
            DefaultThreadsReason::AvailableParallelism { available } => write!(
                f,
                "affinity mask unreadable; available parallelism {available}"
            ),
            DefaultThreadsReason::Unknown => {
                f.write_str("neither the affinity mask nor the available parallelism is readable")
            }
            DefaultThreadsReason::InvalidEnv { value, fallback } => write!(
                f,
                "ignored {THREADS_ENV}={value:?} (not an integer in 1..={MAX_THREADS}); {fallback}"
            ),
        }
    }
}

/// The default thread count and why: `ACCEL_NUM_THREADS` if set and valid,
/// otherwise the affinity mask capped by `available_parallelism`.
///
/// ```
/// let (threads, reason) = accel_pool::default_threads();
/// assert!(threads >= 1);
/// println!("{threads} threads: {reason}");
/// ```
pub fn default_threads() -> (usize, DefaultThreadsReason) {
    let machine = machine_threads();
    match std::env::var_os(THREADS_ENV) {
        None => machine,
        Some(raw) => {
            let value = raw.to_string_lossy().into_owned();
            match value.trim().parse::<usize>() {
                Ok(threads) if (1..=MAX_THREADS).contains(&threads) => {
                    (threads, DefaultThreadsReason::Env { threads })
                }
                _ => (
                    machine.0,
                    DefaultThreadsReason::InvalidEnv {
                        value,
                        fallback: Box::new(machine.1),
                    },
                ),
            }
        }
    }
}

/// The number of CPUs this process may use: the affinity mask capped by
/// `available_parallelism` (at least 1). Read once, like [`allowed_cpus`].
///
/// ```
/// let cpus = accel_pool::usable_cpus();
/// assert!(cpus >= 1);
/// // The same answer from a thread pinned to one CPU (a team member):
/// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
/// pool.team(|_| assert_eq!(accel_pool::usable_cpus(), cpus));
/// # Ok::<(), accel_pool::PoolError>(())
/// ```
pub fn usable_cpus() -> usize {
    machine_threads().0
}

/// The machine's thread count and why, read once (module docs).
fn machine_threads() -> (usize, DefaultThreadsReason) {
    static MACHINE: OnceLock<(usize, DefaultThreadsReason)> = OnceLock::new();
    MACHINE.get_or_init(read_machine_threads).clone()
}

fn read_machine_threads() -> (usize, DefaultThreadsReason) {
    let allowed = allowed_cpus().len();
    let cpus = allowed.min(MAX_THREADS);
    let available = process_parallelism(allowed).map(|n| n.min(MAX_THREADS));
    match (cpus, available) {
        (0, Some(available)) => (
            available,
            DefaultThreadsReason::AvailableParallelism { available },
        ),
        (0, None) => (1, DefaultThreadsReason::Unknown),
        (cpus, Some(available)) if available < cpus => (
            available,
            DefaultThreadsReason::CappedByAvailableParallelism { cpus, available },
        ),
        (cpus, _) => (cpus, DefaultThreadsReason::AffinityMask { cpus }),
    }
}

/// How to build a [`Pool`](crate::Pool).
///
/// ```
/// use std::time::Duration;
/// use accel_pool::{Pool, PoolConfig};
///
/// let pool = Pool::new(PoolConfig::new().threads(2).pin(false).spin(Duration::from_micros(50)))?;
/// assert_eq!(pool.num_threads(), 2);
/// # Ok::<(), accel_pool::PoolError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    threads: Option<usize>,
    pin: bool,
    spin: Duration,
    cap_teams: bool,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl PoolConfig {
    /// Default threads ([`default_threads`]), pinning on, spin window
    /// [`DEFAULT_SPIN`], teams capped at the CPU count.
    ///
    /// ```
    /// let config = accel_pool::PoolConfig::new();
    /// assert_eq!(config.thread_count(), None);
    /// assert!(config.pinned());
    /// assert!(config.teams_capped());
    /// ```
    pub fn new() -> Self {
        PoolConfig {
            threads: None,
            pin: true,
            spin: DEFAULT_SPIN,
            cap_teams: true,
        }
    }

    /// Whether team regions of a pool with more threads than CPUs run with one
    /// member per CPU (default on; see [`Pool::team_size`](crate::Pool::team_size)).
    /// Off, every thread is a member, and a barrier then waits for threads the
    /// OS has descheduled — a team of 36 on 2 CPUs runs many times slower than a
    /// team of 2. Turn it off only to test code with large teams on a small
    /// machine.
    ///
    /// ```
    /// use accel_pool::{Pool, PoolConfig};
    /// let threads = accel_pool::usable_cpus() + 2;
    /// let capped = Pool::new(PoolConfig::new().threads(threads))?;
    /// assert_eq!(capped.team_size(), accel_pool::usable_cpus());
    /// let full = Pool::new(PoolConfig::new().threads(threads).cap_teams(false))?;
    /// assert_eq!(full.team_size(), threads);
    /// # Ok::<(), accel_pool::PoolError>(())
    /// ```
    pub fn cap_teams(mut self, on: bool) -> Self {
        self.cap_teams = on;
        self
    }

    /// Whether teams are capped at the CPU count.
    ///
    /// ```
    /// assert!(!accel_pool::PoolConfig::new().cap_teams(false).teams_capped());
    /// ```
    pub fn teams_capped(&self) -> bool {
        self.cap_teams
    }

    /// Uses `n` threads, the calling thread included (`0` is rejected by
    /// [`Pool::new`](crate::Pool::new)).
    ///
    /// ```
    /// assert_eq!(accel_pool::PoolConfig::new().threads(3).thread_count(), Some(3));
    /// ```
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Pins worker `i` to the `i`-th allowed CPU (default on).
    ///
    /// ```
    /// assert!(!accel_pool::PoolConfig::new().pin(false).pinned());
    /// ```
    pub fn pin(mut self, on: bool) -> Self {
        self.pin = on;
        self
    }

    /// How long an idle thread polls for work before sleeping.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = accel_pool::PoolConfig::new().spin(Duration::ZERO);
    /// assert_eq!(config.spin_window(), Duration::ZERO);
    /// ```
    pub fn spin(mut self, window: Duration) -> Self {
        self.spin = window;
        self
    }

    /// The requested thread count (`None`: the default).
    ///
    /// ```
    /// assert_eq!(accel_pool::PoolConfig::new().thread_count(), None);
    /// ```
    pub fn thread_count(&self) -> Option<usize> {
        self.threads
    }

    /// Whether workers will be pinned.
    ///
    /// ```
    /// assert!(accel_pool::PoolConfig::new().pinned());
    /// ```
    pub fn pinned(&self) -> bool {
        self.pin
    }

    /// The spin window.
    ///
    /// ```
    /// assert_eq!(accel_pool::PoolConfig::new().spin_window(), accel_pool::DEFAULT_SPIN);
    /// ```
    pub fn spin_window(&self) -> Duration {
        self.spin
    }
}

/// Why a pool could not be built.
///
/// ```
/// use accel_pool::{Pool, PoolConfig, PoolError};
/// let err = Pool::new(PoolConfig::new().threads(0)).unwrap_err();
/// assert_eq!(err, PoolError::ZeroThreads);
/// assert_eq!(err.to_string(), "a pool needs at least 1 thread, got 0");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolError {
    /// A thread count of 0 was requested.
    ZeroThreads,
    /// More threads than the pool supports were requested.
    TooManyThreads {
        /// The request.
        requested: usize,
        /// The limit ([`MAX_THREADS`]).
        max: usize,
    },
    /// The operating system refused to start a worker thread.
    Spawn {
        /// The worker's index.
        worker: usize,
        /// The system's error message.
        message: String,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::ZeroThreads => f.write_str("a pool needs at least 1 thread, got 0"),
            PoolError::TooManyThreads { requested, max } => {
                write!(
                    f,
                    "{requested} threads requested, a pool supports at most {max}"
                )
            }
            PoolError::Spawn { worker, message } => {
                write!(f, "could not start worker thread {worker}: {message}")
            }
        }
    }
}

impl std::error::Error for PoolError {}
