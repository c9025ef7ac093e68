//! `accel info`: what this machine and process offer the workloads.
//!
//! Everything comes from the same places a workload's pool looks: the allowed CPU
//! set and the default thread count from `accel-pool`, and the pinning from a real
//! pool built with the defaults (so "pinned" here means a workload will be pinned),
//! and the SIMD path from core's one detection, with any `ACCEL_SIMD` applied.

use crate::args::{InfoArgs, PoolArgs};
use crate::engine::Engine;
use crate::error::Error;
use crate::group::{Group, MPI_BUILT};
use crate::memory;
use crate::report;
use crate::system;
use accel_core::simd::{self, SimdPath};

/// Runs `accel info`.
pub fn run(args: &InfoArgs, group: &Group) -> Result<(), Error> {
    let cpus = accel_pool::allowed_cpus();
    let (threads, reason) = accel_pool::default_threads();
    // The default team, given its count explicitly: `info` reports a bad
    // ACCEL_NUM_THREADS (in `reason`) where the workloads refuse it.
    let team = group.agree(Engine::new(&PoolArgs {
        threads: Some(threads),
        no_pin: false,
    }))?;
    let simd = system::simd_features();
    // A bad ACCEL_SIMD is reported here, where the workloads refuse it.
    let forced = simd::force_from_env();
    let best = SimdPath::best();
    // Not `SimdPath::active()`, which panics on a bad ACCEL_SIMD.
    let path = forced.as_ref().ok().copied().flatten().unwrap_or(best);
    let path_note = match &forced {
        Ok(Some(_)) => format!("forced by ACCEL_SIMD; this CPU's widest is {best}"),
        Ok(None) => {
            "this CPU's widest; ACCEL_SIMD=avx512|avx2|neon|portable forces one".to_string()
        }
        Err(e) => format!("this CPU's widest; {e}, ignored here and refused by the workloads"),
    };
    let available = memory::available_bytes();
    if args.json {
        let json = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "cpus": cpus,
            "cpu_count": cpus.len(),
            "pinning": team.pinning(),
            "pinned": team.pinned(),
            "simd_features": simd,
            "simd": path.name(),
            "simd_best": best.name(),
            "simd_forced": forced.as_ref().ok().copied().flatten().map(SimdPath::name),
            "simd_env_error": forced.as_ref().err().map(ToString::to_string),
            "default_threads": threads,
            "default_threads_reason": reason.to_string(),
            "max_threads": accel_pool::MAX_THREADS,
            "available_memory_bytes": available,
            "mpi": MPI_BUILT,
            "ranks": group.size(),
            "rank": group.rank(),
        });
        return group.agree(report::emit_json(&json));
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
        format!("SIMD path:        {path} ({path_note})"),
        format!("MPI:              {}", mpi_text(group)),
        format!(
            "memory available: {}",
            available.map_or("unknown".to_string(), |b| memory::human_bytes(u128::from(
                b
            )))
        ),
    ];
    group.agree(report::emit(&lines.join("\n")))
}

/// The `MPI:` line: whether this build has MPI, and the ranks running.
fn mpi_text(group: &Group) -> String {
    if !MPI_BUILT {
        return "not built in (cargo build --features mpi; see the README's \"More than one machine\")"
            .to_string();
    }
    match group.size() {
        1 => "built in; 1 rank (start several with mpirun -np N accel …)".to_string(),
        n => format!(
            "built in; {n} ranks running, this report from rank 0{}",
            group.cpu_note()
        ),
    }
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
