//! The cost of parallelism itself, accel vs rayon vs serial in the same run:
//! an empty parallel loop (called from outside the pool and from inside it),
//! barrier latency, `join`, `scope` + `spawn`, a reduction of one partial per
//! thread, and oversubscription: 100 iterations of a small 3-point average
//! (16 K elements) with a barrier per iteration, on pools of 2, 8, 32 and 64
//! threads whatever the machine (teams capped at the CPU count, as by default,
//! and uncapped), against a team loop, rayon and serial; and `Pool::map_formula`
//! on tiny inputs (1 to 1000 elements) against one serial call of the same
//! executor (`simd::map`), which it must never lose to.
//!
//! `cargo bench -p accel-pool --bench overhead`

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use rayon::prelude::*;

mod common;

fn empty_loop(c: &mut Criterion) {
    let (pool, rayon) = common::pools();
    let p = pool.num_threads();
    let mut group = c.benchmark_group(format!("empty_loop_outside/{p}_threads"));
    group.bench_function("accel", |b| {
        b.iter(|| {
            pool.for_range(0..p, 1, |r| {
                black_box(r);
            })
        });
    });
    group.bench_function("rayon", |b| {
        b.iter(|| {
            rayon.install(|| {
                (0..p).into_par_iter().with_min_len(1).for_each(|i| {
                    black_box(i);
                });
            });
        });
    });
    group.bench_function("serial", |b| {
        b.iter(|| {
            for i in 0..p {
                black_box(i);
            }
        });
    });
    group.finish();

    let mut group = c.benchmark_group(format!("empty_loop_inside/{p}_threads"));
    group.bench_function("accel", |b| {
        pool.install(|| {
            b.iter(|| {
                pool.for_range(0..p, 1, |r| {
                    black_box(r);
                })
            });
        });
    });
    group.bench_function("rayon", |b| {
        rayon.install(|| {
            b.iter(|| {
                (0..p).into_par_iter().with_min_len(1).for_each(|i| {
                    black_box(i);
                });
            });
        });
    });
    group.bench_function("serial", |b| {
        b.iter(|| {
            for i in 0..p {
                black_box(i);
            }
        });
    });
    group.finish();
}

fn barrier(c: &mut Criterion) {
    let (pool, rayon) = common::pools();
    let p = pool.num_threads();
    let mut group = c.benchmark_group(format!("barrier/{p}_threads"));
    // One region runs `iters` barriers: the fork and join are amortised away.
    group.bench_function("accel", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            pool.team(|t| {
                for _ in 0..iters {
                    t.barrier();
                }
            });
            start.elapsed()
        });
    });
    group.bench_function("rayon", |b| {
        b.iter_custom(|iters| {
            let barrier = std::sync::Barrier::new(p);
            let start = Instant::now();
            rayon.broadcast(|_| {
                for _ in 0..iters {
                    barrier.wait();
                }
            });
            start.elapsed()
        });
    });
    group.bench_function("serial", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(());
            }
            start.elapsed()
        });
    });
    group.finish();
}

fn join(c: &mut Criterion) {
    let (pool, rayon) = common::pools();
    let p = pool.num_threads();
    let mut group = c.benchmark_group(format!("join/{p}_threads"));
    group.bench_function("accel", |b| {
        pool.install(|| b.iter(|| pool.join(|| black_box(1u64), || black_box(2u64))));
    });
    group.bench_function("rayon", |b| {
        rayon.install(|| b.iter(|| rayon::join(|| black_box(1u64), || black_box(2u64))));
    });
    group.bench_function("serial", |b| {
        b.iter(|| (black_box(1u64), black_box(2u64)));
    });
    group.finish();

    let mut group = c.benchmark_group(format!("scope_spawn/{p}_threads"));
    group.bench_function("accel", |b| {
        pool.install(|| {
            b.iter(|| {
                pool.scope(|s| {
                    s.spawn(|_| {
                        black_box(1u64);
                    });
                });
            });
        });
    });
    group.bench_function("rayon", |b| {
        rayon.install(|| {
            b.iter(|| {
                rayon::scope(|s| {
                    s.spawn(|_| {
                        black_box(1u64);
                    });
                });
            });
        });
    });
    group.bench_function("serial", |b| {
        b.iter(|| black_box(1u64));
    });
    group.finish();
}

fn reduce_partials(c: &mut Criterion) {
    let (pool, rayon) = common::pools();
    let p = pool.num_threads();
    let mut group = c.benchmark_group(format!("reduce_p_partials/{p}_threads"));
    group.bench_function("accel", |b| {
        b.iter(|| {
            pool.reduce(
                0..p,
                1,
                || 0.0f64,
                |r| black_box(r.start as f64 * 0.5),
                |a, b| a + b,
            )
        });
    });
    group.bench_function("rayon", |b| {
        b.iter(|| {
            rayon.install(|| {
                (0..p)
                    .into_par_iter()
                    .with_min_len(1)
                    .map(|i| black_box(i as f64 * 0.5))
                    .sum::<f64>()
            })
        });
    });
    group.bench_function("serial", |b| {
        b.iter(|| (0..p).map(|i| black_box(i as f64 * 0.5)).sum::<f64>());
    });
    group.finish();
}

/// Elements of the oversubscription workload (≈ 16 K, as in the audit).
const OVERSUB_N: usize = 16 * 1024;
/// Iterations per run.
const OVERSUB_ITERS: usize = 100;

