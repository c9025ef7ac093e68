//! The rayon contenders: the same computations written the best way rayon allows
//! (one fused closure per element, `par_chunks_mut` for the stencil), run inside one
//! `install` on a rayon pool with the same thread count as accel's largest run.
//!
//! They are deliberately plain: this is the code a competent rayon user writes. The
//! blur's row loop is compiled for the CPU's widest vectors (as with
//! `-C target-cpu=native`); Black-Scholes calls std's math and the libm crate's
//! `erf`, scalar code whatever the target.

use rayon::prelude::*;

/// Black-Scholes put prices with rayon, one fused closure per element: std's
/// `log10`, `sqrt` and `exp` (the platform's libm) and the libm crate's `erf`
/// (`std` has none) — what a rayon user writes.
// 0.707106781 is the benchmark's own constant, not exactly 1/√2: keep it.
#[allow(clippy::approx_constant)]
pub fn blackscholes_put(
    spt: &[f64],
    strike: &[f64],
    rate: &[f64],
    vol: &[f64],
    time: &[f64],
    put: &mut [f64],
) {
    put.par_chunks_mut(4096).enumerate().for_each(|(c, out)| {
        let base = c * 4096;
        for (i, p) in out.iter_mut().enumerate() {
            let j = base + i;
            let (s, k, r, v, t) = (spt[j], strike[j], rate[j], vol[j], time[j]);
            let logterm = (s / k).log10();
            let powterm = 0.5 * v * v;
            let den = v * t.sqrt();
            let d1 = ((r + powterm) * t + logterm) / den;
            let d2 = d1 - den;
            let cndf = |x: f64| 0.5 + 0.5 * libm::erf(0.707106781 * x);
            let fv = k * (-r * t).exp();
            let call = s * cndf(d1) - fv * cndf(d2);
            *p = call - fv + s;
        }
    });
}

/// One Jacobi sweep of a 5×5 linear stencil with the `skip` boundary: rows of `dst`
/// in parallel, reading `src`. The 2-pixel frame of `dst` is left as it is.
pub fn stencil5x5_sweep(
    src: &[f32],
    dst: &mut [f32],
    width: usize,
    height: usize,
    w: &[[f32; 5]; 5],
) {
    if width < 5 || height < 5 {
        return;
    }
    dst.par_chunks_mut(width)
        .enumerate()
        .skip(2)
        .take(height - 4)
        .for_each(|(y, row)| {
            let out = &mut row[2..width - 2];
            let n = out.len();
            // taps[dy][dx][x] is the neighbour (dy − 2, dx − 2) of output x: with
            // every slice exactly `n` long the loop below has no bounds checks,
            // so LLVM vectorises it across x (each pixel's 25 taps summed in
            // registers, in the reference's order).
            let taps: [[&[f32]; 5]; 5] = core::array::from_fn(|dy| {
                let line = &src[(y + dy - 2) * width..(y + dy - 1) * width];
                core::array::from_fn(|dx| &line[dx..dx + n])
            });
            row_best(out, &taps, w);
        });
}

/// One output row: each pixel the sum of its 25 weighted taps, in the
/// reference's order. Inlined into the per-ISA wrappers below.
#[inline(always)]
fn row(out: &mut [f32], taps: &[[&[f32]; 5]; 5], w: &[[f32; 5]; 5]) {
    for (x, o) in out.iter_mut().enumerate() {
        let mut acc = 0.0f32;
        for (weights, taps) in w.iter().zip(taps) {
            for (&wt, tap) in weights.iter().zip(taps) {
                acc += wt * tap[x];
            }
        }
        *o = acc;
    }
}

/// [`row`] compiled for the widest vectors this CPU has: what a rayon user gets
/// from `-C target-cpu=native`, so the peer is not held to the SSE2 baseline
/// while accel dispatches to AVX-512 (Rust never contracts to FMA, so every
/// path gives the same bits).
fn row_best(out: &mut [f32], taps: &[[&[f32]; 5]; 5], w: &[[f32; 5]; 5]) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2")]
        fn avx512(out: &mut [f32], taps: &[[&[f32]; 5]; 5], w: &[[f32; 5]; 5]) {
            row(out, taps, w);
        }
        #[target_feature(enable = "avx2")]
        fn avx2(out: &mut [f32], taps: &[[&[f32]; 5]; 5], w: &[[f32; 5]; 5]) {
            row(out, taps, w);
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (and with it AVX2), checked above.
            return unsafe { avx512(out, taps, w) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked above.
            return unsafe { avx2(out, taps, w) };
        }
    }
    row(out, taps, w);
}

/// `iters` sweeps with buffer rotation; the result ends in `plane`.
pub fn blur(plane: &mut [f32], width: usize, height: usize, iters: usize, w: &[[f32; 5]; 5]) {
    let mut other = plane.to_vec();
    let (mut src, mut dst): (&mut [f32], &mut [f32]) = (plane, &mut other);
    for _ in 0..iters {
        stencil5x5_sweep(src, dst, width, height, w);
        std::mem::swap(&mut src, &mut dst);
    }
    if !iters.is_multiple_of(2) {
        // After an odd count the result is in `other`; copy it home.
        dst.copy_from_slice(src);
    }
}

/// Sets every stored entry of a banded-block-banded matrix's storage to 1, rayon
/// style: one task per block column (the smallest contiguous unit of the storage),
/// each walking its blocks' stored column segments.
pub fn simplefill(sizes: &accel_kernels::fill::BandedBlockBandedSizes, storage: &mut [f64]) {
    let mut slabs: Vec<(usize, &mut [f64])> = Vec::with_capacity(sizes.col_blocks());
    let mut rest = storage;
    let mut consumed = 0;
    for jb in 0..sizes.col_blocks() {
        let range = sizes.block_column_range(jb);
        let (_, tail) = std::mem::take(&mut rest).split_at_mut(range.start - consumed);
        let (slab, tail) = tail.split_at_mut(range.len());
        consumed = range.end;
        rest = tail;
        slabs.push((jb, slab));
    }
    slabs.into_par_iter().for_each(|(jb, slab)| {
        let base = sizes.block_column_range(jb).start;
        for kb in sizes.block_col_support(jb) {
            let Some(layout) = sizes.block_layout(kb, jb) else {
                continue;
            };
            for j in 0..layout.cols() {
                let seg = layout.col_storage(j);
                slab[seg.start - base..seg.end - base].fill(1.0);
            }
        }
    });
}
