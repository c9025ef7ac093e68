//! Measures how much CPU an idle pool uses: builds a pool, runs some parallel
//! work, waits past the spin window, then reads this process's CPU time
//! (`/proc/self/task/*/schedstat`) over a few seconds of idleness.
//!
//! `cargo run --release -p accel-pool --example idle_cpu [seconds]`

use std::time::{Duration, Instant};

use accel_pool::{Pool, PoolConfig};

/// Total CPU time of every thread of this process, in nanoseconds.
fn process_cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let pool = Pool::new(PoolConfig::new()).expect("pool");
    println!("{} threads, {}", pool.num_threads(), pool.pinning());
    for _ in 0..1000 {
        pool.for_range(0..10_000, 100, |r| {
            std::hint::black_box(r);
        });
    }
    std::thread::sleep(pool.spin_window() * 10);
    let Some(before) = process_cpu_ns() else {
        println!("/proc/self/task is not readable here");
        return;
    };
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let used = process_cpu_ns().unwrap_or(before) - before;
    let per_second = used as f64 / start.elapsed().as_secs_f64();
    println!(
        "idle pool: {:.3} ms of CPU per second ({} ns over {:.2} s; target < 5 ms/s)",
        per_second / 1e6,
        used,
        start.elapsed().as_secs_f64()
    );
}
