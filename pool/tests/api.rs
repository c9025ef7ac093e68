//! Every API against its serial reference, with 1, 2, 3 and 16 threads (16 is
//! more threads than this machine's cores), on edge sizes.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use accel_pool::{PinningStatus, Pool, PoolConfig, PoolError, SharedSlice};

const THREADS: [usize; 4] = [1, 2, 3, 16];
/// Edge sizes: empty, one, primes, sizes around the thread counts, a larger one.
const SIZES: [usize; 10] = [0, 1, 2, 3, 7, 15, 16, 17, 97, 10_007];

fn pools() -> Vec<Pool> {
    THREADS
        .iter()
        .map(|&t| Pool::new(PoolConfig::new().threads(t)).expect("pool"))
        .collect()
}

/// A cheap pseudo-random value per index, so results depend on every item.
fn value(i: usize) -> u64 {
    let mut x = i as u64 ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

/// Records every index a loop visits; checks each appears exactly once.
fn assert_exact_cover(visits: Vec<usize>, range: Range<usize>) {
    let mut visits = visits;
    visits.sort_unstable();
    assert_eq!(visits, range.collect::<Vec<_>>());
}

#[test]
fn for_range_covers_every_index_once() {
    for pool in pools() {
        for &n in &SIZES {
            for grain in [0, 1, 3, 64] {
                let start = 5;
                let seen = Mutex::new(Vec::new());
                pool.for_range(start..start + n, grain, |r| {
                    assert!(!r.is_empty());
                    seen.lock().unwrap().extend(r);
                });
                assert_exact_cover(seen.into_inner().unwrap(), start..start + n);
            }
        }
    }
}

#[test]
fn for_range_pieces_respect_the_grain() {
    for pool in pools().into_iter().filter(|p| p.num_threads() > 1) {
        let pieces = Mutex::new(Vec::new());
        pool.for_range(0..1000, 100, |r| pieces.lock().unwrap().push(r));
        let mut pieces = pieces.into_inner().unwrap();
        pieces.sort_by_key(|r| r.start);
        let expected: Vec<Range<usize>> = (0..10).map(|k| k * 100..(k + 1) * 100).collect();
        assert_eq!(pieces, expected);
    }
}

#[test]
fn for_each_chunk_mut_writes_like_serial() {
    for pool in pools() {
        for &n in &SIZES {
            let mut parallel = vec![0u64; n];
            pool.for_each_chunk_mut(&mut parallel, 13, |offset, chunk| {
                for (i, x) in chunk.iter_mut().enumerate() {
                    *x = value(offset + i);
                }
            });
            let serial: Vec<u64> = (0..n).map(value).collect();
            assert_eq!(
                parallel,
                serial,
                "n = {n}, threads = {}",
                pool.num_threads()
            );
        }
    }
}

#[test]
fn for_weighted_covers_every_item_once() {
    for pool in pools() {
        for &n in &SIZES {
            let costs: Vec<u64> = (0..n).map(|i| value(i) % 1000).collect();
            for grain in [1, 500, u64::MAX] {
                let seen = Mutex::new(Vec::new());
                pool.for_weighted_with_grain(&costs, grain, |items| {
                    assert!(!items.is_empty());
                    seen.lock().unwrap().extend(items);
                });
                assert_exact_cover(seen.into_inner().unwrap(), 0..n);
            }
            let seen = Mutex::new(Vec::new());
            pool.for_weighted(&costs, |items| seen.lock().unwrap().extend(items));
            assert_exact_cover(seen.into_inner().unwrap(), 0..n);
        }
    }
}

#[test]
fn for_weighted_handles_zero_and_huge_costs() {
    for pool in pools() {
        for costs in [vec![0u64; 50], vec![u64::MAX; 50], vec![u64::MAX / 3; 7]] {
            let seen = Mutex::new(Vec::new());
            pool.for_weighted_with_grain(&costs, 1, |items| seen.lock().unwrap().extend(items));
            assert_exact_cover(seen.into_inner().unwrap(), 0..costs.len());
        }
    }
}

#[test]
fn for_weighted_runs_inline_below_one_grain() {
    let pool = Pool::new(PoolConfig::new().threads(2)).unwrap();
    let calls = AtomicUsize::new(0);
    pool.for_weighted_with_grain(&[10, 20, 30], 60, |items| {
        assert_eq!(items, 0..3);
        calls.fetch_add(1, Ordering::Relaxed);
    });
    assert_eq!(calls.into_inner(), 1);
}

#[test]
fn reduce_equals_serial_fold() {
    for pool in pools() {
        for &n in &SIZES {
            for grain in [1, 7, 100] {
                let start = 3;
                let range = start..start + n;
                // A non-associative combine: any change of order or grouping shows.
                let parallel = pool.reduce(
                    range.clone(),
                    grain,
                    || 1u64,
                    |r| {
                        r.map(value)
                            .fold(0u64, |a, v| a.wrapping_mul(31).wrapping_add(v))
                    },
                    |acc, x| acc.wrapping_mul(1_000_003) ^ x,
                );
                let mut serial = 1u64;
                let mut lo = range.start;
                while lo < range.end {
                    let hi = (lo + grain).min(range.end);
                    let piece = (lo..hi)
                        .map(value)
                        .fold(0u64, |a, v| a.wrapping_mul(31).wrapping_add(v));
                    serial = serial.wrapping_mul(1_000_003) ^ piece;
                    lo = hi;
                }
                assert_eq!(
                    parallel,
                    serial,
                    "n = {n}, grain = {grain}, threads = {}",
                    pool.num_threads()
                );
            }
        }
    }
}

#[test]
fn reduce_of_floats_is_bit_identical_across_thread_counts() {
    let data: Vec<f64> = (0..50_000)
        .map(|i| (value(i) % 1_000_000) as f64 * 1e-3 - 400.0)
        .collect();
    let sums: Vec<u64> = pools()
        .iter()
        .map(|pool| {
            pool.reduce(
                0..data.len(),
                333,
                || 0.0f64,
                |r| data[r].iter().sum::<f64>(),
                |a, b| a + b,
            )
            .to_bits()
        })
        .collect();
    assert!(sums.windows(2).all(|w| w[0] == w[1]), "{sums:?}");
}

#[test]
fn join_returns_both_results() {
    for pool in pools() {
        let (a, b) = pool.join(|| value(1), || value(2));
        assert_eq!((a, b), (value(1), value(2)));
    }
}

fn tree_sum(pool: &Pool, range: Range<usize>) -> u64 {
    if range.len() <= 64 {
        return range.map(value).fold(0, u64::wrapping_add);
    }
    let mid = range.start + range.len() / 2;
    let (a, b) = pool.join(
        || tree_sum(pool, range.start..mid),
        || tree_sum(pool, mid..range.end),
    );
    a.wrapping_add(b)
}

#[test]
fn recursive_join_equals_serial_sum() {
    let serial = (0..100_000).map(value).fold(0, u64::wrapping_add);
    for pool in pools() {
        assert_eq!(tree_sum(&pool, 0..100_000), serial);
    }
}

#[test]
fn scope_runs_every_spawn_once() {
    for pool in pools() {
        let hits: Vec<AtomicUsize> = (0..200).map(|_| AtomicUsize::new(0)).collect();
        let hits = &hits;
        let returned = pool.scope(|s| {
            for i in 0..100 {
                s.spawn(move |s| {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                    s.spawn(move |_| {
                        hits[100 + i].fetch_add(1, Ordering::Relaxed);
                    });
                });
            }
            7
        });
        assert_eq!(returned, 7);
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
    }
}

#[test]
fn scope_spawns_may_borrow_mutably() {
    for pool in pools() {
        let mut parts = vec![0u64; 37];
        pool.scope(|s| {
            for (i, p) in parts.iter_mut().enumerate() {
                s.spawn(move |_| *p = value(i));
            }
        });
        assert_eq!(parts, (0..37).map(value).collect::<Vec<_>>());
    }
}

#[test]
fn team_runs_each_member_once_with_working_barriers() {
    // Uncapped pools too: teams larger than the machine must still be correct.
    let uncapped = THREADS
        .iter()
        .map(|&t| Pool::new(PoolConfig::new().threads(t).cap_teams(false)).expect("pool"));
    for pool in pools().into_iter().chain(uncapped) {
        let size = pool.team_size();
        assert!(size <= pool.num_threads());
        let per_member: Vec<AtomicU64> = (0..size).map(|_| AtomicU64::new(0)).collect();
        let round = AtomicU64::new(0);
        pool.team(|t| {
            assert_eq!(t.size(), size);
            for step in 0..50u64 {
                per_member[t.index()].fetch_add(1, Ordering::Relaxed);
                round.fetch_add(1, Ordering::Relaxed);
                t.barrier();
                // everyone has counted this step before anyone passes
                assert!(round.load(Ordering::Relaxed) >= (step + 1) * size as u64);
                t.barrier();
            }
        });
        assert!(per_member.iter().all(|c| c.load(Ordering::Relaxed) == 50));
    }
}

/// One step of the 5-point stencil (interior only, borders copied) on the rows
/// `rows` of `src`, written to `out`, which holds exactly those rows.
fn stencil_rows(src: &[f64], out: &mut [f64], w: usize, rows: Range<usize>) {
    let h = src.len() / w;
    for (y, out_row) in rows.zip(out.chunks_exact_mut(w)) {
        for (x, o) in out_row.iter_mut().enumerate() {
            let i = y * w + x;
            *o = if x == 0 || y == 0 || x == w - 1 || y == h - 1 {
                src[i]
            } else {
                0.2 * (src[i] + src[i - 1] + src[i + 1] + src[i - w] + src[i + w])
            };
        }
    }
}

/// `iters` serial steps of the stencil from `init`: the team tests' reference.
fn stencil_serial(init: &[f64], w: usize, iters: usize) -> Vec<f64> {
    let h = init.len() / w;
    let mut serial = init.to_vec();
    let mut tmp = vec![0.0; w * h];
    for _ in 0..iters {
        stencil_rows(&serial, &mut tmp, w, 0..h);
        std::mem::swap(&mut serial, &mut tmp);
    }
    serial
}

#[test]
fn team_stencil_equals_serial() {
    let (w, h, iters) = (37, 29, 25);
    let init: Vec<f64> = (0..w * h).map(|i| (value(i) % 100) as f64).collect();
    let serial = stencil_serial(&init, w, iters);
    for pool in pools() {
        let mut a = init.clone();
        let mut b = vec![0.0; w * h];
        {
            let (sa, sb) = (SharedSlice::new(&mut a), SharedSlice::new(&mut b));
            pool.team(|t| {
                let rows = t.share(h);
                for it in 0..iters {
                    let (src, dst) = if it % 2 == 0 { (&sa, &sb) } else { (&sb, &sa) };
                    // SAFETY: during a step only `dst` is written, each row by
                    // exactly one member; barriers separate the steps.
                    let (src, dst_rows) = unsafe {
                        (
                            src.slice(0..w * h),
                            dst.slice_mut(rows.start * w..rows.end * w),
                        )
                    };
                    stencil_rows(src, dst_rows, w, rows.clone());
                    t.barrier();
                }
            });
        }
        let result = if iters % 2 == 0 { a } else { b };
        assert_eq!(result, serial, "threads = {}", pool.num_threads());
    }
}

#[test]
fn nested_calls_inside_loops_and_teams_are_correct() {
    for pool in pools() {
        let total = AtomicU64::new(0);
        pool.for_range(0..8, 1, |outer| {
            for o in outer {
                let inner = pool.reduce(
                    0..1000,
                    10,
                    || 0u64,
                    |r| r.map(value).fold(0, u64::wrapping_add),
                    u64::wrapping_add,
                );
                let (x, y) = pool.join(|| o as u64, || inner);
                total.fetch_add(x.wrapping_add(y) & 0xFFFF, Ordering::Relaxed);
                pool.team(|t| assert_eq!(t.size(), 1));
            }
        });
        let inner = (0..1000).map(value).fold(0, u64::wrapping_add);
        let expected: u64 = (0..8u64).map(|o| o.wrapping_add(inner) & 0xFFFF).sum();
        assert_eq!(total.into_inner(), expected);
    }
}

#[test]
fn install_makes_the_caller_worker_zero() {
    for pool in pools().into_iter().filter(|p| p.num_threads() > 1) {
        assert_eq!(pool.current_worker(), None);
        pool.install(|| {
            assert_eq!(pool.current_worker(), Some(0));
            pool.team(|t| {
                assert_eq!(t.size(), pool.team_size());
                assert_eq!(pool.current_worker(), Some(t.index()));
            });
        });
        assert_eq!(pool.current_worker(), None);
    }
}

#[test]
fn team_members_are_stable_threads() {
    let pool = Pool::new(PoolConfig::new().threads(3)).unwrap();
    let first: Vec<Mutex<Option<std::thread::ThreadId>>> =
        (0..3).map(|_| Mutex::new(None)).collect();
    pool.install(|| {
        for _ in 0..20 {
            pool.team(|t| {
                let me = std::thread::current().id();
                let mut slot = first[t.index()].lock().unwrap();
                assert_eq!(
                    *slot.get_or_insert(me),
                    me,
                    "member {} moved threads",
                    t.index()
                );
            });
        }
    });
}

#[test]
fn config_errors_and_status() {
    assert_eq!(
        Pool::new(PoolConfig::new().threads(0)).unwrap_err(),
        PoolError::ZeroThreads
    );
    let too_many = accel_pool::MAX_THREADS + 1;
    assert_eq!(
        Pool::new(PoolConfig::new().threads(too_many)).unwrap_err(),
        PoolError::TooManyThreads {
            requested: too_many,
            max: accel_pool::MAX_THREADS
        }
    );
    assert!(PoolError::ZeroThreads.to_string().contains('0'));
    let one = Pool::new(PoolConfig::new().threads(1)).unwrap();
    assert_eq!(one.pinning(), PinningStatus::SingleThread);
    let unpinned = Pool::new(PoolConfig::new().threads(2).pin(false)).unwrap();
    assert_eq!(unpinned.pinning(), PinningStatus::Disabled);
    let cpus = accel_pool::allowed_cpus();
    let over = Pool::new(PoolConfig::new().threads(cpus.len() + 1)).unwrap();
    if !cpus.is_empty() {
        assert_eq!(
            over.pinning(),
            PinningStatus::Oversubscribed {
                threads: cpus.len() + 1,
                cpus: cpus.len()
            }
        );
    }
    if cpus.len() >= 2 {
        let pinned = Pool::new(PoolConfig::new().threads(2)).unwrap();
        // Pinning may be refused in odd sandboxes; then the status says so.
        match pinned.pinning() {
            PinningStatus::Pinned { cpus: got } => assert_eq!(got, cpus[..2].to_vec()),
            PinningStatus::Failed { .. } => {}
            other => panic!("unexpected pinning status {other}"),
        }
    }
}

#[test]
fn default_threads_is_consistent_with_the_cpu_set() {
    let (threads, reason) = accel_pool::default_threads();
    assert!(threads >= 1);
    assert!(!reason.to_string().is_empty());
    if std::env::var_os(accel_pool::THREADS_ENV).is_none() {
        let cpus = accel_pool::allowed_cpus().len();
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cpus > 0 {
            assert_eq!(threads, cpus.min(available));
        }
    }
    assert!(Pool::global().num_threads() >= 1);
}

#[test]
fn shared_slice_bounds_are_checked() {
    let mut v = vec![0u8; 4];
    let s = SharedSlice::new(&mut v);
    let out_of_bounds = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: no other access; the call panics before touching memory.
        unsafe { s.slice_mut(2..5) }.len()
    }));
    assert!(out_of_bounds.is_err());
}

