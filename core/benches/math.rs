//! Cost per element of `accel_core::math` in a plain loop over 4096 values, against
//! the `libm` crate, so kernels know what a call costs once vectorised.
//!
//! Variants per function: `libm`; `accel` (the free function in a loop compiled for
//! the build's target, SSE2 unless RUSTFLAGS say otherwise); `accel/avx2` (the same
//! loop inside a `target_feature(enable = "avx2,fma")` function, selected at run
//! time as a kernel would); `fma/avx2` and `fma/avx512` (the `math::fma` flavours in
//! such loops). Throughput is in elements, so criterion's time / 4096 is the cost
//! per element.

#[cfg(target_arch = "x86_64")]
mod x86 {
    use accel_core::math;
    use criterion::{BenchmarkId, Criterion, Throughput};
    use std::hint::black_box;

    const LEN: usize = 4096;

    /// Evenly spread inputs in [lo, hi), shuffled by a fixed stride so that neighbours
    /// differ (as in real data).
    fn inputs<T>(lo: f64, hi: f64, conv: fn(f64) -> T) -> Vec<T> {
        (0..LEN)
            .map(|i| {
                let j = (i * 1543) % LEN;
                conv(lo + (hi - lo) * (j as f64 + 0.5) / LEN as f64)
            })
            .collect()
    }

    /// Defines, for one function, a loop per instruction-set variant.
    macro_rules! loops {
        ($modname:ident, $t:ty, $plain:path, $fused:path) => {
            #[allow(unused_unsafe)]
            mod $modname {
                #[allow(unused_imports)]
                use super::*;

                pub fn plain(xs: &[$t], out: &mut [$t]) {
                    for (o, &x) in out.iter_mut().zip(xs) {
                        *o = $plain(x);
                    }
                }

                /// # Safety
                /// The CPU must support AVX2 and FMA.
                #[target_feature(enable = "avx2,fma")]
                pub unsafe fn plain_avx2(xs: &[$t], out: &mut [$t]) {
                    for (o, &x) in out.iter_mut().zip(xs) {
                        *o = $plain(x);
                    }
                }

                /// # Safety
                /// The CPU must support AVX2 and FMA.
                #[target_feature(enable = "avx2,fma")]
                pub unsafe fn fused_avx2(xs: &[$t], out: &mut [$t]) {
                    for (o, &x) in out.iter_mut().zip(xs) {
                        // SAFETY: this function is only compiled for, and called on, FMA CPUs.
                        *o = unsafe { $fused(x) };
                    }
                }

                /// # Safety
                /// The CPU must support AVX-512F.
                #[target_feature(enable = "avx512f")]
                pub unsafe fn fused_avx512(xs: &[$t], out: &mut [$t]) {
                    for (o, &x) in out.iter_mut().zip(xs) {
                        // SAFETY: AVX-512F implies FMA; the caller checked AVX-512F.
                        *o = unsafe { $fused(x) };
                    }
                }
            }
        };
    }

    loops!(exp64, f64, math::exp, math::fma::exp);
    loops!(ln64, f64, math::ln, math::fma::ln);
    loops!(log10_64, f64, math::log10, math::fma::log10);
    loops!(erf64, f64, math::erf, math::fma::erf);
    loops!(sqrt64, f64, math::sqrt, math::sqrt);
    loops!(exp32, f32, math::expf, math::fma::expf);
    loops!(ln32, f32, math::lnf, math::fma::lnf);
    loops!(log10_32, f32, math::log10f, math::fma::log10f);
    loops!(erf32, f32, math::erff, math::fma::erff);

    type Loop<T> = unsafe fn(&[T], &mut [T]);

    /// Benchmarks one function: libm, then every variant the CPU can run.
    fn bench_one<T: Copy + Default>(
        c: &mut Criterion,
        name: &str,
        xs: &[T],
        libm_fn: fn(T) -> T,
        variants: [Loop<T>; 4],
    ) {
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        let avx512 = is_x86_feature_detected!("avx512f");
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(LEN as u64));
        let mut out = vec![T::default(); LEN];
        group.bench_function("libm", |b| {
            b.iter(|| {
                for (o, &x) in out.iter_mut().zip(black_box(xs)) {
                    *o = libm_fn(x);
                }
                black_box(&mut out);
            })
        });
        let labels = ["accel", "accel/avx2", "fma/avx2", "fma/avx512"];
        let allowed = [true, avx2, avx2, avx512];
        for ((label, run), ok) in labels.into_iter().zip(variants).zip(allowed) {
            if !ok {
                continue;
            }
            group.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| {
                    // SAFETY: only variants whose features were detected above are run.
                    unsafe { run(black_box(xs), &mut out) };
                    black_box(&mut out);
                })
            });
        }
        group.finish();
    }

    macro_rules! variants {
        ($m:ident) => {
            [$m::plain, $m::plain_avx2, $m::fused_avx2, $m::fused_avx512]
        };
    }

    pub fn math_benches(c: &mut Criterion) {
        let id = |x: f64| x;
        let narrow = |x: f64| x as f32;
        let exp_in = inputs(-20.0, 20.0, id);
        let log_in = inputs(1e-3, 1e3, id);
        let erf_in = inputs(-4.0, 4.0, id);
        bench_one(c, "exp", &exp_in, libm::exp, variants!(exp64));
        bench_one(c, "ln", &log_in, libm::log, variants!(ln64));
        bench_one(c, "log10", &log_in, libm::log10, variants!(log10_64));
        bench_one(c, "erf", &erf_in, libm::erf, variants!(erf64));
        bench_one(c, "sqrt", &log_in, libm::sqrt, variants!(sqrt64));
        let exp_in = inputs(-20.0, 20.0, narrow);
        let log_in = inputs(1e-3, 1e3, narrow);
        let erf_in = inputs(-4.0, 4.0, narrow);
        bench_one(c, "expf", &exp_in, libm::expf, variants!(exp32));
        bench_one(c, "lnf", &log_in, libm::logf, variants!(ln32));
        bench_one(c, "log10f", &log_in, libm::log10f, variants!(log10_32));
        bench_one(c, "erff", &erf_in, libm::erff, variants!(erf32));
    }
}

#[cfg(target_arch = "x86_64")]
criterion::criterion_group!(benches, x86::math_benches);
#[cfg(target_arch = "x86_64")]
criterion::criterion_main!(benches);

/// The variants are x86_64 instruction sets; elsewhere there is nothing to compare.
#[cfg(not(target_arch = "x86_64"))]
fn main() {}
