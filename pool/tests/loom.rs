//! loom models of the pool's synchronisation protocols.
//!
//! Run with (the CI command):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p accel-pool --release --test loom
//! ```
//!
//! Under loom every wait skips its spin phase and goes straight to the sleep
//! protocol, so the models explore sleeping and waking at every step. loom fails a
//! model on any deadlock (all threads parked with no token) — that is, on any lost
//! wake-up — and on any failed assertion.
#![cfg(loom)]

use std::sync::Arc;
use std::time::Duration;

use accel_pool::loom_support::{
    Barrier, BarrierError, CountLatch, Latch, LoopCall, Pieces, RegionSlot, Sleep, SpinPolicy,
    TeamLoops, init_shares, run_shares,
};
use accel_pool::{Pool, PoolConfig};
use crossbeam_utils::CachePadded;
use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use loom::thread;

const POLICY: SpinPolicy = SpinPolicy {
    window: Duration::ZERO,
    yield_between_polls: false,
};

fn two_thread_pool() -> Pool {
    Pool::new(PoolConfig::new().threads(2).pin(false).spin(Duration::ZERO)).unwrap()
}

/// The real pool: a team region with a barrier, then drop (workers asleep or not).
#[test]
fn pool_team_barrier_and_drop() {
    loom::model(|| {
        let pool = two_thread_pool();
        let arrived = AtomicUsize::new(0);
        pool.team(|t| {
            arrived.fetch_add(1, Ordering::Relaxed);
            t.barrier();
            assert_eq!(arrived.load(Ordering::Relaxed), 2);
        });
        drop(pool);
    });
}

/// Team loops: two members run two worksharing loops of two pieces (epoch-tagged
/// shares, completion counted in pieces, a member sleeping until its loop is done
/// and woken by the one that completes it). Every piece runs once per loop.
#[test]
fn team_loops_complete_and_cover() {
    loom::model(|| {
        let sleep = Arc::new(Sleep::new(2));
        let barrier = Arc::new(Barrier::new(2, POLICY));
        let loops = Arc::new(TeamLoops::new(2));
        let hits: Arc<[AtomicUsize]> = (0..4).map(|_| AtomicUsize::new(0)).collect();
        let member = |me: usize| {
            let (sleep, barrier, loops, hits) =
                (sleep.clone(), barrier.clone(), loops.clone(), hits.clone());
            move || {
                sleep.set_thread(me, thread::current());
                for epoch in 1..=2u32 {
                    let mut run = |lo: usize, hi: usize| {
                        for piece in lo..hi {
                            hits[(epoch as usize - 1) * 2 + piece].fetch_add(1, Ordering::Relaxed);
                        }
                    };
                    let call = LoopCall {
                        epoch,
                        pieces: 2,
                        target: 2 * u64::from(epoch),
                        signature: 7,
                    };
                    loops
                        .run(me, call, &mut run, &barrier, &sleep, POLICY)
                        .unwrap();
                    // Completion orders the whole loop before what follows.
                    let base = (epoch as usize - 1) * 2;
                    assert_eq!(hits[base].load(Ordering::Relaxed), 1);
                    assert_eq!(hits[base + 1].load(Ordering::Relaxed), 1);
                }
            }
        };
        let other = thread::spawn(member(1));
        member(0)();
        other.join().unwrap();
    });
}

/// The real pool: a parallel loop (static shares, stealing, region close) covers
/// every index exactly once.
#[test]
fn pool_loop_covers_once() {
    loom::model(|| {
        let pool = two_thread_pool();
        let hits = [
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        ];
        pool.for_range(0..3, 1, |r| {
            for i in r {
                hits[i].fetch_add(1, Ordering::Relaxed);
            }
        });
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
    });
}

/// The real pool: `join` whose second half may be stolen (the joiner then
/// sleeps on its latch and must be woken).
#[test]
fn pool_join_stolen_or_not() {
    loom::model(|| {
        let pool = two_thread_pool();
        let (a, b) = pool.install(|| pool.join(|| 1, || 2));
        assert_eq!((a, b), (1, 2));
    });
}

