//! blur (ARCHITECTURE.md §5.3): accel's temporally blocked team blur against the serial
//! reference and a per-iteration rayon loop, same run.
//!
//! Cases: 1024×1024 × 20 iterations (fits in L3 only partly) and the seed image
//! size 7095×5322 × 4 iterations (the full 100-iteration seed run takes seconds
//! per sample; it is timed once by `cargo xtask bench` and in the blur report).
//! Variants:
//!
//! - `accel/1t`, `accel/2t`: [`Blur::run`] on an accel pool of 1 / 2 threads
//!   (the default schedule: one thread times sweeping against blocking and
//!   keeps the faster; two fuse as many iterations per pass as core's cache
//!   model fits, capped so the band halo stays small);
//! - `accel-sweep/2t`: the same driver with one iteration per pass
//!   (`levels = 1`), i.e. a per-iteration sweep with accel's row kernel: what
//!   temporal blocking saves;
//! - `serial`: [`Blur::run_serial`], the one-iteration-at-a-time reference;
//! - `rayon/2t`: a plain per-iteration loop, `par_chunks_mut` over output rows on
//!   a 2-thread rayon pool inside one `install`, each pixel the sum of its 25
//!   weighted neighbours in registers (vectorised across pixels by the compiler
//!   for the baseline target, as a peer would write it).
//!
//! Every sample first copies the input image into the plane (≈ 8 B per pixel,
//! the same for all variants). Throughput is in pixel-iterations. The
//! per-iteration memory floor is 8 B per pixel-iteration at the machine's
//! bandwidth; only the blocked variants can go below it. The row kernel path is
//! printed first (`blur simd path: …`).

use std::hint::black_box;
use std::time::Duration;

use accel_core::ir::stencil::Shape;
use accel_kernels::blur::{Blur, Boundary};
use accel_pool::{Pool, PoolConfig, StencilSchedule};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;

/// ARCHITECTURE.md §5.3's weights.
const WEIGHTS: [[f32; 5]; 5] = accel_core::ir::stencil::GAUSSIAN_5X5;

/// The rayon peer: one sweep per iteration over interior rows (`skip`
/// boundary), rows in parallel, ping-pong buffers, result in `plane`.
fn rayon_blur(pool: &rayon::ThreadPool, plane: &mut [f32], w: usize, h: usize, iters: usize) {
    if w < 5 || h < 5 || iters == 0 {
        return;
    }
    let mut other = plane.to_vec();
    let (mut src, mut dst): (&mut [f32], &mut [f32]) = (plane, &mut other);
    pool.install(|| {
        for _ in 0..iters {
            let input: &[f32] = src;
            dst.par_chunks_mut(w)
                .enumerate()
                .skip(2)
                .take(h - 4)
                .for_each(|(y, row)| {
                    let out = &mut row[2..w - 2];
                    let n = out.len();
                    // taps[dy][dx][x] is the neighbour (dy − 2, dx − 2) of output x.
                    let taps: [[&[f32]; 5]; 5] = std::array::from_fn(|dy| {
                        let line = &input[(y + dy - 2) * w..(y + dy - 1) * w];
                        std::array::from_fn(|dx| &line[dx..dx + n])
                    });
                    for (x, o) in out.iter_mut().enumerate() {
                        let mut sum = 0.0f32;
                        for (weights, taps) in WEIGHTS.iter().zip(&taps) {
                            for (&wt, tap) in weights.iter().zip(taps) {
                                sum += wt * tap[x];
                            }
                        }
                        *o = sum;
                    }
                });
            std::mem::swap(&mut src, &mut dst);
        }
    });
    if iters % 2 == 1 {
        // The result is in `other`; `plane` is `dst` now.
        dst.copy_from_slice(src);
    }
}

/// A deterministic 0..1 image (not periodic: nothing to exploit).
fn image(w: usize, h: usize) -> Vec<f32> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..w * h)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

/// The peer must compute the same blur: check it against the reference once.
fn check_peer(pool: &rayon::ThreadPool) {
    let (w, h, iters) = (67, 45, 5);
    let input = image(w, h);
    let mut peer = input.clone();
    rayon_blur(pool, &mut peer, w, h, iters);
    let mut reference = input;
    Blur::gaussian()
        .iterations(iters)
        .run_serial(&mut reference, Shape::new(w, h))
        .expect("blur");
    let worst = peer
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-5,
        "rayon peer differs from the reference by {worst}"
    );
}

fn bench(c: &mut Criterion) {
    eprintln!("blur simd path: {}", accel_core::simd::SimdPath::active());
    let pools: Vec<Pool> = [1, 2]
        .into_iter()
        .map(|n| Pool::new(PoolConfig::new().threads(n)).expect("pool"))
        .collect();
    let rayon2 = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("rayon pool");
    check_peer(&rayon2);
    let sweep = StencilSchedule {
        levels: 1,
        ..StencilSchedule::default()
    };

    for (w, h, iters, samples) in [(1024, 1024, 20, 20), (7095, 5322, 4, 10)] {
        let mut group = c.benchmark_group(format!("blur/{w}x{h}x{iters}"));
        group.sample_size(samples);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(if w > 2000 { 20 } else { 5 }));
        group.throughput(Throughput::Elements((w * h * iters) as u64));
        let input = image(w, h);
        let opts = Blur::gaussian().iterations(iters).boundary(Boundary::Skip);
        let swept = opts.clone().schedule(sweep);
        let mut plane = input.clone();

        for (pool, name) in pools.iter().zip(["1t", "2t"]) {
            group.bench_function(BenchmarkId::new("accel", name), |b| {
                b.iter(|| {
                    plane.copy_from_slice(&input);
                    opts.run(pool, &mut [black_box(&mut plane)], Shape::new(w, h))
                        .expect("blur");
                })
            });
        }
        group.bench_function(BenchmarkId::new("accel-sweep", "2t"), |b| {
            b.iter(|| {
                plane.copy_from_slice(&input);
                swept
                    .run(
                        &pools[1],
                        &mut [black_box(&mut plane[..])],
                        Shape::new(w, h),
                    )
                    .expect("blur");
            })
        });
        group.bench_function("serial", |b| {
            b.iter(|| {
                plane.copy_from_slice(&input);
                opts.run_serial(black_box(&mut plane), Shape::new(w, h))
                    .expect("blur");
            })
        });
        group.bench_function(BenchmarkId::new("rayon", "2t"), |b| {
            b.iter(|| {
                plane.copy_from_slice(&input);
                rayon_blur(&rayon2, black_box(&mut plane), w, h, iters);
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
