//! Stress: many tiny jobs, deep nesting, oversubscription, several outside
//! callers at once, and dropping pools while their workers sleep or work.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use accel_pool::{Pool, PoolConfig};

fn value(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)
}

fn pool(threads: usize) -> Pool {
    Pool::new(PoolConfig::new().threads(threads)).unwrap()
}

#[test]
fn hundred_thousand_tiny_jobs() {
    const N: usize = 100_000;
    for threads in [1, 2, 3] {
        let pool = pool(threads);
        // As scope spawns (more than a deque holds: the overflow runs inline).
        let hits = AtomicUsize::new(0);
        pool.scope(|s| {
            for _ in 0..N {
                s.spawn(|_| {
                    hits.fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        assert_eq!(hits.load(Ordering::Relaxed), N);
        // As separate joins from outside the pool.
        let mut sum = 0u64;
        for i in 0..N as u64 {
            let (a, b) = pool.join(|| value(i), || i);
            sum = sum.wrapping_add(a ^ b);
        }
        assert_eq!(
            sum,
            (0..N as u64).fold(0u64, |s, i| s.wrapping_add(value(i) ^ i))
        );
        // As one loop of single-item pieces.
        let total = AtomicU64::new(0);
        pool.for_range(0..N, 1, |r| {
            total.fetch_add(r.map(|i| value(i as u64) & 0xFF).sum(), Ordering::Relaxed);
        });
        assert_eq!(
            total.into_inner(),
            (0..N as u64).map(|i| value(i) & 0xFF).sum::<u64>()
        );
    }
}

fn nested(pool: &Pool, depth: u32, path: u64) -> u64 {
    if depth == 0 {
        return value(path);
    }
    let (a, b) = pool.join(
        || nested(pool, depth - 1, path * 2),
        || nested(pool, depth - 1, path * 2 + 1),
    );
    a.wrapping_add(b)
}

#[test]
fn joins_nested_twenty_deep() {
    let serial = (1u64 << 20..1u64 << 21).fold(0u64, |s, p| s.wrapping_add(value(p)));
    for threads in [2, 3, 16] {
        let pool = pool(threads);
        assert_eq!(nested(&pool, 20, 1), serial, "threads = {threads}");
    }
}

#[test]
fn eight_times_more_threads_than_cores() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    // Capped teams (one member per CPU) and full teams (every thread a member).
    let capped = pool(8 * cores);
    let full = Pool::new(PoolConfig::new().threads(8 * cores).cap_teams(false)).expect("pool");
    assert_eq!(full.team_size(), 8 * cores);
    for pool in [capped, full] {
        let n = pool.team_size();
        for _ in 0..20 {
            let rounds = AtomicUsize::new(0);
            pool.team(|t| {
                for _ in 0..5 {
                    rounds.fetch_add(1, Ordering::Relaxed);
                    t.barrier();
                }
            });
            assert_eq!(rounds.load(Ordering::Relaxed), 5 * n);
            let sum = pool.reduce(
                0..10_000,
                100,
                || 0u64,
                |r| r.map(|i| value(i as u64)).fold(0, u64::wrapping_add),
                u64::wrapping_add,
            );
            assert_eq!(sum, (0..10_000u64).map(value).fold(0, u64::wrapping_add));
        }
    }
}

#[test]
fn four_outside_threads_at_once() {
    let pool = pool(3);
    let expected = (0..5_000u64).map(value).fold(0, u64::wrapping_add);
    std::thread::scope(|s| {
        for caller in 0..4u64 {
            let pool = &pool;
            s.spawn(move || {
                for round in 0..50u64 {
                    let sum = pool.reduce(
                        0..5_000,
                        64,
                        || 0u64,
                        |r| r.map(|i| value(i as u64)).fold(0, u64::wrapping_add),
                        u64::wrapping_add,
                    );
                    assert_eq!(sum, expected);
                    let members = AtomicUsize::new(0);
                    pool.team(|t| {
                        members.fetch_add(1, Ordering::Relaxed);
                        t.barrier();
                    });
                    assert_eq!(members.into_inner(), pool.team_size());
                    let (a, b) = pool.join(|| caller, || round);
                    assert_eq!((a, b), (caller, round));
                    let mut v = vec![0u64; 777];
                    pool.for_each_chunk_mut(&mut v, 50, |off, c| {
                        for (i, x) in c.iter_mut().enumerate() {
                            *x = (off + i) as u64 + caller;
                        }
                    });
                    assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64 + caller));
                }
            });
        }
    });
}

/// Drop must not take long: workers are woken and joined.
fn assert_quick_drop(pool: Pool) {
    let start = Instant::now();
    drop(pool);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        start.elapsed()
    );
}

#[test]
fn drop_while_asleep() {
    for threads in [2, 3, 16] {
        let pool = pool(threads);
        pool.for_range(0..1000, 1, |_| {});
        // Far longer than the spin window: every worker is parked.
        std::thread::sleep(Duration::from_millis(30));
        assert_quick_drop(pool);
    }
    // A pool that never ran anything.
    assert_quick_drop(pool(4));
}

#[test]
fn drop_while_busy() {
    for threads in [2, 3, 16] {
        // Right after work: workers are still spinning or finishing.
        let pool = pool(threads);
        pool.for_range(0..10_000, 1, |r| {
            std::hint::black_box(r);
        });
        assert_quick_drop(pool);
        // The last owner drops the pool while other callers may still be in it.
        let shared = Arc::new(pool_with_spin(threads));
        let done = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                let shared = Arc::clone(&shared);
                let done = &done;
                s.spawn(move || {
                    shared.for_range(0..5_000, 10, |r| {
                        std::hint::black_box(r);
                    });
                    done.fetch_add(1, Ordering::Relaxed);
                    drop(shared);
                });
            }
            drop(shared);
        });
        assert_eq!(done.into_inner(), 3);
    }
}

fn pool_with_spin(threads: usize) -> Pool {
    Pool::new(
        PoolConfig::new()
            .threads(threads)
            .spin(Duration::from_micros(10)),
    )
    .unwrap()
}

#[test]
fn many_pools_come_and_go() {
    for i in 0..50 {
        let pool = pool(2 + i % 3);
        let sum = pool.reduce(
            0..100,
            7,
            || 0u64,
            |r| r.map(|x| x as u64).sum(),
            |a, b| a + b,
        );
        assert_eq!(sum, 4950);
    }
}

#[test]
fn pools_nest_inside_each_other() {
    let a = pool(2);
    let b = pool(3);
    let total = AtomicU64::new(0);
    for _ in 0..20 {
        a.for_range(0..8, 1, |outer| {
            // A job of pool `a` calls into pool `b`, whose jobs call `a` again:
            // each thread must find its own context of `a`, never wait for `a`'s
            // caller seat that its own caller holds.
            b.install(|| {
                b.for_range(0..6, 1, |inner| {
                    // Inline fallbacks hand out whole ranges: visit every pair.
                    for o in outer.clone() {
                        for i in inner.clone() {
                            let (x, y) = a.join(|| o as u64, || i as u64);
                            let s = a.reduce(
                                0..50,
                                5,
                                || 0u64,
                                |r| r.map(|i| i as u64).sum(),
                                |p, q| p + q,
                            );
                            total.fetch_add(x * 100 + y + s, Ordering::Relaxed);
                        }
                    }
                });
            });
        });
    }
    let per_round: u64 = (0..8u64)
        .flat_map(|o| (0..6u64).map(move |i| o * 100 + i + 1225))
        .sum();
    assert_eq!(total.into_inner(), 20 * per_round);
}
