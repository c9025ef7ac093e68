//! The blur stencil's serial executors: one iteration at a time (the reference)
//! against the temporally blocked executor, on each instruction-set path.
//!
//! `cargo bench -p accel-core --bench stencil`. Throughput is reported in
//! points × iterations per second. Sizes: 2048² × 20 iterations and the
//! benchmark image 7095 × 5322 × 8 iterations (single-threaded; the parallel blur
//! lives in accel-kernels).

use accel_core::ir::stencil::{BlockPlan, Boundary, LinearTaps, Shape, Stencil};
use accel_core::simd::SimdPath;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// A deterministic 0..1 image.
fn image(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i.wrapping_mul(2_654_435_761)) % 1000) as f32 / 1000.0)
        .collect()
}

fn blur(c: &mut Criterion) {
    for (w, h, iterations) in [(2048usize, 2048usize, 20usize), (7095, 5322, 8)] {
        let shape = Shape::new(w, h);
        let input = image(w * h);
        let mut group = c.benchmark_group(format!("blur {w}x{h}x{iterations}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements((w * h * iterations) as u64));
        let mut plane = input.clone();
        for isa in SimdPath::ALL.into_iter().filter(|i| i.is_supported()) {
            let taps = LinearTaps::gaussian_5x5()
                .with_simd(isa)
                .expect("supported");
            let st = Stencil::new(taps, Boundary::Skip, iterations).expect("radius 2");
            let plan = BlockPlan::for_cache(2, w, BlockPlan::DEFAULT_CACHE_BYTES);
            // Touch the scratch once so page faults are not measured.
            let mut scratch = vec![1.0f32; st.blocked_scratch_len(shape, plan).expect("size")];
            group.bench_function(BenchmarkId::new("blocked", isa), |b| {
                b.iter(|| {
                    plane.copy_from_slice(&input);
                    st.run_blocked(black_box(&mut plane), shape, plan, &mut scratch)
                        .expect("valid");
                })
            });
            let mut scratch = vec![1.0f32; st.reference_scratch_len(shape).expect("size")];
            group.bench_function(BenchmarkId::new("reference", isa), |b| {
                b.iter(|| {
                    plane.copy_from_slice(&input);
                    st.run_reference(black_box(&mut plane), shape, &mut scratch)
                        .expect("valid");
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, blur);
criterion_main!(benches);