#[test]
fn team_loop_stencil_equals_serial() {
    let (w, h, iters) = (41, 37, 30);
    let init: Vec<f64> = (0..w * h).map(|i| (value(i) % 100) as f64).collect();
    let serial = stencil_serial(&init, w, iters);
    for pool in pools() {
        for grain in [1, 3, 100] {
            let mut a = init.clone();
            let mut b = vec![0.0; w * h];
            {
                let (sa, sb) = (SharedSlice::new(&mut a), SharedSlice::new(&mut b));
                pool.team(|t| {
                    for it in 0..iters {
                        let (src, dst) = if it % 2 == 0 { (&sa, &sb) } else { (&sb, &sa) };
                        t.for_range(0..h, grain, |rows| {
                            // SAFETY: pieces are disjoint row ranges of `dst`;
                            // `src` is only read during this loop.
                            let (src, out) = unsafe {
                                (
                                    src.slice(0..w * h),
                                    dst.slice_mut(rows.start * w..rows.end * w),
                                )
                            };
                            stencil_rows(src, out, w, rows);
                        });
                    }
                });
            }
            let result = if iters % 2 == 0 { a } else { b };
            assert_eq!(
                result,
                serial,
                "threads = {}, grain = {grain}",
                pool.num_threads()
            );
        }
    }
}

