//! Regression tests for soundness and liveness bugs found by a stress audit:
//! scopes that returned before their spawns ran, team loops that hung on misuse,
//! panic payloads whose `Drop` panics, and oversubscribed teams.
//!
//! Every test that could hang on a regression runs under a watchdog, so a hang
//! fails the test instead of stalling the suite.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Once};
use std::thread;
use std::time::Duration;

use accel_pool::{Pool, PoolConfig};

/// Runs `f` on a thread of its own; fails if it has not finished in `limit`.
/// A panic inside `f` fails the test with that panic.
fn within<R: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let outcome = catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(());
        outcome
    });
    match rx.recv_timeout(limit) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join().unwrap() {
            Ok(value) => value,
            Err(payload) => std::panic::resume_unwind(payload),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still running after {limit:?} (hang)")
        }
    }
}

/// The expected panics of these tests print nothing.
fn quiet() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            if payload.is::<Bomb>() {
                return;
            }
            let msg = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("");
            if !msg.starts_with("team") && !msg.starts_with("bomb") {
                default(info);
            }
        }));
    });
}

fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string payload>".to_owned())
}

// ---------------------------------------------------------------------------
// 1. A scope never returns while a job spawned into it is pending.
// ---------------------------------------------------------------------------

/// The audit's reproducer: pool `a`'s two threads each open a scope on `b`; one
/// finds `b`'s caller seat taken (it gets no context), then a loop on `b` inside
/// the body takes the freed seat and spawns into the scope from `b`'s threads.
#[test]
fn scope_without_a_seat_waits_for_spawns_from_a_nested_loop() {
    within(Duration::from_secs(60), "scope reproducer", || {
        let a = Pool::new(PoolConfig::new().threads(2)).unwrap();
        let b = Pool::new(PoolConfig::new().threads(2)).unwrap();
        let short = AtomicUsize::new(0);
        for _ in 0..20 {
            a.for_range(0..2, 1, |r| {
                let done = AtomicUsize::new(0);
                b.scope(|s| {
                    if r.start == 1 {
                        thread::sleep(Duration::from_millis(5));
                    }
                    // One spawn per index: a loop that runs inline hands its
                    // whole range to one call.
                    b.for_range(0..4, 1, |r| {
                        for _ in r {
                            s.spawn(|_| {
                                thread::sleep(Duration::from_millis(2));
                                done.fetch_add(1, Ordering::SeqCst);
                            });
                        }
                    });
                });
                if done.load(Ordering::SeqCst) != 4 {
                    short.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        assert_eq!(short.into_inner(), 0, "scopes returned with spawns pending");
    });
}

/// The same with two outside threads, made deterministic: one holds `b`'s seat
/// while the other (a caller of pool `a`, so it may not wait for `b`'s seat)
/// opens a scope on `b`; the first then lets go, and the scope's body runs a
/// loop on `b` that spawns into the scope jobs writing into a buffer owned by
/// the scope's frame.
#[test]
fn scope_opened_while_another_thread_holds_the_seat_waits_for_its_spawns() {
    within(Duration::from_secs(60), "two outside threads", || {
        let a = Arc::new(Pool::new(PoolConfig::new().threads(2)).unwrap());
        let b = Arc::new(Pool::new(PoolConfig::new().threads(3)).unwrap());
        for round in 0..10u64 {
            let holding = Arc::new(Barrier::new(2));
            let opened = Arc::new(Barrier::new(2));
            let released = Arc::new(Barrier::new(2));
            let holder = {
                let (b, holding, opened, released) =
                    (b.clone(), holding.clone(), opened.clone(), released.clone());
                thread::spawn(move || {
                    b.install(|| {
                        holding.wait();
                        opened.wait();
                    });
                    released.wait();
                })
            };
            let (a2, b2) = (a.clone(), b.clone());
            let sums = thread::spawn(move || {
                a2.install(|| {
                    holding.wait();
                    let mut slots = vec![0u64; 8];
                    let slots_ref = &mut slots;
                    b2.scope(|s| {
                        opened.wait();
                        released.wait();
                        let cells: Vec<&mut u64> = slots_ref.iter_mut().collect();
                        let cells: Vec<std::sync::Mutex<Option<&mut u64>>> = cells
                            .into_iter()
                            .map(|c| std::sync::Mutex::new(Some(c)))
                            .collect();
                        b2.for_range(0..8, 1, |r| {
                            for i in r {
                                let cell = cells[i].lock().unwrap().take().unwrap();
                                s.spawn(move |_| {
                                    thread::sleep(Duration::from_millis(1));
                                    *cell = round * 100 + i as u64;
                                });
                            }
                        });
                    });
                    // A spawn still pending here would write into freed memory.
                    let seen = slots.clone();
                    drop(slots);
                    seen
                })
            })
            .join()
            .unwrap();
            holder.join().unwrap();
            let expected: Vec<u64> = (0..8).map(|i| round * 100 + i).collect();
            assert_eq!(sums, expected, "round {round}");
        }
    });
}

/// A small deterministic generator (xorshift), so failures can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One random nested operation on one of `pools`; every spawn into `scope`
/// (the innermost open scope, if any) adds its value to the scope's counter.
/// Returns the sum of all values this call produced.
fn random_nesting(pools: &[Pool], rng_seed: u64, depth: u32) -> u64 {
    let mut rng = Rng(rng_seed | 1);
    let pool = &pools[rng.below(pools.len() as u64) as usize];
    if depth == 0 {
        return 1;
    }
    match rng.below(4) {
        0 => {
            // A scope whose spawns come from a nested loop on a random pool.
            let counter = AtomicU64::new(0);
            let spawned = AtomicU64::new(0);
            let inner = &pools[rng.below(pools.len() as u64) as usize];
            let seed = rng.below(u64::MAX);
            pool.scope(|s| {
                // Let another caller take or release a seat meanwhile: the
                // scope's context and the loop's may then differ.
                thread::yield_now();
                inner.for_range(0..4, 1, |r| {
                    for i in r {
                        spawned.fetch_add(1, Ordering::SeqCst);
                        let counter = &counter;
                        s.spawn(move |_| {
                            let v = random_nesting(pools, seed.wrapping_add(i as u64), depth - 1);
                            counter.fetch_add(v, Ordering::SeqCst);
                        });
                    }
                });
            });
            let spawned = spawned.into_inner();
            let total = counter.into_inner();
            // Every job returns at least 1: a pending one would leave it short.
            assert!(total >= spawned, "scope returned with spawns pending");
            total + 1
        }
        1 => {
            let (x, y) = pool.join(
                || random_nesting(pools, rng_seed.wrapping_mul(3), depth - 1),
                || random_nesting(pools, rng_seed.wrapping_mul(5), depth - 1),
            );
            x + y
        }
        2 => pool.install(|| random_nesting(pools, rng_seed.wrapping_add(11), depth - 1)),
        _ => pool.reduce(
            0..3,
            1,
            || 0,
            |r| {
                r.map(|i| random_nesting(pools, rng_seed ^ ((i as u64 + 1) * 977), depth - 1))
                    .sum()
            },
            |p, q| p + q,
        ),
    }
}

/// Random cross-pool nesting from several outside threads at once, with spawns
/// from nested loops into enclosing scopes: each scope checks that all its jobs
/// ran before it returned (and a pending job would write into a freed frame).
#[test]
fn random_cross_pool_nesting_never_returns_early() {
    within(Duration::from_secs(120), "random nesting", || {
        let pools: Arc<Vec<Pool>> = Arc::new(
            [2usize, 3, 2]
                .iter()
                .map(|&t| Pool::new(PoolConfig::new().threads(t)).unwrap())
                .collect(),
        );
        let callers: Vec<_> = (0..3u64)
            .map(|caller| {
                let pools = pools.clone();
                thread::spawn(move || {
                    for round in 0..300u64 {
                        let seed = 0x9E37_79B9 ^ (caller << 32) ^ round;
                        assert!(random_nesting(&pools, seed, 4) >= 1);
                    }
                })
            })
            .collect();
        for caller in callers {
            caller.join().unwrap();
        }
    });
}

// ---------------------------------------------------------------------------
// 2. Misused team loops panic, naming the misuse, instead of hanging.
// ---------------------------------------------------------------------------

fn team_pools() -> Vec<Pool> {
    quiet();
    vec![
        Pool::new(PoolConfig::new().threads(2)).unwrap(),
        Pool::new(PoolConfig::new().threads(3).cap_teams(false)).unwrap(),
        Pool::new(PoolConfig::new().threads(4).cap_teams(false)).unwrap(),
    ]
}

/// Runs a misused team region on every team pool, many times: each must panic
/// with a message starting with one of `expected`, and the pool must stay usable.
fn expect_misuse(
    what: &'static str,
    expected: &'static [&'static str],
    body: fn(&accel_pool::TeamCtx<'_>),
) {
    within(Duration::from_secs(120), what, move || {
        for pool in team_pools() {
            for _ in 0..30 {
                let payload = catch_unwind(AssertUnwindSafe(|| pool.team(body)))
                    .expect_err("a misused team region must panic");
                let msg = message(&*payload);
                assert!(
                    expected.iter().any(|e| msg.starts_with(e)),
                    "{what}: got {msg:?}"
                );
            }
            let hits = AtomicUsize::new(0);
            pool.team(|t| {
                t.for_range(0..100, 1, |r| {
                    hits.fetch_add(r.len(), Ordering::Relaxed);
                });
                t.barrier();
            });
            assert_eq!(hits.into_inner(), 100, "{what}: pool unusable afterwards");
        }
    });
}

#[test]
fn team_loops_of_different_lengths_panic() {
    expect_misuse("0..10 against 0..20", &["team loop mismatch"], |t| {
        let n = if t.index() == 0 { 10 } else { 20 };
        t.for_range(0..n, 1, |_| {});
    });
}

#[test]
fn a_team_loop_empty_on_one_member_panics() {
    expect_misuse("0..0 against 0..8", &["team loop mismatch"], |t| {
        let n = if t.index() == 0 { 0 } else { 8 };
        t.for_range(0..n, 1, |_| {});
    });
}

#[test]
fn a_barrier_inside_a_team_loop_body_panics() {
    expect_misuse("barrier in a loop body", &["team misuse"], |t| {
        t.for_range(0..3, 1, |_| t.barrier());
    });
}

#[test]
fn a_team_loop_inside_a_team_loop_body_panics() {
    expect_misuse("loop in a loop body", &["team misuse"], |t| {
        t.for_range(0..3, 1, |_| t.for_range(0..2, 1, |_| {}));
    });
}

#[test]
fn a_team_loop_skipped_by_one_member_panics() {
    expect_misuse(
        "loop skipped by the last member",
        &["team loop mismatch", "team barrier"],
        |t| {
            if t.index() + 1 != t.size() {
                t.for_range(0..50, 1, |_| {});
            }
            t.barrier();
        },
    );
}

#[test]
fn same_length_loops_with_other_ranges_panic() {
    expect_misuse("0..8 against 8..16", &["team loop mismatch"], |t| {
        let start = if t.index() == 0 { 0 } else { 8 };
        t.for_range(start..start + 8, 1, |_| {});
    });
}

/// A member that arrives late (the pool was asleep) with a shorter first loop:
/// the early member ran every piece alone and waits at the barrier, the late
/// one would wait for the second loop's pieces forever.
#[test]
fn a_late_member_with_a_longer_loop_panics() {
    expect_misuse(
        "late member, 0..10 against 0..20, then a common loop",
        &["team loop mismatch"],
        |t| {
            if t.index() != 0 {
                thread::sleep(Duration::from_millis(3));
            }
            let n = if t.index() == 0 { 10 } else { 20 };
            t.for_range(0..n, 1, |_| {});
            t.for_range(0..100, 1, |_| {});
            t.barrier();
        },
    );
}

/// A late member whose first loop has the same length but another range: its
/// pieces would silently never run.
#[test]
fn a_late_member_with_another_range_panics() {
    expect_misuse(
        "late member, 0..8 against 8..16",
        &["team loop mismatch"],
        |t| {
            if t.index() != 0 {
                thread::sleep(Duration::from_millis(3));
            }
            let start = if t.index() == 0 { 0 } else { 8 };
            t.for_range(start..start + 8, 1, |_| {});
            t.for_range(0..100, 1, |_| {});
            t.barrier();
        },
    );
}

/// A piece panics and the member's body catches it: the loop can never
/// complete, and the region must say so instead of hanging.
#[test]
fn a_piece_panic_caught_inside_the_body_ends_the_region() {
    expect_misuse(
        "piece panic caught in the body",
        &["team region: a team loop's piece panicked", "team-test"],
        |t| {
            let _ = catch_unwind(AssertUnwindSafe(|| {
                t.for_range(0..10, 1, |r| {
                    if r.start == 3 {
                        panic!("team-test: piece 3 panics");
                    }
                });
            }));
            t.barrier();
        },
    );
}

/// Grain 0 means grain 1 everywhere: members may write either.
#[test]
fn grain_zero_and_one_are_the_same_loop() {
    quiet();
    for pool in team_pools() {
        let hits = AtomicUsize::new(0);
        pool.team(|t| {
            let grain = if t.index() == 0 { 0 } else { 1 };
            t.for_range(0..37, grain, |r| {
                hits.fetch_add(r.len(), Ordering::Relaxed);
            });
        });
        assert_eq!(hits.into_inner(), 37);
    }
}

// ---------------------------------------------------------------------------
// 3. A panic payload whose `Drop` panics neither kills a worker nor hangs.
// ---------------------------------------------------------------------------

/// A panic payload whose destructor panics (when not already unwinding).
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("bomb: a panic payload's Drop panicked");
        }
    }
}

/// Runs `f`, which must panic with a `Bomb`; leaks that payload (dropping it
/// would panic here).
fn expect_bomb(f: impl FnOnce()) {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    assert!(payload.is::<Bomb>(), "got {:?}", message(&*payload));
    std::mem::forget(payload);
}

#[test]
fn panic_payloads_whose_drop_panics_do_not_kill_workers() {
    quiet();
    within(
        Duration::from_secs(60),
        "payloads whose Drop panics",
        || {
            for threads in [2, 3, 8] {
                let pool = Pool::new(PoolConfig::new().threads(threads).cap_teams(false)).unwrap();
                for _ in 0..20 {
                    // Every piece panics: all payloads after the first are discarded.
                    expect_bomb(|| pool.for_range(0..64, 1, |_| std::panic::panic_any(Bomb)));
                    expect_bomb(|| pool.team(|_| std::panic::panic_any(Bomb)));
                    expect_bomb(|| {
                        pool.join(
                            || -> () { std::panic::panic_any(Bomb) },
                            || -> () { std::panic::panic_any(Bomb) },
                        );
                    });
                    expect_bomb(|| {
                        pool.scope(|s| {
                            for _ in 0..8 {
                                s.spawn(|_| std::panic::panic_any(Bomb));
                            }
                        })
                    });
                }
                // Every worker is alive: a team region needs all of them.
                let members = AtomicUsize::new(0);
                pool.team(|t| {
                    members.fetch_add(1, Ordering::Relaxed);
                    t.barrier();
                });
                assert_eq!(members.into_inner(), pool.team_size());
            }
        },
    );
}

// ---------------------------------------------------------------------------
// 4. More threads than CPUs: teams run one member per CPU, and stay correct.
// ---------------------------------------------------------------------------

#[test]
fn oversubscribed_teams_have_one_member_per_cpu() {
    let cpus = accel_pool::usable_cpus();
    for threads in [2, 8, 32, 64] {
        let pool = Pool::new(PoolConfig::new().threads(threads)).unwrap();
        assert_eq!(pool.team_size(), threads.min(cpus));
        let n = 4099;
        let mut a: Vec<u64> = (0..n as u64).collect();
        let mut b = vec![0u64; n];
        let (sa, sb) = (
            accel_pool::SharedSlice::new(&mut a),
            accel_pool::SharedSlice::new(&mut b),
        );
        let seen = AtomicBool::new(false);
        {
            pool.team(|t| {
                assert_eq!(t.size(), pool.team_size());
                assert!(t.index() < pool.team_size());
                seen.store(true, Ordering::Relaxed);
                for step in 0..20 {
                    let (src, dst) = if step % 2 == 0 {
                        (&sa, &sb)
                    } else {
                        (&sb, &sa)
                    };
                    for i in t.share(n) {
                        // SAFETY: shares are disjoint; `src` is only read this step.
                        unsafe { *dst.get_mut(i) = src.slice(0..n)[i] + 1 };
                    }
                    t.barrier();
                }
            });
        }
        assert!(seen.into_inner());
        assert!(a.iter().enumerate().all(|(i, &x)| x == i as u64 + 20));
    }
}

// ---------------------------------------------------------------------------
// 5. The default thread count is the process's, not the calling thread's.
// ---------------------------------------------------------------------------

/// Inside a team region every member is pinned to one CPU; the defaults read
/// there must still describe the whole process, and a `pin(false)` pool built
/// there must not inherit the member's one-CPU mask.
#[cfg(target_os = "linux")]
#[test]
fn defaults_read_inside_a_pinned_member_describe_the_process() {
    let outside = accel_pool::default_threads().0;
    let usable = accel_pool::usable_cpus();
    let allowed = accel_pool::allowed_cpus().len();
    let pool = Pool::new(PoolConfig::new().threads(2)).unwrap();
    let checked = AtomicUsize::new(0);
    pool.team(|t| {
        assert_eq!(
            accel_pool::default_threads().0,
            outside,
            "member {}",
            t.index()
        );
        assert_eq!(accel_pool::usable_cpus(), usable);
        if t.index() + 1 == t.size() {
            // The first use of the global pool in this test binary.
            assert_eq!(Pool::global().num_threads(), outside);
            let inner = Pool::new(PoolConfig::new().threads(2).pin(false)).unwrap();
            let widths = std::sync::Mutex::new(Vec::new());
            inner.team(|m| {
                if m.index() == 1 {
                    widths.lock().unwrap().push(affinity_width());
                }
            });
            for width in widths.into_inner().unwrap() {
                assert_eq!(width, allowed, "an unpinned worker's mask");
            }
        }
        checked.fetch_add(1, Ordering::Relaxed);
    });
    assert_eq!(checked.into_inner(), pool.team_size());
}

/// A thread whose mask the user narrowed keeps it for a `pin(false)` pool it
/// builds (as the OS would): only a pool's own one-CPU pin is widened.
#[cfg(target_os = "linux")]
#[test]
fn unpinned_workers_inherit_a_mask_the_user_narrowed() {
    let cpus = accel_pool::allowed_cpus();
    let Some(&first) = cpus.first() else {
        return;
    };
    thread::spawn(move || {
        // SAFETY: an all-zero cpu_set_t is a valid empty set; `first` is below
        // CPU_SETSIZE (it came from the mask); pid 0 is this thread.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(first, &mut set);
            assert_eq!(
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set),
                0
            );
        }
        let pool = Pool::new(PoolConfig::new().threads(2).pin(false)).unwrap();
        let width = std::sync::Mutex::new(0);
        pool.team(|t| {
            if t.index() == 1 {
                *width.lock().unwrap() = affinity_width();
            }
        });
        if pool.team_size() == 2 {
            assert_eq!(width.into_inner().unwrap(), 1, "the narrowed mask is kept");
        }
    })
    .join()
    .unwrap();
}

/// The number of CPUs in the calling thread's affinity mask.
#[cfg(target_os = "linux")]
fn affinity_width() -> usize {
    // SAFETY: an all-zero cpu_set_t is a valid empty set; pid 0 is this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        assert_eq!(
            libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set),
            0
        );
        libc::CPU_COUNT(&set) as usize
    }
}
