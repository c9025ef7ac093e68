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
//! Floor and prediction (2-core AVX-512 machine): memory floor 48 B × 40 M /
//! ≈ 48 GB/s ≈ 0.04 s. The arithmetic is the real cost: two erf, exp, log10,
//! sqrt and two divisions per option. Predicted before tuning from the per-call
//! costs of `accel_core::math` (core's math bench): ≈ 4 ns per option per
//! thread, so ≈ 0.08 s at 40 M on 2 threads. Measured (thread CPU time, so
//! independent of other load on the machine): the per-element fused loop ran
//! at 14 ns per option — vectorised (zmm) but latency bound: the formula's
//! ≈ 460 instructions per 8 options exceed the out-of-order window, so
//! iterations do not overlap; core's lane-block executor (16 options per
//! operation) brought it to 11 ns, and this crate's FMA lane blocks to 8.2 ns,
//! ≈ 66 instructions per option (the math's polynomials, coefficient blends,
//! stack round trips between per-function lane loops). So ≈ 0.16–0.19 s at
//! 40 M on an idle 2-core machine: compute bound, about 2× the target; the
//! rest would have to come from cheaper elementary functions.
//!
//! Second round (the `accel_core::math::fast` functions on the AVX-512 path),
//! measured per function alone in a loop (thread CPU time per element): the
//! 1-ulp erf 1.9 ns, of which about half is the exp inside it and the other
//! half two polynomials evaluated side by side in every lane; the 16-piece
//! table erf (one degree-12 polynomial, coefficients permuted per lane from
//! registers) 1.05 ns; log10 1.9 → 0.72 ns; exp 1.1 → 0.48 ns; a division
//! 0.59 ns and a square root 0.89 ns, on the divider beside the FMA ports.
//! Predicted from that: 2 · 1.05 + 0.72 + 0.48 + ≈ 0.3 of plain arithmetic
//! ≈ 3.6 ns per option with the divider's 2.1 ns overlapped; measured 4.4 ns
//! per option per thread with the inputs in cache (the rest: stack round trips
//! between the per-function lane loops; one table kept in registers by LLVM had
//! cost 40 % through spills, which the volatile table loads in `math::fast`
//! prevent). Streaming 40 M options from memory it is 5.9–6.2 ns per option
//! per thread (2 threads scale 1.95×): 48 B per 6 ns is ≈ 8 GB/s per core, near
//! what one core of this Xeon sustains while it also computes (a bare
//! 5-in/1-out stream gets ≈ 15 GB/s per core; software prefetching 4–16 KB
//! ahead measured no better). So at 40 M on 2 threads, machine otherwise idle:
//! ≈ 0.12 s, against a memory floor of 0.062 s (30.8 GB/s) and an in-cache
//! compute floor of ≈ 0.088 s; the 0.08 s target is not reached, and the op
//! counts left (two erfs ≈ half of the time) no longer hold it without giving
//! up accuracy.
//!
//! Third round (the AVX-512 path on whole registers, `blackscholes/zmm.rs`).
//! Counted in the release build's loop: ≈ 136 port-0/5 micro-ops per 8 options
//! (30 permutes, 43 FMAs, 19 multiplies, …), ≈ 68 cycles at two per cycle, so
//! ≈ 2.8 ns per option at the 3.0 GHz a zmm FMA loop measures here. The
//! 32-lane block executor ran at 4.4–7 ns (noisy machine), partly because
//! its blocks went through the stack between operations. Predicted: whole
//! registers, a few chains at a time, ≈ 3.5 ns. Measured side by side in one
//! process (interleaved, 64 K options in cache): three registers 4.0–4.5 ns,
//! 0.63–0.82 of the block executor's time; two 1.07× and four 1.1–1.2× slower
//! than three. The miss against the prediction: removing the two divisions and
//! the square root took 15–20 % off (the divider's ≈ 50 cycles per 8 options do
//! not fully overlap), but Newton-Raphson replacements on the FMA ports won back
//! only 2–4 %, and an Estrin erf (a third of Horner's latency) nothing.
//! The price path had been 1.6× slower than the checksum: bounds-checked
//! sub-slice stores made LLVM spill the formula (fixed with raw stores). With a
//! 64-option prefetch and loops aligned to cache lines, 40 M options on 2
//! threads: price ≈ 0.095–0.11 s, checksum ≈ 0.095–0.105 s on a noisy machine
//! (in-cache compute ≈ 4.2 ns per option per thread, i.e. ≈ 0.084 s even with
//! the memory fully hidden).

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
