//! The cost of parallelism itself, accel vs rayon vs serial in the same run:
//! an empty parallel loop (called from outside the pool and from inside it),
//! barrier latency, `join`, `scope` + `spawn`, and a reduction of one partial per
//! thread.
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

criterion_group! {
    name = overhead;
    config = common::config();
    targets = empty_loop, barrier, join, reduce_partials
}
criterion_main!(overhead);
