//! What the machine offers: allowed CPUs, pinning, SIMD features, default threads.
//!
//! `accel info` reports these, and the workload summaries quote the SIMD path. The
//! CPU set is the process's affinity mask (which honours container CPU sets and
//! `taskset`), read from `/proc/self/status`; the default thread count follows the
//! same rule as the pool: `ACCEL_NUM_THREADS` when it is set to a positive integer,
//! otherwise one thread per allowed CPU.

use std::fmt;

/// The environment variable that overrides the default thread count.
pub const THREADS_ENV: &str = "ACCEL_NUM_THREADS";

/// The CPUs this process may run on (sorted ids), and where that came from.
pub fn allowed_cpus() -> (Vec<usize>, &'static str) {
    if let Some(cpus) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:").map(str::to_string))
        })
        .and_then(|list| parse_cpu_list(list.trim()))
    {
        return (cpus, "affinity mask");
    }
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    ((0..n).collect(), "available parallelism")
}

/// Parses a kernel CPU list such as `0-3,8,10-11`.
pub fn parse_cpu_list(list: &str) -> Option<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
                if a > b {
                    return None;
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(part.parse().ok()?),
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    (!cpus.is_empty()).then_some(cpus)
}

/// Why the default thread count is what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultThreads {
    /// `ACCEL_NUM_THREADS` set it.
    FromEnv(usize),
    /// `ACCEL_NUM_THREADS` was set to something unusable; the CPU count was used.
    BadEnv {
        /// The value found.
        value: String,
        /// The CPU count used instead.
        cpus: usize,
    },
    /// One thread per allowed CPU.
    FromCpus(usize),
}

impl DefaultThreads {
    /// The thread count.
    pub fn count(&self) -> usize {
        match self {
            DefaultThreads::FromEnv(n) | DefaultThreads::FromCpus(n) => *n,
            DefaultThreads::BadEnv { cpus, .. } => *cpus,
        }
    }
}

impl fmt::Display for DefaultThreads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefaultThreads::FromEnv(_) => write!(f, "from {THREADS_ENV}"),
            DefaultThreads::BadEnv { value, .. } => {
                write!(
                    f,
                    "one per allowed CPU; {THREADS_ENV}={value:?} ignored (not a positive integer)"
                )
            }
            DefaultThreads::FromCpus(_) => write!(f, "one per allowed CPU; {THREADS_ENV} not set"),
        }
    }
}

/// The default thread count, from `env_value` (the variable's value, if set) and `cpus`.
pub fn default_threads_from(env_value: Option<&str>, cpus: usize) -> DefaultThreads {
    match env_value {
        None => DefaultThreads::FromCpus(cpus),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => DefaultThreads::FromEnv(n),
            _ => DefaultThreads::BadEnv {
                value: v.to_string(),
                cpus,
            },
        },
    }
}

/// The default thread count for this process.
pub fn default_threads() -> DefaultThreads {
    let env = std::env::var(THREADS_ENV).ok();
    default_threads_from(env.as_deref(), allowed_cpus().0.len())
}

/// Whether threads can be pinned to CPUs here, and how.
pub fn pinning_support() -> &'static str {
    if cfg!(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "windows"
    )) {
        "supported (workers are pinned to the allowed CPUs in order)"
    } else {
        "not supported on this platform (threads run unpinned)"
    }
}

/// The SIMD features this CPU has, among those the kernels can use.
pub fn simd_features() -> Vec<&'static str> {
    let mut found = Vec::new();
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        macro_rules! probe {
            ($($name:tt),*) => {
                $(if std::arch::is_x86_feature_detected!($name) { found.push($name); })*
            };
        }
        probe!(
            "sse2", "sse4.1", "sse4.2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw",
            "avx512vl"
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            found.push("neon");
        }
        if std::arch::is_aarch64_feature_detected!("sve") {
            found.push("sve");
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(
            parse_cpu_list("0-3,8,10-11"),
            Some(vec![0, 1, 2, 3, 8, 10, 11])
        );
        assert_eq!(parse_cpu_list("5"), Some(vec![5]));
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("x"), None);
        assert_eq!(parse_cpu_list(""), None);
    }

    #[test]
    fn this_process_has_cpus() {
        let (cpus, _) = allowed_cpus();
        assert!(!cpus.is_empty());
        assert!(cpus.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn default_thread_rule() {
        assert_eq!(default_threads_from(None, 4), DefaultThreads::FromCpus(4));
        assert_eq!(
            default_threads_from(Some("3"), 4),
            DefaultThreads::FromEnv(3)
        );
        let bad = default_threads_from(Some("0"), 4);
        assert_eq!(bad.count(), 4);
        assert!(bad.to_string().contains("ignored"));
        assert_eq!(default_threads_from(Some("abc"), 2).count(), 2);
    }
}