#[test]
fn team_loops_cover_each_index_once() {
    for pool in pools() {
        for &n in &SIZES {
            let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            pool.team(|t| {
                for _ in 0..5 {
                    t.for_range(0..n, 2, |r| {
                        for i in r {
                            hits[i].fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
            });
            assert!(
                hits.iter().all(|h| h.load(Ordering::Relaxed) == 5),
                "n = {n}"
            );
        }
    }
}

#[test]
fn team_loops_do_not_wait_for_a_late_member() {
    let pool = Pool::new(PoolConfig::new().threads(3)).unwrap();
    let loops = 20;
    let completed = AtomicUsize::new(0);
    let seen_when_late_member_arrived = AtomicUsize::new(usize::MAX);
    let hits: Vec<AtomicUsize> = (0..300).map(|_| AtomicUsize::new(0)).collect();
    pool.team(|t| {
        if t.index() == 2 {
            // A member the OS "preempts" for a long time before its first loop.
            std::thread::sleep(std::time::Duration::from_millis(100));
            seen_when_late_member_arrived.store(completed.load(Ordering::SeqCst), Ordering::SeqCst);
        }
        for _ in 0..loops {
            t.for_range(0..300, 10, |r| {
                for i in r {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                }
            });
            if t.index() == 0 {
                completed.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == loops));
    // With arrival barriers this would be 0: nobody could pass loop 1 without it.
    assert!(seen_when_late_member_arrived.into_inner() >= 1);
}

#[test]
fn the_caller_is_pinned_during_team_regions_only() {
    let pool = Pool::new(PoolConfig::new().threads(2)).unwrap();
    let Some(cpu) = pool.pinning().caller_cpu() else {
        // Pinning is unavailable here (one allowed CPU, or no CPU set): the
        // status says so and there is nothing to check.
        assert!(!pool.pinning().is_pinned(), "{}", pool.pinning());
        return;
    };
    let before = core_affinity::get_core_ids().expect("affinity readable when pinned");
    let inside = std::sync::Mutex::new(None);
    pool.team(|t| {
        if t.index() == 0 {
            *inside.lock().unwrap() = core_affinity::get_core_ids();
        }
        t.barrier();
    });
    let inside = inside.into_inner().unwrap().expect("member 0 ran");
    assert_eq!(inside.iter().map(|c| c.id).collect::<Vec<_>>(), [cpu]);
    let after = core_affinity::get_core_ids().unwrap();
    assert_eq!(
        after.iter().map(|c| c.id).collect::<Vec<_>>(),
        before.iter().map(|c| c.id).collect::<Vec<_>>(),
        "the caller's mask is restored"
    );
    // Also after a panicking region.
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pool.team(|t| assert!(t.index() != 0, "member 0 fails"));
    }));
    assert!(caught.is_err());
    assert_eq!(core_affinity::get_core_ids().unwrap().len(), before.len());
}
