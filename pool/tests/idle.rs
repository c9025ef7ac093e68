//! An idle pool uses (almost) no CPU: its workers spin for the spin window, then
//! sleep. Measured from the kernel's per-thread CPU time of this process over one
//! second of idleness. The bound is a generous sanity check (50 ms per second);
//! the real figure is printed by `cargo run --release -p accel-pool --example
//! idle_cpu`.

use std::time::Duration;

use accel_pool::{Pool, PoolConfig};

/// Total CPU time of every thread of this process, in nanoseconds
/// (`/proc/self/task/*/schedstat`, first field), if readable.
fn process_cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

#[test]
fn idle_pool_sleeps() {
    let pool = Pool::new(PoolConfig::new().threads(4)).unwrap();
    // Some work, then let the spin window pass.
    for _ in 0..100 {
        pool.for_range(0..1000, 1, |r| {
            std::hint::black_box(r);
        });
    }
    std::thread::sleep(pool.spin_window() * 10 + Duration::from_millis(20));
    let Some(before) = process_cpu_ns() else {
        // No procfs here: nothing to measure.
        return;
    };
    std::thread::sleep(Duration::from_secs(1));
    let used = process_cpu_ns().unwrap() - before;
    assert!(
        used < 50_000_000,
        "an idle 4-thread pool used {used} ns of CPU in 1 s"
    );
    // The pool still works after sleeping.
    assert_eq!(pool.reduce(0..10, 1, || 0, |r| r.start, |a, b| a + b), 45);
}
