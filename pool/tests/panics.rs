//! A panic in any job or region body reaches the caller as that panic, after the
//! operation has wound down; barriers do not hang; the pool stays usable.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use accel_pool::{Pool, PoolConfig};

const THREADS: [usize; 4] = [1, 2, 3, 16];

/// The panic messages are expected; keep the test output readable.
fn quiet() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
                .unwrap_or("");
            if !msg.starts_with("boom") && !msg.starts_with("team barrier") {
                default(info);
            }
        }));
    });
}

fn message(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string payload>".to_owned()
    }
}

/// Runs `f`, expects it to panic with a message starting with `expected`.
fn expect_panic(expected: &str, f: impl FnOnce()) {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the call should have panicked");
    let msg = message(payload);
    assert!(
        msg.starts_with(expected),
        "got panic {msg:?}, expected {expected:?}"
    );
}

/// The pool still works, and gives right answers, after a panic.
fn assert_usable(pool: &Pool) {
    let sum = pool.reduce(
        0..1000,
        10,
        || 0u64,
        |r| r.map(|i| i as u64).sum(),
        |a, b| a + b,
    );
    assert_eq!(sum, 499_500);
    let members = AtomicUsize::new(0);
    pool.team(|t| {
        members.fetch_add(1, Ordering::Relaxed);
        t.barrier();
    });
    assert_eq!(members.into_inner(), pool.team_size());
    assert_eq!(pool.join(|| 1, || 2), (1, 2));
}

fn pools() -> Vec<Pool> {
    quiet();
    THREADS
        .iter()
        .map(|&t| Pool::new(PoolConfig::new().threads(t)).unwrap())
        .collect()
}

#[test]
fn join_panics() {
    for pool in pools() {
        expect_panic("boom a", || {
            pool.join(|| panic!("boom a"), || 1);
        });
        assert_usable(&pool);
        expect_panic("boom b", || {
            pool.join(|| 1, || panic!("boom b"));
        });
        assert_usable(&pool);
        // Both panic: `a`'s wins, and `b` still ran to completion first.
        let b_ran = AtomicUsize::new(0);
        expect_panic("boom first", || {
            pool.join(
                || panic!("boom first"),
                || {
                    b_ran.fetch_add(1, Ordering::Relaxed);
                    panic!("boom second")
                },
            );
        });
        if pool.num_threads() > 1 {
            assert_eq!(b_ran.load(Ordering::Relaxed), 1);
        }
        assert_usable(&pool);
        // Deep inside recursive joins, on whichever thread.
        fn tree(pool: &Pool, depth: u32, path: u32) -> u32 {
            if depth == 0 {
                assert!(path != 300, "boom leaf {path}");
                return 1;
            }
            let (a, b) = pool.join(
                || tree(pool, depth - 1, 2 * path),
                || tree(pool, depth - 1, 2 * path + 1),
            );
            a + b
        }
        expect_panic("boom leaf 300", || {
            tree(&pool, 8, 1);
        });
        assert_usable(&pool);
    }
}

#[test]
fn scope_panics() {
    for pool in pools() {
        let finished = AtomicUsize::new(0);
        expect_panic("boom job", || {
            pool.scope(|s| {
                for i in 0..50 {
                    let finished = &finished;
                    s.spawn(move |_| {
                        assert!(i != 25, "boom job");
                        finished.fetch_add(1, Ordering::Relaxed);
                    });
                }
            });
        });
        // Every other job still ran before the panic was re-raised.
        assert_eq!(finished.load(Ordering::Relaxed), 49);
        assert_usable(&pool);
        expect_panic("boom body", || {
            pool.scope(|s| {
                s.spawn(|_| {});
                panic!("boom body");
            });
        });
        assert_usable(&pool);
    }
}

#[test]
fn loop_panics() {
    for pool in pools() {
        expect_panic("boom range", || {
            pool.for_range(0..1000, 10, |r| assert!(!r.contains(&500), "boom range"));
        });
        assert_usable(&pool);
        expect_panic("boom chunk", || {
            let mut v = vec![0u8; 1000];
            pool.for_each_chunk_mut(&mut v, 10, |off, c| {
                assert!(!(off..off + c.len()).contains(&990), "boom chunk");
            });
        });
        assert_usable(&pool);
        expect_panic("boom weighted", || {
            let costs = vec![100u64; 200];
            pool.for_weighted_with_grain(&costs, 100, |items| {
                assert!(!items.contains(&0), "boom weighted");
            });
        });
        assert_usable(&pool);
        expect_panic("boom map", || {
            pool.reduce(
                0..1000,
                10,
                || 0u64,
                |r| {
                    assert!(!r.contains(&999), "boom map");
                    1
                },
                |a, b| a + b,
            );
        });
        assert_usable(&pool);
        // A panic in a loop nested inside another loop.
        expect_panic("boom nested", || {
            pool.for_range(0..4, 1, |_| {
                pool.for_range(0..100, 1, |r| assert!(!r.contains(&42), "boom nested"));
            });
        });
        assert_usable(&pool);
    }
}

#[test]
fn team_panics_do_not_hang_barriers() {
    for pool in pools() {
        let n = pool.team_size();
        // Member 0 (the caller) panics while the others wait at the barrier.
        expect_panic("boom member 0", || {
            pool.team(|t| {
                assert!(t.index() != 0, "boom member 0");
                t.barrier();
            });
        });
        assert_usable(&pool);
        // The last member panics after some rounds; the others are at a barrier.
        expect_panic("boom last member", || {
            pool.team(|t| {
                for round in 0..10 {
                    assert!(!(round == 5 && t.index() == n - 1), "boom last member");
                    t.barrier();
                }
            });
        });
        assert_usable(&pool);
        // Every member panics: the caller gets one of the real panics.
        expect_panic("boom all", || {
            pool.team(|_| panic!("boom all"));
        });
        assert_usable(&pool);
    }
}

#[test]
fn team_loop_panics_do_not_hang() {
    for pool in pools() {
        for round in 0..5 {
            expect_panic("boom team loop", || {
                pool.team(|t| {
                    for it in 0..4 {
                        t.for_range(0..100, 1, |r| {
                            assert!(!(it == round % 4 && r.contains(&50)), "boom team loop");
                        });
                    }
                });
            });
            assert_usable(&pool);
        }
        // A member panics outside the loop while the others wait inside it.
        expect_panic("boom outside loop", || {
            pool.team(|t| {
                assert!(
                    t.index() + 1 != t.size() || t.size() == 1,
                    "boom outside loop"
                );
                t.for_range(0..100, 1, |_| {});
                assert!(t.size() != 1, "boom outside loop");
            });
        });
        assert_usable(&pool);
    }
}

#[test]
fn mismatched_barriers_panic_instead_of_hanging() {
    for pool in pools().into_iter().filter(|p| p.num_threads() > 1) {
        expect_panic("team barrier", || {
            pool.team(|t| {
                if t.index() == 1 {
                    return; // never reaches the barrier the others wait at
                }
                t.barrier();
            });
        });
        assert_usable(&pool);
    }
}

#[test]
fn panics_from_outside_threads_at_once() {
    quiet();
    let pool = Pool::new(PoolConfig::new().threads(3)).unwrap();
    std::thread::scope(|s| {
        for caller in 0..4 {
            let pool = &pool;
            s.spawn(move || {
                for _ in 0..20 {
                    expect_panic("boom caller", || {
                        pool.for_range(0..100, 1, |r| {
                            assert!(!r.contains(&(50 + caller)), "boom caller {caller}");
                        });
                    });
                    assert_usable(pool);
                }
            });
        }
    });
}
