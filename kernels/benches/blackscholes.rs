//! Black-Scholes (ARCHITECTURE.md §5.2): accel's fused kernel against the strict serial
//! reference, a rayon loop and the naive array-at-a-time version, same run.
//!
//! Variants, at 1 M and 10 M options (and accel alone at 40 M, the target size):
//!
//! - `accel/1t`, `accel/2t`: [`price`] on an accel pool of 1 / 2 threads (the
//!   SIMD path it runs is printed first);
//! - `accel-checksum/2t`: [`checksum`], the fused map+reduce (nothing stored);
//! - `serial`: [`price_serial`], one option at a time with libm;
//! - `rayon/2t`: a `par_chunks_mut` loop on a 2-thread rayon pool whose closure
//!   is the same strict libm formula (what a Rust user would write first);
//! - `naive`: [`price_naive`], a temporary array per operation.
//!
//! Before measuring, the 40 M checksum is checked against `SEED_CHECKSUM_40M`
//! (1e-12 relative) — the accuracy check too heavy for the test suite — and the
//! memory floor (48 B per option at the measured bandwidth of a 5-in/1-out
//! stream over the same arrays) is printed.
//!
//! The 48 B are five f64 inputs read and one output written per option. The
//! arithmetic is the real cost — two erf, exp, log10, sqrt and two divisions per
//! option — so on a machine with a few cores the kernel is compute bound, and
//! its speed is set by the elementary functions and by how well the formula's
//! long dependency chains overlap. Recorded timings, with the machine and SIMD
//! path they came from, are in `docs/PERFORMANCE.md`.
//!
//! How the kernel got its shape (each step was kept because it measured faster
//! in this bench, each rejected idea because it did not):
//!
//! - A per-element fused loop vectorises but is latency bound: the formula's
//!   hundreds of instructions per vector exceed the out-of-order window, so
//!   iterations barely overlap. Blocks of lanes (core's lane-block executor,
//!   then this crate's FMA lane blocks) give the core independent chains.
//! - The accurate `erf` spends about half its time in the `exp` inside it and
//!   the other half in two polynomials evaluated side by side in every lane. The
//!   AVX-512 path therefore uses `accel_core::math::fast`'s table functions (one
//!   short polynomial per piece, coefficients permuted per lane from registers),
//!   whose absolute accuracy is what a CDF needs. A table that LLVM kept in
//!   registers caused spills; the volatile table loads in `math::fast` prevent it.
//! - Whole zmm registers, three at a time (now `core/src/simd/zmm.rs`, the AVX-512 path of every formula), replaced
//!   32-lane blocks that went through the stack between operations; the module
//!   docs there count the micro-ops. The two divisions and the square root run
//!   on the divider beside the FMA ports and do not fully overlap with the rest,
//!   but Newton-Raphson replacements on the FMA ports, and an Estrin `erf` with a
//!   third of Horner's latency, won back little or nothing and were not kept.
//! - Bounds-checked sub-slice stores had made LLVM spill the formula in the price
//!   path (fixed with raw stores); a short software prefetch and loops aligned to
//!   cache lines help when the options stream from memory. A core that also
//!   computes sustains less bandwidth than a bare stream, so at the 40 M target
//!   size the kernel sits above both the memory floor and the in-cache compute
//!   floor.

use std::hint::black_box;
use std::time::{Duration, Instant};

use accel_kernels::blackscholes::{
    OptionBatch, SEED_CHECKSUM_40M, checksum, ir_dump, price, price_naive, price_serial, put_strict,
};
use accel_pool::{Pool, PoolConfig};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;

fn rayon_price(pool: &rayon::ThreadPool, b: &OptionBatch, put: &mut [f64]) {
    pool.install(|| {
        put.par_chunks_mut(4096).enumerate().for_each(|(c, out)| {
            let base = c * 4096;
            for (j, p) in out.iter_mut().enumerate() {
                let i = base + j;
                *p = put_strict(b.spt[i], b.strike[i], b.rate[i], b.vol[i], b.time[i]);
            }
        });
    });
}

/// Best-of-5 bandwidth of a 5-in/1-out stream over the batch on `pool`, in B/s.
fn stream_bandwidth(pool: &Pool, b: &OptionBatch, out: &mut [f64]) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        pool.for_each_chunk_mut(out, 1 << 16, |off, o| {
            let r = off..off + o.len();
            let (s, k, ra, v, ti) = (
                &b.spt[r.clone()],
                &b.strike[r.clone()],
                &b.rate[r.clone()],
                &b.vol[r.clone()],
                &b.time[r],
            );
            for i in 0..o.len() {
                o[i] = s[i] + k[i] + ra[i] + v[i] + ti[i];
            }
        });
        best = best.min(t.elapsed().as_secs_f64());
    }
    48.0 * b.len() as f64 / best
}

fn bench(c: &mut Criterion) {
    let pools: Vec<Pool> = [1, 2]
        .into_iter()
        .map(|n| Pool::new(PoolConfig::new().threads(n)).unwrap())
        .collect();
    let rayon2 = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    eprintln!(
        "accel SIMD path: {}; pool: {}",
        accel_core::simd::SimdPath::active(),
        pools[1].pinning()
    );
    let dump = ir_dump(40_000_000);
    if let Some(summary) = dump.lines().find(|l| l.starts_with("== after")) {
        eprintln!("IR: {summary}");
    }

    {
        let n = 40_000_000;
        let batch = OptionBatch::seed(n);
        let sum = checksum(&pools[1], &batch).unwrap();
        let rel = ((sum - SEED_CHECKSUM_40M) / SEED_CHECKSUM_40M).abs();
        eprintln!("40M checksum {sum:.17e}, relative error {rel:.1e}");
        assert!(rel <= 1e-12, "40M checksum off by {rel:e}");
        let mut put = vec![0.0; n];
        let bw = stream_bandwidth(&pools[1], &batch, &mut put);
        eprintln!(
            "5-in/1-out stream, 2 threads: {:.1} GB/s -> memory floor at 40M: {:.3} s",
            bw / 1e9,
            48.0 * n as f64 / bw
        );
        let mut g = c.benchmark_group("blackscholes/40M");
        g.throughput(Throughput::Elements(n as u64));
        g.sample_size(10).measurement_time(Duration::from_secs(8));
        g.bench_function("accel/2t", |b| {
            b.iter(|| price(&pools[1], black_box(&batch), &mut put).unwrap())
        });
        g.finish();
    }

    for n in [1_000_000usize, 10_000_000] {
        let batch = OptionBatch::seed(n);
        let mut put = vec![0.0; n];
        let mut g = c.benchmark_group(format!("blackscholes/{}M", n / 1_000_000));
        g.throughput(Throughput::Elements(n as u64));
        if n >= 10_000_000 {
            g.sample_size(10).measurement_time(Duration::from_secs(10));
        }
        for pool in &pools {
            let id = BenchmarkId::new("accel", format!("{}t", pool.num_threads()));
            g.bench_function(id, |b| {
                b.iter(|| price(pool, black_box(&batch), &mut put).unwrap())
            });
        }
        g.bench_function("accel-checksum/2t", |b| {
            b.iter(|| checksum(&pools[1], black_box(&batch)).unwrap())
        });
        g.bench_function("serial", |b| {
            b.iter(|| price_serial(black_box(&batch), &mut put).unwrap())
        });
        g.bench_function("rayon/2t", |b| {
            b.iter(|| rayon_price(&rayon2, black_box(&batch), &mut put))
        });
        g.bench_function("naive", |b| b.iter(|| price_naive(black_box(&batch))));
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
