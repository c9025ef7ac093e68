//! Small and medium kernels, accel vs rayon vs serial in the same run: the tiny
//! fill (16 blocks of 8×8), 1,000 blocks of 8×8, a 16 K-element map, and a
//! 5-point stencil over 256×256 for 100 iterations (accel: one team region with a
//! barrier per iteration, each member keeping its rows; accel_team_loop: one team
//! region with a worksharing loop per iteration, static shares first and stealing
//! if a member is late; rayon: `par_chunks_mut` per iteration, called from outside
//! the pool like every other call here; rayon_inside: the same with all iterations
//! inside one `install`); and core's IR run by the pool: a compiled plan
//! (`y = exp(-x²)·0.5 + x`, `Σ y`, one fused loop over 256 K elements) through
//! `Pool::run_plan`, rayon running the same stage over the same pieces, and core's
//! serial `Plan::run`.
//!
//! `cargo bench -p accel-pool --bench kernels`

use std::hint::black_box;

use accel_pool::{Pool, SharedSlice};
use criterion::{Criterion, criterion_group, criterion_main};
use rayon::prelude::*;

mod common;

const BLOCK: usize = 64;

/// Fills one 8×8 block the way a banded-matrix populate would: a value per entry.
#[inline]
fn fill_block(block: usize, out: &mut [f64]) {
    for (k, x) in out.iter_mut().enumerate() {
        let (i, j) = (k / 8, k % 8);
        *x = (block * 64 + i * 8 + j) as f64 * 0.5 + (i as f64 - j as f64);
    }
}

fn bench_fill(c: &mut Criterion, pool: &Pool, rayon: &rayon::ThreadPool, blocks: usize) {
    let p = pool.num_threads();
    let costs = vec![BLOCK as u64; blocks];
    let mut data = vec![0.0f64; blocks * BLOCK];
    let mut group = c.benchmark_group(format!("fill_{blocks}_blocks_8x8/{p}_threads"));
    group.bench_function("accel", |b| {
        b.iter(|| {
            let shared = SharedSlice::new(&mut data);
            pool.for_weighted(&costs, |items| {
                // SAFETY: `for_weighted` hands out disjoint item ranges, so the
                // blocks written here are written by nobody else.
                let out = unsafe { shared.slice_mut(items.start * BLOCK..items.end * BLOCK) };
                for (k, block) in out.chunks_mut(BLOCK).enumerate() {
                    fill_block(items.start + k, block);
                }
            });
            black_box(&data);
        });
    });
    group.bench_function("rayon", |b| {
        b.iter(|| {
            rayon.install(|| {
                data.par_chunks_mut(BLOCK)
                    .enumerate()
                    .for_each(|(k, block)| fill_block(k, block));
            });
            black_box(&data);
        });
    });
    group.bench_function("serial", |b| {
        b.iter(|| {
            for (k, block) in data.chunks_mut(BLOCK).enumerate() {
                fill_block(k, block);
            }
            black_box(&data);
        });
    });
    group.finish();
}

fn fills(c: &mut Criterion) {
    let (pool, rayon) = common::pools();
    bench_fill(c, &pool, &rayon, 16);
    bench_fill(c, &pool, &rayon, 1000);
}

#[inline]
fn map_one(x: f64) -> f64 {
    (x * 1.5 + 0.25).sqrt() * x
}

fn map_16k(c: &mut Criterion) {
    let (pool, rayon) = common::pools();
    let p = pool.num_threads();
    let n = 16 * 1024;
    let grain = 2048;
    let input: Vec<f64> = (0..n).map(|i| i as f64 * 0.001).collect();
    let mut output = vec![0.0f64; n];
    let mut group = c.benchmark_group(format!("map_16k/{p}_threads"));
    group.bench_function("accel", |b| {
        b.iter(|| {
            pool.for_each_chunk_mut(&mut output, grain, |off, out| {
                let len = out.len();
                for (y, &x) in out.iter_mut().zip(&input[off..off + len]) {
                    *y = map_one(x);
                }
            });
            black_box(&output);
        });
    });
    group.bench_function("rayon", |b| {
        b.iter(|| {
            rayon.install(|| {
                output
                    .par_chunks_mut(grain)
                    .zip(input.par_chunks(grain))
                    .for_each(|(out, inp)| {
                        for (y, &x) in out.iter_mut().zip(inp) {
                            *y = map_one(x);
                        }
                    });
            });
            black_box(&output);
        });
    });
    group.bench_function("serial", |b| {
        b.iter(|| {
            for (y, &x) in output.iter_mut().zip(&input) {
                *y = map_one(x);
            }
            black_box(&output);
        });
    });
    group.finish();
}

const W: usize = 256;
const H: usize = 256;
const ITERS: usize = 100;

/// One 5-point stencil step for rows `rows` of `dst` (row-major `W`×`H`), from
/// `src`; border cells are copied.
#[inline]
fn stencil_rows(src: &[f64], dst_rows: &mut [f64], rows: std::ops::Range<usize>) {
    for (r, y) in rows.enumerate() {
        let out = &mut dst_rows[r * W..(r + 1) * W];
        if y == 0 || y == H - 1 {
            out.copy_from_slice(&src[y * W..(y + 1) * W]);
            continue;
        }
        let (up, mid, down) = (
            &src[(y - 1) * W..y * W],
            &src[y * W..(y + 1) * W],
            &src[(y + 1) * W..(y + 2) * W],
        );
        out[0] = mid[0];
        out[W - 1] = mid[W - 1];
        for x in 1..W - 1 {
            out[x] = 0.2 * (mid[x] + mid[x - 1] + mid[x + 1] + up[x] + down[x]);
        }
    }
}

