/*
 * The C contenders of `cargo xtask bench`: each workload as one fused OpenMP
 * loop, the way an HPC programmer writes it in C. Built by xtask's build.rs with
 * the `cc` crate as `-O3 -march=native -fopenmp`, twice: PEER(name) appends
 * `_strict` or `_fast` to every symbol, and the `_fast` build adds
 * `-ffast-math`, which lets gcc call glibc's vector math (libmvec: 4-ulp exp,
 * log and erf) from the vectorised Black-Scholes loop.
 */
#include <math.h>
#include <omp.h>
#include <stddef.h>

#define CONCAT2(a, b) a##b
#define CONCAT(a, b) CONCAT2(a, b)
#define PEER(name) CONCAT(name, PEER_SUFFIX)

void PEER(peer_set_threads)(int threads) { omp_set_num_threads(threads); }

/* Black-Scholes put prices, the benchmark's formula line for line. */
void PEER(peer_blackscholes)(const double *restrict spt, const double *restrict strike,
                             const double *restrict rate, const double *restrict vol,
                             const double *restrict time, double *restrict put, ptrdiff_t n) {
#pragma omp parallel for simd schedule(static)
    for (ptrdiff_t i = 0; i < n; i++) {
        double s = spt[i], k = strike[i], r = rate[i], v = vol[i], t = time[i];
        double logterm = log10(s / k);
        double powterm = 0.5 * v * v;
        double den = v * sqrt(t);
        double d1 = ((r + powterm) * t + logterm) / den;
        double d2 = d1 - den;
        double cndf1 = 0.5 + 0.5 * erf(0.707106781 * d1);
        double cndf2 = 0.5 + 0.5 * erf(0.707106781 * d2);
        double fv = k * exp(-r * t);
        double call = s * cndf1 - fv * cndf2;
        put[i] = call - fv + s;
    }
}

/*
 * `iters` Jacobi sweeps of the 5×5 stencil `w` (row-major) with the `skip`
 * boundary, ping-ponging between `img` and `tmp`; the result ends in `img`.
 * Rows in parallel, each row's inner loop vectorised across pixels.
 */
void PEER(peer_blur)(float *img, float *tmp, ptrdiff_t width, ptrdiff_t height, int iters,
                     const float *w) {
    if (width < 5 || height < 5) return;
    float *src = img, *dst = tmp;
    for (ptrdiff_t i = 0; i < width * height; i++) tmp[i] = img[i];
    for (int it = 0; it < iters; it++) {
#pragma omp parallel for schedule(static)
        for (ptrdiff_t y = 2; y < height - 2; y++) {
            float *out = dst + y * width;
#pragma omp simd
            for (ptrdiff_t x = 2; x < width - 2; x++) {
                float acc = 0.0f;
                for (int dy = 0; dy < 5; dy++) {
                    const float *row = src + (y + dy - 2) * width + x - 2;
                    for (int dx = 0; dx < 5; dx++) acc += w[dy * 5 + dx] * row[dx];
                }
                out[x] = acc;
            }
        }
        float *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != img)
        for (ptrdiff_t i = 0; i < width * height; i++) img[i] = src[i];
}

/*
 * Every stored entry of a banded-block-banded matrix set to 1: one task per
 * block column (dynamic schedule, the columns differ in size), each writing its
 * stored column segments `[seg_start[s], seg_end[s])` for s in
 * `[col_first[j], col_first[j + 1])`.
 */
void PEER(peer_fill)(double *storage, const ptrdiff_t *seg_start, const ptrdiff_t *seg_end,
                     const ptrdiff_t *col_first, ptrdiff_t cols) {
#pragma omp parallel for schedule(dynamic, 1)
    for (ptrdiff_t j = 0; j < cols; j++)
        for (ptrdiff_t s = col_first[j]; s < col_first[j + 1]; s++)
            for (ptrdiff_t i = seg_start[s]; i < seg_end[s]; i++) storage[i] = 1.0;
}
