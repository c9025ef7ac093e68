//! What machine we are on, and how fast its memory is.
//!
//! Every workload's floor (ARCHITECTURE.md §6) is bytes to move ÷ bandwidth, so the suite
//! measures bandwidth first, with accel's own pool: copy (16 B/element), triad
//! (24 B/element) and write-only (8 B/element) over arrays far larger than the
//! last-level cache. The best of several runs is the bandwidth (a floor is a best case).

use super::results::Bandwidth;
use super::timing::{Budget, interleaved};
use accel_pool::Pool;
use serde_json::{Value, json};
use std::process::Command;

/// A JSON description of the machine and build: CPU, CPUs allowed and online,
/// memory, the SIMD path each workload detects, toolchain, date.
pub fn describe(date: &str) -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?.to_string();
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib / (1024.0 * 1024.0))
        })
        .unwrap_or(0.0);
    let logical_cpus = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .map(|s| s.lines().filter(|l| l.starts_with("processor")).count())
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(0);
    json!({
        "date": date,
        "cpu": cpu,
        "allowed_cpus": accel_pool::allowed_cpus().len(),
        "logical_cpus": logical_cpus,
        "memory_gib": (mem_gib * 10.0).round() / 10.0,
        "simd": accel_core::simd::SimdPath::active().name(),
        "rustc": rustc,
        "profile": if cfg!(debug_assertions) { "debug build" } else { "release build" },
        "os": std::env::consts::OS,
    })
}

/// Measures copy, triad and write bandwidth with `pool` over `len` f64 elements.
pub fn bandwidth(pool: &Pool, len: usize, quick: bool) -> Bandwidth {
    let mut a = vec![0.0f64; len];
    let b: Vec<f64> = (0..len).map(|i| i as f64).collect();
    let c: Vec<f64> = (0..len).map(|i| (len - i) as f64).collect();
    // Grain: 64 K elements (512 KiB) per piece: big enough that scheduling is noise.
    let grain = 1 << 16;
    let mut copy = || {
        pool.for_each_chunk_mut(&mut a, grain, |off, chunk| {
            chunk.copy_from_slice(&b[off..off + chunk.len()]);
        })
    };
    let mut a2 = vec![0.0f64; len];
    let mut triad = || {
        pool.for_each_chunk_mut(&mut a2, grain, |off, chunk| {
            let (bs, cs) = (&b[off..off + chunk.len()], &c[off..off + chunk.len()]);
            for ((x, &y), &z) in chunk.iter_mut().zip(bs).zip(cs) {
                *x = y + 3.0 * z;
            }
        })
    };
    let mut a3 = vec![0.0f64; len];
    let mut write = || pool.for_each_chunk_mut(&mut a3, grain, |_, chunk| chunk.fill(1.5));
    let samples = interleaved(&mut [&mut copy, &mut triad, &mut write], Budget::new(quick));
    let gbs = |bytes_per_elem: f64, i: usize| bytes_per_elem * len as f64 / samples[i].min() / 1e9;
    Bandwidth {
        copy: gbs(16.0, 0),
        triad: gbs(24.0, 1),
        write: gbs(8.0, 2),
        threads: pool.num_threads(),
    }
}
