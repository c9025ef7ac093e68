//! fill (DESIGN.md §5.1): accel's parallel `simplefill` against the serial
//! reference and a rayon loop, same run.
//!
//! Cases: the notebook's tiny matrix (N=8, n=3, M=6, m=3, (l,u)=(1,2),
//! (λ,μ)=(0,1); 105 stored entries) and the large family n=m=500,
//! (l,u)=(1,2), (λ,μ)=(2,1) with N=M ∈ {10, 100, 500}. Variants:
//!
//! - `accel/1t`, `accel/2t`: [`simplefill`] on an accel pool of 1 / 2 threads
//!   (one pass per block column);
//! - `populate/2t`: [`populate`] with a closure filling each block
//!   ([`BlockViewMut::fill`](accel_kernels::fill::BlockViewMut::fill)), the
//!   notebook's formulation: one pass per block;
//! - `serial`: [`simplefill_serial`], the plain loop over stored column segments;
//! - `rayon/2t`: the block columns as disjoint `&mut` slabs, `par_iter` over them
//!   on a 2-thread rayon pool, each slab filled with the same plain loop.
//!
//! Throughput is in stored entries; the floor is stored entries × 8 B at the
//! machine's write bandwidth (DESIGN.md §6).

use std::hint::black_box;
use std::time::Duration;

use accel_kernels::fill::{BandedBlockBandedMatrix, populate, simplefill, simplefill_serial};
use accel_pool::{Pool, PoolConfig};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;

/// rayon's take: one task per block column (its storage slab), each filled with
/// the plain loop.
fn rayon_fill(pool: &rayon::ThreadPool, m: &mut BandedBlockBandedMatrix<f64>) {
    let sizes = m.sizes().clone();
    let ld = sizes.storage_rows();
    let mut slabs = Vec::with_capacity(sizes.col_blocks());
    let mut rest = m.storage_mut();
    for j in 0..sizes.col_blocks() {
        let (slab, tail) = rest.split_at_mut(sizes.block_cols(j) * ld);
        slabs.push((j, slab));
        rest = tail;
    }
    pool.install(|| {
        slabs.into_par_iter().for_each(|(bj, slab)| {
            let base = sizes.col_offset(bj) * ld;
            for bk in sizes.block_col_support(bj) {
                let layout = sizes.block_layout(bk, bj).unwrap();
                for j in 0..layout.cols() {
                    let seg = layout.col_storage(j);
                    for x in &mut slab[seg.start - base..seg.end - base] {
                        *x = 1.0;
                    }
                }
            }
        });
    });
}

/// A bench case: name, row block sizes, column block sizes, `[l, u, λ, μ]`.
type Case = (String, Vec<usize>, Vec<usize>, [isize; 4]);

fn bench(c: &mut Criterion) {
    let pools: Vec<Pool> = [1, 2]
        .into_iter()
        .map(|n| Pool::new(PoolConfig::new().threads(n)).unwrap())
        .collect();
    let rayon2 = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    eprintln!("accel pool: {}", pools[1].pinning());

    let cases: Vec<Case> =
        std::iter::once(("tiny".to_string(), vec![3; 8], vec![3; 6], [1, 2, 0, 1]))
            .chain(
                [10usize, 100, 500]
                    .into_iter()
                    .map(|n| (format!("N={n}"), vec![500; n], vec![500; n], [1, 2, 2, 1])),
            )
            .collect();

    for (name, rows, cols, [l, u, lam, mu]) in cases {
        let mut m = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
        let entries = m.sizes().stored_entries();
        let mut g = c.benchmark_group(format!("fill/{name}"));
        g.throughput(Throughput::Elements(entries as u64));
        if entries > 1_000_000 {
            g.sample_size(30).measurement_time(Duration::from_secs(3));
        }
        for pool in &pools {
            let id = BenchmarkId::new("accel", format!("{}t", pool.num_threads()));
            g.bench_function(id, |b| b.iter(|| simplefill(pool, black_box(&mut m))));
        }
        g.bench_function("populate/2t", |b| {
            b.iter(|| populate(&pools[1], black_box(&mut m), |mut blk, _, _| blk.fill(1.0)))
        });
        g.bench_function("serial", |b| {
            b.iter(|| simplefill_serial(black_box(&mut m)))
        });
        g.bench_function("rayon/2t", |b| {
            b.iter(|| rayon_fill(&rayon2, black_box(&mut m)))
        });
        g.finish();
        // Every variant wrote exactly the stored entries.
        assert_eq!(
            m.storage().iter().filter(|&&x| x == 1.0).count(),
            entries,
            "{name}"
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