/// The real pool with two workers: the team needs both, so the region's tree wake
/// (the caller wakes, entering workers pass it on) must reach every sleeper, and
/// the caller — asleep while it waits — must be woken by the last one out.
#[test]
fn pool_three_thread_team() {
    // Three threads multiply the schedules: one preemption keeps it to seconds.
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(|| {
        // Uncapped: on a machine with fewer than 3 CPUs the team would shrink.
        let config = PoolConfig::new().threads(3).pin(false).spin(Duration::ZERO);
        let pool = Pool::new(config.cap_teams(false)).unwrap();
        let members = AtomicUsize::new(0);
        pool.team(|_| {
            members.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(members.load(Ordering::Relaxed), 3);
    });
}

/// The real pool with three threads and teams capped at the CPU count: on a
/// machine with fewer than three CPUs (CI's) the team is smaller than the pool,
/// and the worker left out must neither be needed nor keep the region open.
#[test]
fn pool_capped_team() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(1);
    builder.check(|| {
        let config = PoolConfig::new().threads(3).pin(false).spin(Duration::ZERO);
        let pool = Pool::new(config).unwrap();
        let members = AtomicUsize::new(0);
        pool.team(|t| {
            members.fetch_add(1, Ordering::Relaxed);
            t.barrier();
        });
        assert_eq!(members.load(Ordering::Relaxed), pool.team_size());
    });
}

/// The real pool: scope spawns (boxed jobs, the scope's counting latch, its owner
/// sleeping until a thief finishes).
#[test]
fn pool_scope_spawns() {
    loom::model(|| {
        let pool = two_thread_pool();
        let hits = AtomicUsize::new(0);
        pool.scope(|s| {
            s.spawn(|_| {
                hits.fetch_add(1, Ordering::Relaxed);
            });
            s.spawn(|_| {
                hits.fetch_add(1, Ordering::Relaxed);
            });
        });
        assert_eq!(hits.load(Ordering::Relaxed), 2);
    });
}

/// Loop shares: two workers run a 3-unit loop (front takes, back-half steals);
/// every unit runs exactly once.
#[test]
fn shares_run_each_unit_once() {
    loom::model(|| {
        let shares: Arc<[CachePadded<AtomicU64>]> = (0..2)
            .map(|_| CachePadded::new(AtomicU64::new(0)))
            .collect();
        init_shares(&shares, |w| if w == 0 { 0..1 } else { 1..3 });
        let hits: Arc<[AtomicUsize]> = (0..3).map(|_| AtomicUsize::new(0)).collect();
        let cancelled = Arc::new(AtomicBool::new(false));
        let other = {
            let shares: Arc<[CachePadded<AtomicU64>]> = Arc::clone(&shares);
            let hits: Arc<[AtomicUsize]> = Arc::clone(&hits);
            let cancelled = Arc::clone(&cancelled);
            thread::spawn(move || {
                run_shares(&shares, 1, &Pieces, &cancelled, |lo, hi| {
                    for u in lo..hi {
                        hits[u].fetch_add(1, Ordering::Relaxed);
                    }
                });
            })
        };
        run_shares(&shares, 0, &Pieces, &cancelled, |lo, hi| {
            for u in lo..hi {
                hits[u].fetch_add(1, Ordering::Relaxed);
            }
        });
        other.join().unwrap();
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
    });
}

/// Sleep/wake: two workers sleep until a team region opens; the opener wakes at
/// most one, and each entering worker passes the wake on (the pool's tree wake,
/// with a fan-out of 1 to stress it). The opener itself sleeps while it waits for
/// the region, so a wake spent on it would strand a member: no worker may sleep
/// through the region.
#[test]
fn region_wake_reaches_every_sleeper() {
    loom::model(|| {
        let sleep = Arc::new(Sleep::new(3));
        let slot = Arc::new(RegionSlot::new());
        sleep.set_thread(0, thread::current());
        let workers: Vec<_> = (1..3)
            .map(|idx| {
                let (sleep, slot) = (sleep.clone(), slot.clone());
                thread::spawn(move || {
                    sleep.set_thread(idx, thread::current());
                    let last = std::cell::Cell::new(0);
                    let entered = std::cell::Cell::new(false);
                    sleep.wait_until(
                        idx,
                        POLICY,
                        || entered.get(),
                        |_| {
                            let mut l = last.get();
                            let got = slot.try_enter(&mut l, idx, 2);
                            last.set(l);
                            got
                        },
                        |_| {
                            sleep.wake_workers(1);
                            slot.leave(&sleep);
                            entered.set(true);
                        },
                        || slot.has_new(last.get()),
                    );
                })
            })
            .collect();
        // A team region over a null body: the workers above never run it.
        slot.open(std::ptr::null(), true);
        sleep.wake_workers(1);
        sleep.wait_until(
            0,
            POLICY,
            || slot.is_done(),
            |_| None::<()>,
            |_| {},
            || false,
        );
        for w in workers {
            w.join().unwrap();
        }
    });
}

/// Latches: a setter on another thread wakes an owner that may be asleep.
#[test]
fn latch_wakes_its_owner() {
    loom::model(|| {
        let sleep = Arc::new(Sleep::new(2));
        sleep.set_thread(0, thread::current());
        let latch = Arc::new(Latch::new(0));
        let count = Arc::new(CountLatch::new(2, 0));
        let setter = {
            let (sleep, latch, count) = (sleep.clone(), latch.clone(), count.clone());
            thread::spawn(move || {
                // SAFETY: the latches are kept alive by the Arcs.
                unsafe {
                    Latch::set(&*latch, &sleep);
                    CountLatch::decrement(&*count, &sleep);
                }
            })
        };
        sleep.wait_until(
            0,
            POLICY,
            || latch.probe(),
            |_| None::<()>,
            |_| {},
            || false,
        );
        // SAFETY: as above.
        unsafe { CountLatch::decrement(&*count, &sleep) };
        sleep.wait_until(
            0,
            POLICY,
            || count.probe(),
            |_| None::<()>,
            |_| {},
            || false,
        );
        setter.join().unwrap();
    });
}

fn barrier_team(members: usize, body: impl Fn(usize, &Barrier, &dyn Fn()) + Send + Sync + 'static) {
    let barrier = Arc::new(Barrier::new(members, POLICY));
    let handles: Arc<loom::sync::Mutex<Vec<thread::Thread>>> = Arc::default();
    let body = Arc::new(body);
    let spawned: Vec<_> = (1..members)
        .map(|i| {
            let (barrier, handles, body) = (barrier.clone(), handles.clone(), body.clone());
            thread::spawn(move || {
                handles.lock().unwrap().push(thread::current());
                let wake = || {
                    handles
                        .lock()
                        .unwrap()
                        .iter()
                        .for_each(thread::Thread::unpark)
                };
                body(i, &barrier, &wake);
            })
        })
        .collect();
    handles.lock().unwrap().push(thread::current());
    let wake = || {
        handles
            .lock()
            .unwrap()
            .iter()
            .for_each(thread::Thread::unpark)
    };
    body(0, &barrier, &wake);
    for s in spawned {
        s.join().unwrap();
    }
}

/// The barrier: two rounds with two members; nobody passes a round early and
/// nobody sleeps through its end.
#[test]
fn barrier_two_rounds() {
    loom::model(|| {
        let arrived = Arc::new(AtomicUsize::new(0));
        barrier_team(2, move |_, barrier, wake| {
            for round in 1..=2 {
                arrived.fetch_add(1, Ordering::Relaxed);
                barrier.wait(wake).unwrap();
                assert!(arrived.load(Ordering::Relaxed) >= 2 * round);
            }
        });
    });
}

/// The barrier publishes plain (non-atomic) writes: each member writes its own
/// cell before a round and reads the other's after it, twice; loom reports any
/// read not ordered after the write it must see as a data race.
#[test]
fn barrier_publishes_plain_writes() {
    use loom::cell::UnsafeCell;
    struct Cells([UnsafeCell<usize>; 2]);
    // SAFETY: the barrier orders every access (that is what the model checks).
    unsafe impl Sync for Cells {}
    loom::model(|| {
        let cells = Arc::new(Cells([UnsafeCell::new(0), UnsafeCell::new(0)]));
        barrier_team(2, move |i, barrier, wake| {
            for round in 1..=2 {
                // SAFETY: only member `i` writes cell `i`, and only between barriers.
                cells.0[i].with_mut(|c| unsafe { *c = round });
                barrier.wait(wake).unwrap();
                // SAFETY: the other member wrote its cell before this round's
                // barrier and writes it again only after the next one.
                let other = cells.0[1 - i].with(|c| unsafe { *c });
                assert_eq!(other, round);
                barrier.wait(wake).unwrap();
            }
        });
    });
}

/// The barrier: a poisoning member releases the waiters with an error.
#[test]
fn barrier_poison_releases_waiters() {
    loom::model(|| {
        barrier_team(2, |i, barrier, wake| {
            if i == 0 {
                barrier.poison(wake);
            } else {
                assert_eq!(barrier.wait(wake), Err(BarrierError::Poisoned));
            }
        });
    });
}

/// The barrier: a member that returns without arriving makes the waiter fail
/// with a mismatch, not hang; one that arrives and then returns does not.
#[test]
fn barrier_departure_is_detected() {
    loom::model(|| {
        barrier_team(2, |i, barrier, wake| {
            if i == 0 {
                barrier.depart(wake);
            } else {
                assert_eq!(barrier.wait(wake), Err(BarrierError::Mismatch));
            }
        });
    });
    loom::model(|| {
        barrier_team(2, |_, barrier, wake| {
            barrier.wait(wake).unwrap();
            barrier.depart(wake);
        });
    });
}
