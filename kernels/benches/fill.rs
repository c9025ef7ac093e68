//! fill (ARCHITECTURE.md §5.1): accel's parallel `simplefill` against the serial
//! reference, a rayon loop and the memset floor, same run.
//!
//! Cases: the notebook's tiny matrix (N=8, n=3, M=6, m=3, (l,u)=(1,2),
//! (λ,μ)=(0,1); 105 stored entries) and the large family n=m=500,
//! (l,u)=(1,2), (λ,μ)=(2,1) with N=M ∈ {10, 50, 100, 150, 200, 300, 500}
//! (ARCHITECTURE.md §5.1's sizes; filter with e.g. `-- 'fill/(tiny|N=500)/'`). Variants:
//!
//! - `memset`, `memset/2t`: `storage.fill(1.0)` over the whole storage (padding
//!   included), on the calling thread / as two halves on the 2-thread accel pool:
//!   the floor every fill is measured against (ARCHITECTURE.md §6: every stored entry
//!   written once); `memset-stream/1t`, `/2t` do the same with streaming
//!   (non-temporal) 64-byte stores where the CPU has AVX-512F: the write-bandwidth
//!   floor for matrices larger than the cache, where plain stores first read
//!   every line;
//! - `accel/1t`, `accel/2t`: [`simplefill`] on an accel pool of 1 / 2 threads;
//! - `populate/1t`, `populate/2t`: [`populate`] with a closure filling each
//!   block ([`BlockViewMut::fill`](accel_kernels::fill::BlockViewMut::fill)),
//!   the notebook's formulation: one pass per block; `populate/serial` is
//!   [`populate_serial`] with the same closure, the reference for the cost of
//!   the parallel API;
//! - `serial`: [`simplefill_serial`], the plain loop over stored column segments;
//! - `rayon/2t`: the block columns as disjoint `&mut` slabs, `par_iter` over them
//!   on a 2-thread rayon pool, each slab filled with the same plain loop.
//!
//! Every variant writes into the same matrix, allocated (and its pages touched)
//! once before timing: "fill" is writing the entries of an existing matrix, so no
//! contender pays page faults in the timed loop. After each variant the bench
//! checks what it wrote and zeroes the storage (outside the timing).
//!
//! Throughput is in stored entries.

use std::hint::black_box;
use std::time::Duration;

use accel_kernels::fill::{
    BandedBlockBandedMatrix, populate, populate_serial, simplefill, simplefill_serial,
};
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

/// The memset floor on `pool`: the storage in `pool.num_threads()` equal
/// contiguous parts, one per worker.
fn memset_split(pool: &Pool, data: &mut [f64]) {
    let part = data.len().div_ceil(pool.num_threads()).max(1);
    pool.for_each_chunk_mut(data, part, |_, chunk| chunk.fill(1.0));
}

/// The write-bandwidth floor: `value` to every entry with streaming 64-byte
/// stores (`None` without AVX-512F), as a memset of a buffer larger than the
/// cache does; plain stores read each line first.
fn stream_memset(data: &mut [f64]) -> Option<()> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F was detected just above.
        unsafe { stream_memset_avx512(data) };
        return Some(());
    }
    let _ = data;
    None
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn stream_memset_avx512(data: &mut [f64]) {
    use std::arch::x86_64::{_mm_sfence, _mm512_set1_pd, _mm512_stream_pd};
    let head = data.as_ptr().align_offset(64).min(data.len());
    let (head, rest) = data.split_at_mut(head);
    head.fill(1.0);
    let lines = rest.len() / 8;
    let (middle, tail) = rest.split_at_mut(lines * 8);
    tail.fill(1.0);
    let v = _mm512_set1_pd(1.0);
    for line in middle.chunks_exact_mut(8) {
        // SAFETY: `middle` starts on a 64-byte boundary and holds whole lines.
        unsafe { _mm512_stream_pd(line.as_mut_ptr(), v) };
    }
    _mm_sfence();
}

/// A bench case: name, row block sizes, column block sizes, `[l, u, λ, μ]`.
type Case = (String, Vec<usize>, Vec<usize>, [isize; 4]);

/// How a variant's result is checked: a fill writes exactly the stored entries,
/// a memset the whole storage.
#[derive(Clone, Copy)]
enum Writes {
    Stored,
    Everything,
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
    eprintln!("accel pool: {}", pools[1].pinning());

    let cases: Vec<Case> =
        std::iter::once(("tiny".to_string(), vec![3; 8], vec![3; 6], [1, 2, 0, 1]))
            .chain(
                [10usize, 50, 100, 150, 200, 300, 500]
                    .into_iter()
                    .map(|n| (format!("N={n}"), vec![500; n], vec![500; n], [1, 2, 2, 1])),
            )
            .collect();

    for (name, rows, cols, [l, u, lam, mu]) in cases {
        let mut m = BandedBlockBandedMatrix::<f64>::new(&rows, &cols, l, u, lam, mu).unwrap();
        // Touch every page before timing (`new` may hand back untouched zero pages).
        m.storage_mut().fill(0.0);
        let entries = m.sizes().stored_entries();
        let storage_len = m.storage().len();
        let mut g = c.benchmark_group(format!("fill/{name}"));
        g.throughput(Throughput::Elements(entries as u64));
        if entries > 1_000_000 {
            g.sample_size(40).measurement_time(Duration::from_secs(2));
        }
        let mut run = |function: &str, threads: &str, writes: Writes, f: &mut dyn FnMut(&mut _)| {
            let mut ran = false;
            g.bench_function(BenchmarkId::new(function, threads), |b| {
                ran = true;
                b.iter(|| f(black_box(&mut m)))
            });
            if ran {
                let ones = m.storage().iter().filter(|&&x| x == 1.0).count();
                let want = match writes {
                    Writes::Stored => entries,
                    Writes::Everything => storage_len,
                };
                assert_eq!(
                    ones, want,
                    "{name} {function}/{threads} wrote the wrong entries"
                );
                m.storage_mut().fill(0.0);
            }
        };
        run("memset", "1t", Writes::Everything, &mut |m| {
            m.storage_mut().fill(1.0)
        });
        run("memset", "2t", Writes::Everything, &mut |m| {
            memset_split(&pools[1], m.storage_mut())
        });
        if stream_memset(&mut []).is_some() {
            run("memset-stream", "1t", Writes::Everything, &mut |m| {
                stream_memset(m.storage_mut());
            });
            run("memset-stream", "2t", Writes::Everything, &mut |m| {
                let d = m.storage_mut();
                let part = d.len().div_ceil(2).max(1);
                pools[1].for_each_chunk_mut(d, part, |_, c| {
                    stream_memset(c);
                });
            });
        }
        run("serial", "1t", Writes::Stored, &mut |m| {
            simplefill_serial(m)
        });
        run("populate", "serial", Writes::Stored, &mut |m| {
            populate_serial(m, |mut blk, _, _| blk.fill(1.0))
        });
        for pool in &pools {
            let t = format!("{}t", pool.num_threads());
            run("accel", &t, Writes::Stored, &mut |m| simplefill(pool, m));
            run("populate", &t, Writes::Stored, &mut |m| {
                populate(pool, m, |mut blk, _, _| blk.fill(1.0))
            });
        }
        run("rayon", "2t", Writes::Stored, &mut |m| {
            rayon_fill(&rayon2, m)
        });
        g.finish();
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
