//! The yardstick for the engine's own overhead: the `formulas` workload's two
//! formulas written by hand over AVX2 vectors, the lane type of accel's AVX2
//! path, with the same elementary functions (`math::fast::exp_avx2`, the
//! hardware square root).
//!
//! This is what an expert who knows accel's math library writes without the
//! engine: intrinsics, one vector at a time, four accumulators for the sum, and
//! for several threads one contiguous piece per thread (OpenMP's static
//! schedule) on the rayon pool. If `Pool::map_formula` / `sum_formula` on the
//! AVX2 path are within a few per cent of these, the engine costs nothing
//! beyond the lanes themselves. The rows appear only when the run is on the
//! AVX2 path.

use rayon::prelude::*;

/// Whether the hand-written rows apply: the run is on the AVX2 path (they are
/// its yardstick; under a forced `portable`, or on an AVX-512 machine's own
/// path, they would compare different lane types).
pub fn available() -> bool {
    accel_core::simd::SimdPath::active() == accel_core::simd::SimdPath::Avx2
}

/// `out[i] = 0.25 x[i] + 0.5 x[i+1] + 0.25 x[i+2]` (products and sums rounded
/// separately, as the formula's lanes do, so the bits agree), in `threads`
/// contiguous pieces. Panics off the AVX2 path (see [`available`]).
pub fn avg(pool: &rayon::ThreadPool, threads: usize, x: &[f64], out: &mut [f64]) {
    assert!(available() && x.len() == out.len() + 2);
    let piece = out.len().div_ceil(threads.max(1)).max(1);
    pool.install(|| {
        out.par_chunks_mut(piece).enumerate().for_each(|(k, o)| {
            let start = k * piece;
            // SAFETY: the AVX2 path (AVX2 and FMA) is supported, asserted above.
            unsafe { avg_avx2(&x[start..start + o.len() + 2], o) }
        })
    });
}

/// The sum of `exp(-a²/2) · sqrt(b² + c)`, in `threads` contiguous pieces
/// whose partial sums are added in order. Panics off the AVX2 path.
pub fn bump_sum(pool: &rayon::ThreadPool, threads: usize, a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    assert!(available() && a.len() == b.len() && a.len() == c.len());
    let piece = a.len().div_ceil(threads.max(1)).max(1);
    let partial: Vec<f64> = pool.install(|| {
        a.par_chunks(piece)
            .zip(b.par_chunks(piece))
            .zip(c.par_chunks(piece))
            // SAFETY: the AVX2 path is supported, asserted above.
            .map(|((a, b), c)| unsafe { bump_sum_avx2(a, b, c) })
            .collect()
    });
    partial.iter().sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avg_avx2(x: &[f64], out: &mut [f64]) {
    use std::arch::x86_64::{
        _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_storeu_pd,
    };
    let n = out.len();
    let whole = n - n % 4;
    let (quarter, half) = (_mm256_set1_pd(0.25), _mm256_set1_pd(0.5));
    let mut i = 0;
    while i < whole {
        // SAFETY: i + 4 <= n, so the loads read x[i..i + 6] (x has n + 2
        // elements) and the store writes out[i..i + 4].
        unsafe {
            let l = _mm256_loadu_pd(x.as_ptr().add(i));
            let m = _mm256_loadu_pd(x.as_ptr().add(i + 1));
            let r = _mm256_loadu_pd(x.as_ptr().add(i + 2));
            let y = _mm256_add_pd(
                _mm256_add_pd(_mm256_mul_pd(quarter, l), _mm256_mul_pd(half, m)),
                _mm256_mul_pd(quarter, r),
            );
            _mm256_storeu_pd(out.as_mut_ptr().add(i), y);
        }
        i += 4;
    }
    for j in whole..n {
        out[j] = 0.25 * x[j] + 0.5 * x[j + 1] + 0.25 * x[j + 2];
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn bump_sum_avx2(a: &[f64], b: &[f64], c: &[f64]) -> f64 {
    use accel_core::math::fast::{exp_avx2, exp_fma};
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_setzero_pd,
        _mm256_sqrt_pd, _mm256_storeu_pd,
    };
    #[inline(always)]
    unsafe fn term(a: &[f64], b: &[f64], c: &[f64], i: usize) -> __m256d {
        // SAFETY: the caller keeps i + 4 within the slices; AVX2 and FMA are
        // enabled in the calling function.
        unsafe {
            let (a, b, c) = (
                _mm256_loadu_pd(a.as_ptr().add(i)),
                _mm256_loadu_pd(b.as_ptr().add(i)),
                _mm256_loadu_pd(c.as_ptr().add(i)),
            );
            let e = exp_avx2(_mm256_mul_pd(_mm256_mul_pd(a, a), _mm256_set1_pd(-0.5)));
            _mm256_mul_pd(e, _mm256_sqrt_pd(_mm256_add_pd(_mm256_mul_pd(b, b), c)))
        }
    }
    let n = a.len();
    let whole = n - n % 16;
    let mut acc = [_mm256_setzero_pd(); 4];
    let mut i = 0;
    while i < whole {
        for (k, s) in acc.iter_mut().enumerate() {
            // SAFETY: i + 16 <= n.
            *s = _mm256_add_pd(*s, unsafe { term(a, b, c, i + 4 * k) });
        }
        i += 16;
    }
    let mut lanes = [0.0; 4];
    let total = _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3]));
    // SAFETY: `lanes` holds four f64.
    unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), total) };
    let mut sum: f64 = lanes.iter().sum();
    for j in whole..n {
        // SAFETY: FMA is enabled in this function.
        sum += unsafe { exp_fma(-(a[j] * a[j]) * 0.5) } * (b[j] * b[j] + c[j]).sqrt();
    }
    sum
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn avg_avx2(_: &[f64], _: &mut [f64]) {
    unreachable!("the AVX2 path exists only on x86-64")
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn bump_sum_avx2(_: &[f64], _: &[f64], _: &[f64]) -> f64 {
    unreachable!("the AVX2 path exists only on x86-64")
}