fn stencil(c: &mut Criterion) {
    let (pool, rayon) = common::pools();
    let p = pool.num_threads();
    let init: Vec<f64> = (0..W * H).map(|i| ((i * 7919) % 1000) as f64).collect();
    let mut a = init.clone();
    let mut b_buf = vec![0.0f64; W * H];
    let mut group = c.benchmark_group(format!("stencil_256x256x100/{p}_threads"));
    group.sample_size(20);
    group.bench_function("accel", |b| {
        b.iter(|| {
            a.copy_from_slice(&init);
            let (sa, sb) = (SharedSlice::new(&mut a), SharedSlice::new(&mut b_buf));
            pool.team(|t| {
                let rows = t.share(H);
                for it in 0..ITERS {
                    let (src, dst) = if it % 2 == 0 { (&sa, &sb) } else { (&sb, &sa) };
                    // SAFETY: during one iteration only `dst` is written, each row
                    // by the one member that owns it; the barrier separates
                    // iterations.
                    let (src, out) = unsafe {
                        (
                            src.slice(0..W * H),
                            dst.slice_mut(rows.start * W..rows.end * W),
                        )
                    };
                    stencil_rows(src, out, rows.clone());
                    t.barrier();
                }
            });
            black_box(&a);
        });
    });
    group.bench_function("accel_team_loop", |b| {
        b.iter(|| {
            a.copy_from_slice(&init);
            let (sa, sb) = (SharedSlice::new(&mut a), SharedSlice::new(&mut b_buf));
            pool.team(|t| {
                for it in 0..ITERS {
                    let (src, dst) = if it % 2 == 0 { (&sa, &sb) } else { (&sb, &sa) };
                    t.for_range(0..H, 16, |rows| {
                        // SAFETY: pieces are disjoint row ranges of `dst`; `src` is
                        // only read during this loop.
                        let (src, out) = unsafe {
                            (
                                src.slice(0..W * H),
                                dst.slice_mut(rows.start * W..rows.end * W),
                            )
                        };
                        stencil_rows(src, out, rows);
                    });
                }
            });
            black_box(&a);
        });
    });
    // Idiomatic rayon: each iteration's `par_chunks_mut` is called from outside
    // the pool, like every other parallel call in these benches.
    group.bench_function("rayon", |b| {
        b.iter(|| {
            a.copy_from_slice(&init);
            for it in 0..ITERS {
                let (src, dst) = if it % 2 == 0 {
                    (&a, &mut b_buf)
                } else {
                    (&b_buf, &mut a)
                };
                rayon.install(|| {
                    dst.par_chunks_mut(W)
                        .enumerate()
                        .for_each(|(y, row)| stencil_rows(src, row, y..y + 1));
                });
            }
            black_box(&a);
        });
    });
    // Rayon at its best: all iterations inside one `install`.
    group.bench_function("rayon_inside", |b| {
        b.iter(|| {
            a.copy_from_slice(&init);
            rayon.install(|| {
                for it in 0..ITERS {
                    let (src, dst) = if it % 2 == 0 {
                        (&a, &mut b_buf)
                    } else {
                        (&b_buf, &mut a)
                    };
                    dst.par_chunks_mut(W)
                        .enumerate()
                        .for_each(|(y, row)| stencil_rows(src, row, y..y + 1));
                }
            });
            black_box(&a);
        });
    });
    group.bench_function("serial", |b| {
        b.iter(|| {
            a.copy_from_slice(&init);
            for it in 0..ITERS {
                let (src, dst) = if it % 2 == 0 {
                    (&a, &mut b_buf)
                } else {
                    (&b_buf, &mut a)
                };
                stencil_rows(src, dst, 0..H);
            }
            black_box(&a);
        });
    });
    group.finish();
}

fn plan_256k(c: &mut Criterion) {
    use accel_core::ir::{Builder, DType, Plan, Scratch, exp};
    let (pool, rayon) = common::pools();
    let p = pool.num_threads();
    let n = 256 * 1024;
    let b = Builder::new(DType::F64);
    let x = b.input("x", n).expect("input");
    let y = b.output("y", exp(-(x * x)) * 0.5 + x).expect("output");
    b.sum("s", y).expect("sum");
    let mut program = b.finish().expect("program");
    program.optimize();
    let plan = Plan::<f64>::compile(&program).expect("plan");
    let stage = &plan.stages()[0];
    let grain = accel_pool::stage_grain(stage);
    let input: Vec<f64> = (0..n).map(|i| (i % 1000) as f64 * 0.003).collect();
    let mut output = vec![0.0f64; n];
    let mut group = c.benchmark_group(format!("plan_256k/{p}_threads"));
    group.bench_function("accel", |b| {
        b.iter(|| {
            let s = pool
                .run_plan(&plan, &[&input], &mut [&mut output])
                .expect("run");
            black_box(s);
        });
    });
    group.bench_function("rayon", |b| {
        b.iter(|| {
            let s: f64 = rayon.install(|| {
                output
                    .par_chunks_mut(grain)
                    .enumerate()
                    .map_init(Scratch::new, |scratch, (k, out)| {
                        let lo = k * grain;
                        stage
                            .run_range(lo..lo + out.len(), &[&input], &mut [out], scratch)
                            .expect("run")[0]
                    })
                    .collect::<Vec<f64>>()
                    .into_iter()
                    .sum()
            });
            black_box(s);
        });
    });
    group.bench_function("serial", |b| {
        b.iter(|| {
            let s = plan.run(&[&input], &mut [&mut output]).expect("run");
            black_box(s);
        });
    });
    group.finish();
}

criterion_group! {
    name = kernels;
    config = common::config();
    targets = fills, map_16k, stencil, plan_256k
}
criterion_main!(kernels);
