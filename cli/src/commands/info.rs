//! `accel info`: what this machine and process offer the workloads.

use crate::args::InfoArgs;
use crate::engine;
use crate::error::Error;
use crate::memory;
use crate::report;
use crate::system;

/// Runs `accel info`.
pub fn run(args: &InfoArgs) -> Result<(), Error> {
    let (cpus, cpus_source) = system::allowed_cpus();
    let default = system::default_threads();
    let simd = system::simd_features();
    let path = engine::simd_path();
    let available = memory::available_bytes();
    if args.json {
        let json = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "cpus": cpus,
            "cpu_count": cpus.len(),
            "cpus_source": cpus_source,
            "pinning": system::pinning_support(),
            "simd_features": simd,
            "simd_path": path,
            "default_threads": default.count(),
            "default_threads_reason": default.to_string(),
            "available_memory_bytes": available,
        });
        return report::emit_json(&json);
    }
    let lines = [
        format!("accel {}", env!("CARGO_PKG_VERSION")),
        format!(
            "CPUs allowed:     {} ({}, from the {cpus_source})",
            cpus.len(),
            cpu_ranges(&cpus)
        ),
        format!("pinning:          {}", system::pinning_support()),
        format!(
            "SIMD features:    {}",
            if simd.is_empty() {
                "none detected".to_string()
            } else {
                simd.join(" ")
            }
        ),
        format!(
            "kernel SIMD path: {}",
            path.unwrap_or("(kernels not available in this build)")
        ),
        format!("default threads:  {} ({default})", default.count()),
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