/// One 3-point average step of `src` into `dst[range]` (zero outside).
#[inline]
fn average_step(src: &[f64], dst: &mut [f64], range: std::ops::Range<usize>) {
    let n = src.len();
    for (d, i) in dst.iter_mut().zip(range) {
        let left = if i > 0 { src[i - 1] } else { 0.0 };
        let right = if i + 1 < n { src[i + 1] } else { 0.0 };
        *d = 0.25 * left + 0.5 * src[i] + 0.25 * right;
    }
}

/// 100 iterations on a team with a barrier per iteration, each member on its
/// static share.
fn team_barrier_run(pool: &accel_pool::Pool, a: &mut [f64], b: &mut [f64]) {
    let n = a.len();
    let (sa, sb) = (
        accel_pool::SharedSlice::new(a),
        accel_pool::SharedSlice::new(b),
    );
    pool.team(|t| {
        let mine = t.share(n);
        for step in 0..OVERSUB_ITERS {
            let (src, dst) = if step % 2 == 0 {
                (&sa, &sb)
            } else {
                (&sb, &sa)
            };
            // SAFETY: this step writes only `dst`, each index by one member; the
            // barrier separates the steps.
            let (s, d) = unsafe { (src.slice(0..n), dst.slice_mut(mine.clone())) };
            average_step(s, d, mine.clone());
            t.barrier();
        }
    });
}

fn oversubscribed(c: &mut Criterion) {
    let cpus = accel_pool::usable_cpus();
    let init: Vec<f64> = (0..OVERSUB_N).map(|i| (i % 97) as f64).collect();
    for threads in [2usize, 8, 32, 64] {
        let capped = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(threads))
            .expect("accel pool");
        let uncapped = accel_pool::Pool::new(
            accel_pool::PoolConfig::new()
                .threads(threads)
                .cap_teams(false),
        )
        .expect("accel pool");
        let rayon = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("rayon pool");
        let mut group =
            c.benchmark_group(format!("oversubscribed/{threads}_threads_on_{cpus}_cpus"));
        group.sample_size(20);
        group.measurement_time(std::time::Duration::from_secs(2));
        let (mut a, mut b) = (init.clone(), vec![0.0; OVERSUB_N]);
        group.bench_function("accel_team_barrier", |bench| {
            bench.iter(|| team_barrier_run(&capped, &mut a, &mut b));
        });
        group.bench_function("accel_team_barrier_uncapped", |bench| {
            bench.iter(|| team_barrier_run(&uncapped, &mut a, &mut b));
        });
        group.bench_function("accel_team_loop", |bench| {
            bench.iter(|| {
                let n = OVERSUB_N;
                let (sa, sb) = (
                    accel_pool::SharedSlice::new(&mut a),
                    accel_pool::SharedSlice::new(&mut b),
                );
                capped.team(|t| {
                    for step in 0..OVERSUB_ITERS {
                        let (src, dst) = if step % 2 == 0 {
                            (&sa, &sb)
                        } else {
                            (&sb, &sa)
                        };
                        t.for_range(0..n, 1024, |r| {
                            // SAFETY: pieces are disjoint; `src` is only read here.
                            let (s, d) = unsafe { (src.slice(0..n), dst.slice_mut(r.clone())) };
                            average_step(s, d, r);
                        });
                    }
                });
            });
        });
        group.bench_function("rayon", |bench| {
            bench.iter(|| {
                rayon.install(|| {
                    for step in 0..OVERSUB_ITERS {
                        let (src, dst) = if step % 2 == 0 {
                            (&a[..], &mut b[..])
                        } else {
                            (&b[..], &mut a[..])
                        };
                        dst.par_chunks_mut(1024).enumerate().for_each(|(k, d)| {
                            let lo = k * 1024;
                            average_step(src, d, lo..lo + d.len());
                        });
                    }
                });
            });
        });
        group.bench_function("serial", |bench| {
            bench.iter(|| {
                for step in 0..OVERSUB_ITERS {
                    let (src, dst) = if step % 2 == 0 {
                        (&a[..], &mut b[..])
                    } else {
                        (&b[..], &mut a[..])
                    };
                    average_step(src, dst, 0..OVERSUB_N);
                }
            });
        });
        group.finish();
    }
}

/// A three-input formula with `exp` and `sqrt`.
struct Bump;

impl accel_pool::ir::Formula<3, 1> for Bump {
    #[inline(always)]
    fn eval<R: accel_pool::ir::Real>(&self, [a, b, c]: [R; 3]) -> [R; 1] {
        [(-(a * a) * R::lit(0.5)).exp() * (b * b + c).sqrt()]
    }
}

/// `Pool::map_formula` on 1 to 1000 elements (at most one chunk: the grain
/// rule runs it inline) against one serial call of the same executor.
fn formula_tiny(c: &mut Criterion) {
    let (pool, _) = common::pools();
    let p = pool.num_threads();
    let path = accel_pool::simd::SimdPath::active();
    for n in [1usize, 10, 100, 1000] {
        let cols: Vec<Vec<f64>> = (0..3)
            .map(|k| (0..n).map(|i| (i + k) as f64 * 1e-3).collect())
            .collect();
        let ins = [&cols[0][..], &cols[1][..], &cols[2][..]];
        let mut out = vec![0.0; n];
        let mut group = c.benchmark_group(format!("formula_tiny_{n}/{p}_threads"));
        group.bench_function("accel", |b| {
            b.iter(|| pool.map_formula(black_box(ins), &mut out, &Bump).unwrap())
        });
        group.bench_function("serial", |b| {
            b.iter(|| accel_pool::simd::map(path, &Bump, black_box(ins), &mut out).unwrap())
        });
        group.finish();
    }
}

criterion_group! {
    name = overhead;
    config = common::config();
    targets = empty_loop, barrier, join, reduce_partials, oversubscribed, formula_tiny
}
criterion_main!(overhead);
