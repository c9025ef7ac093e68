//! `accel info`: what this machine and process offer the workloads.
//!
//! Everything comes from the same places a workload's pool looks: the allowed CPU
//! set and the default thread count from `accel-pool`, and the pinning from a real
//! pool built with the defaults (so "pinned" here means a workload will be pinned).

use crate::args::{InfoArgs, PoolArgs};
use crate::engine::{self, Engine};
use crate::error::Error;
use crate::memory;
use crate::report;
use crate::system;

/// Runs `accel info`.
pub fn run(args: &InfoArgs) -> Result<(), Error> {
    let cpus = accel_pool::allowed_cpus();
    let (threads, reason) = accel_pool::default_threads();
    // The default team, given its count explicitly: `info` reports a bad
    // ACCEL_NUM_THREADS (in `reason`) where the workloads refuse it.
    let team = Engine::new(&PoolArgs {
        threads: Some(threads),
        no_pin: false,
    })?;
    let simd = system::simd_features();
    let bs_path = engine::blackscholes_simd_path();
    let blur_path = engine::blur_simd_path();
    let available = memory::available_bytes();
    if args.json {
        let json = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "cpus": cpus,
            "cpu_count": cpus.len(),
            "pinning": team.pinning(),
            "pinned": team.pinned(),
            "simd_features": simd,
            "simd_path": bs_path,
            "blur_simd_path": blur_path,
            "default_threads": threads,
            "default_threads_reason": reason.to_string(),
            "max_threads": accel_pool::MAX_THREADS,
            "available_memory_bytes": available,
        });
        return report::emit_json(&json);
    }
    let cpu_text = if cpus.is_empty() {
        "unknown (the affinity mask could not be read)".to_string()
    } else {
        format!("{} ({})", cpus.len(), cpu_ranges(&cpus))
    };
    let lines = [
        format!("accel {}", env!("CARGO_PKG_VERSION")),
        format!("CPUs allowed:     {cpu_text}"),
        format!("default threads:  {threads} ({reason})"),
        format!("pinning:          {}", team.pinning()),
        format!(
            "SIMD features:    {}",
            if simd.is_empty() {
                "none detected".to_string()
            } else {
                simd.join(" ")
            }
        ),
        format!("kernel SIMD path: blackscholes {bs_path}, blur {blur_path}"),
        format!(
            "memory available: {}",
            available.map_or("unknown".to_string(), |b| memory::human_bytes(u128::from(
                b
            )))
        ),
    ];
    report::emit(&lines.join("\n"))
}

/// Writes sorted CPU ids compactly: `[0, 1, 2, 5]` → "0-2,5".
pub fn cpu_ranges(cpus: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let start = cpus[i];
        let mut end = start;
        while i + 1 < cpus.len() && cpus[i + 1] == end + 1 {
            i += 1;
            end = cpus[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(cpu_ranges(&[0, 1, 2, 5]), "0-2,5");
        assert_eq!(cpu_ranges(&[3]), "3");
        assert_eq!(cpu_ranges(&[]), "");
        assert_eq!(cpu_ranges(&[0, 2, 4, 5]), "0,2,4-5");
    }
}
