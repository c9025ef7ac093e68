//! x86-64 row kernels: the portable kernels compiled for AVX2 / AVX-512, and a
//! hand-written AVX-512 kernel for the mirror-symmetric plan.
//!
//! Why hand-written: the portable symmetric kernel stores the column combinations
//! of a chunk and reloads them at offsets `±j` for the horizontal sums; those
//! reloads straddle cache lines and cost about as much as the arithmetic. Here each
//! 16-column vector of combinations is computed once, kept in registers, and the
//! shifted views are built with `valignd` from the current and the next vector,
//! which removes those reloads (`cargo bench -p accel-core --bench stencil` times
//! each instruction-set path).
//!
//! Every function performs, on every point, exactly the operations of the portable
//! kernel in the same order (separate multiplies and adds, never fused), so the
//! results are bit-identical; `tests/stencil_isa.rs` checks it.
//!
//! Safety protocol: every function here is `unsafe` because it is compiled for an
//! instruction set the caller must have verified, through
//! [`SimdPath::is_supported`](super::SimdPath::is_supported), before calling.
//!
//! The AVX-512 intrinsics are stable since Rust 1.89, hence the module's MSRV
//! (declared on the `mod` item).

use core::arch::x86_64::{
    __m512, __mmask16, _mm512_add_ps, _mm512_alignr_epi32, _mm512_castps_si512,
    _mm512_castsi512_ps, _mm512_loadu_ps, _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps,
    _mm512_mul_ps, _mm512_set1_ps, _mm512_storeu_ps,
};

use super::taps::{HalfGrid, LinearTaps, SYMMETRIC_MAX_RADIUS};

/// Rows of the largest symmetric window (plus one for a pair of output rows).
const ROWS: usize = 2 * SYMMETRIC_MAX_RADIUS + 2;

/// [`LinearTaps::apply_portable`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn apply_avx2(taps: &LinearTaps, window: &[&[f32]], out: &mut [f32]) {
    taps.apply_portable(window, out);
}

/// The AVX-512 row kernel: hand-written for the symmetric plan, the portable
/// kernel compiled for AVX-512 otherwise.
///
/// # Safety
/// The CPU must support AVX-512F and AVX2.
#[target_feature(enable = "avx512f,avx2")]
pub(super) unsafe fn apply_avx512(taps: &LinearTaps, window: &[&[f32]], out: &mut [f32]) {
    match (taps.half_grid(), taps.radius_of_plan()) {
        // SAFETY: the caller guarantees AVX-512F.
        (Some(w), 1) => unsafe { symmetric_row_avx512::<1>(w, window, out) },
        // SAFETY: the caller guarantees AVX-512F.
        (Some(w), 2) => unsafe { symmetric_row_avx512::<2>(w, window, out) },
        // SAFETY: the caller guarantees AVX-512F.
        (Some(w), 3) => unsafe { symmetric_row_avx512::<3>(w, window, out) },
        _ => taps.apply_portable(window, out),
    }
}

/// Two output rows with the AVX-512 kernel (they share `2r` of their `2r + 1`
/// input rows, so each vector of the common rows is loaded once), or with two
/// `LinearTaps::apply_portable` calls for the non-symmetric plan.
///
/// # Safety
/// The CPU must support AVX-512F and AVX2.
#[target_feature(enable = "avx512f,avx2")]
pub(super) unsafe fn apply_pair_avx512(
    taps: &LinearTaps,
    window: &[&[f32]],
    upper: &mut [f32],
    lower: &mut [f32],
) {
    match (taps.half_grid(), taps.radius_of_plan()) {
        // SAFETY: the caller guarantees AVX-512F.
        (Some(w), 1) => unsafe { symmetric_pair_avx512::<1>(w, window, upper, lower) },
        // SAFETY: the caller guarantees AVX-512F.
        (Some(w), 2) => unsafe { symmetric_pair_avx512::<2>(w, window, upper, lower) },
        // SAFETY: the caller guarantees AVX-512F.
        (Some(w), 3) => unsafe { symmetric_pair_avx512::<3>(w, window, upper, lower) },
        _ => {
            let side = window.len() - 1;
            taps.apply_portable(&window[..side], upper);
            taps.apply_portable(&window[1..], lower);
        }
    }
}

/// Lanes `s..16` of `a` followed by lanes `0..s` of `b` (`s ≤ 2·SYMMETRIC_MAX_RADIUS`).
///
/// # Safety
/// The CPU must support AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn shift(a: __m512, b: __m512, s: usize) -> __m512 {
    let (a, b) = (_mm512_castps_si512(a), _mm512_castps_si512(b));
    let v = match s {
        0 => a,
        1 => _mm512_alignr_epi32::<1>(b, a),
        2 => _mm512_alignr_epi32::<2>(b, a),
        3 => _mm512_alignr_epi32::<3>(b, a),
        4 => _mm512_alignr_epi32::<4>(b, a),
        5 => _mm512_alignr_epi32::<5>(b, a),
        _ => _mm512_alignr_epi32::<6>(b, a),
    };
    _mm512_castsi512_ps(v)
}

/// The mask of lanes `0..min(len, 16)`.
#[inline(always)]
fn lanes(len: usize) -> __mmask16 {
    if len >= 16 { 0xffff } else { (1u16 << len) - 1 }
}

/// 16 values from `p`, or (with a mask) the masked lanes and zeros elsewhere.
///
/// # Safety
/// The CPU must support AVX-512F; the 16 values (or the masked lanes) from `p`
/// must be readable. Masked-off lanes are neither read nor faulted on, so `p` may
/// then point past the end of the row (it is formed with `wrapping_add`).
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load(p: *const f32, mask: Option<__mmask16>) -> __m512 {
    // SAFETY: see the function's contract.
    unsafe {
        match mask {
            None => _mm512_loadu_ps(p),
            Some(m) => _mm512_maskz_loadu_ps(m, p),
        }
    }
}

/// The column combinations `C_j` (`j = 0..=R`) of columns `c..c + 16`; with a
/// mask, lanes outside it are zero and their memory is not touched.
///
/// # Safety
/// The CPU must support AVX-512F, and every `rows[t]` (`t < 2R + 1`) must be valid
/// for reads of 16 values (or the lanes of `mask`) from `c`.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn combinations<const R: usize>(
    rows: &[*const f32; ROWS],
    w: &[[__m512; SYMMETRIC_MAX_RADIUS + 1]; SYMMETRIC_MAX_RADIUS + 1],
    c: usize,
    mask: Option<__mmask16>,
) -> [__m512; SYMMETRIC_MAX_RADIUS + 1] {
    // SAFETY: the caller guarantees the loaded lanes are readable.
    unsafe {
        let v0 = load(rows[R].wrapping_add(c), mask);
        let mut v = [v0; SYMMETRIC_MAX_RADIUS + 1];
        for k in 1..=R {
            let up = load(rows[R - k].wrapping_add(c), mask);
            let down = load(rows[R + k].wrapping_add(c), mask);
            v[k] = _mm512_add_ps(up, down);
        }
        let mut comb = [v0; SYMMETRIC_MAX_RADIUS + 1];
        for (j, cj) in comb.iter_mut().enumerate().take(R + 1) {
            let mut acc = _mm512_mul_ps(w[0][j], v0);
            for k in 1..=R {
                acc = _mm512_add_ps(acc, _mm512_mul_ps(w[k][j], v[k]));
            }
            *cj = acc;
        }
        comb
    }
}

/// The symmetric plan of radius `R` with 512-bit vectors; the ragged end of the
/// row is handled with masked loads and stores (lanes past the row are zero and
/// feed only outputs past the row, which are not stored).
///
/// # Safety
/// The CPU must support AVX-512F.
#[target_feature(enable = "avx512f")]
unsafe fn symmetric_row_avx512<const R: usize>(w: &HalfGrid, window: &[&[f32]], out: &mut [f32]) {
    let n = out.len();
    let span = n + 2 * R;
    assert!(
        window.len() == 2 * R + 1 && window.iter().all(|row| row.len() >= span),
        "row kernel window does not match the output row"
    );
    if n == 0 {
        return;
    }
    let mut rows = [core::ptr::null::<f32>(); ROWS];
    for (p, row) in rows.iter_mut().zip(window) {
        *p = row.as_ptr();
    }
    let wv: [[__m512; SYMMETRIC_MAX_RADIUS + 1]; SYMMETRIC_MAX_RADIUS + 1] =
        core::array::from_fn(|k| core::array::from_fn(|j| _mm512_set1_ps(w[k][j])));
    let dst = out.as_mut_ptr();
    let first = if span >= 16 { None } else { Some(lanes(span)) };
    // SAFETY: columns 0..16 (or the lanes of `lanes(span)`) are < span, inside
    // every row.
    let mut a = unsafe { combinations::<R>(&rows, &wv, 0, first) };
    let mut x = 0;
    // Output vector x..x+16 needs the combinations of columns x..x+16+2R: those
    // of `a` (x..x+16) and `b` (x+16..x+32). Full vectors first, then the ragged
    // end with masked loads and stores (lanes past the row are zero and feed only
    // outputs past the row, which are not stored).
    while x + 32 <= span {
        // SAFETY: columns x+16..x+32 ≤ span lie in every row, and x + 16 ≤
        // span − 16 ≤ n (2R < 16), so the store stays in `out`.
        unsafe {
            let b = combinations::<R>(&rows, &wv, x + 16, None);
            _mm512_storeu_ps(dst.add(x), horizontal::<R>(&a, &b));
            a = b;
        }
        x += 16;
    }
    while x < n {
        // SAFETY: `b` reads only columns < span (its mask), inside every row; the
        // store writes only outputs < n (its mask), inside `out`.
        unsafe {
            let mask = lanes(span.saturating_sub(x + 16));
            let b = combinations::<R>(&rows, &wv, x + 16, Some(mask));
            _mm512_mask_storeu_ps(dst.wrapping_add(x), lanes(n - x), horizontal::<R>(&a, &b));
            a = b;
        }
        x += 16;
    }
}

/// Two consecutive output rows of the symmetric plan of radius `R`: `upper` from
/// window rows `0..=2R`, `lower` from rows `1..=2R+1`. Same vector scheme as
/// [`symmetric_row_avx512`]; the loads of the shared rows are common
/// subexpressions of the two combination calls (no store lies between them).
///
/// # Safety
/// The CPU must support AVX-512F.
#[target_feature(enable = "avx512f")]
unsafe fn symmetric_pair_avx512<const R: usize>(
    w: &HalfGrid,
    window: &[&[f32]],
    upper: &mut [f32],
    lower: &mut [f32],
) {
    let n = upper.len();
    let span = n + 2 * R;
    assert!(
        lower.len() == n && window.len() == 2 * R + 2 && window.iter().all(|row| row.len() >= span),
        "row kernel window does not match the output rows"
    );
    if n == 0 {
        return;
    }
    let mut rows0 = [core::ptr::null::<f32>(); ROWS];
    let mut rows1 = [core::ptr::null::<f32>(); ROWS];
    for (t, row) in window.iter().enumerate() {
        if t <= 2 * R {
            rows0[t] = row.as_ptr();
        }
        if t >= 1 {
            rows1[t - 1] = row.as_ptr();
        }
    }
    let wv: [[__m512; SYMMETRIC_MAX_RADIUS + 1]; SYMMETRIC_MAX_RADIUS + 1] =
        core::array::from_fn(|k| core::array::from_fn(|j| _mm512_set1_ps(w[k][j])));
    let (d0, d1) = (upper.as_mut_ptr(), lower.as_mut_ptr());
    let first = if span >= 16 { None } else { Some(lanes(span)) };
    // SAFETY: as in `symmetric_row_avx512`, for both row sets.
    let (mut a0, mut a1) = unsafe {
        (
            combinations::<R>(&rows0, &wv, 0, first),
            combinations::<R>(&rows1, &wv, 0, first),
        )
    };
    let mut x = 0;
    while x + 32 <= span {
        // SAFETY: as in `symmetric_row_avx512` (full vectors), for both rows.
        unsafe {
            let b0 = combinations::<R>(&rows0, &wv, x + 16, None);
            let b1 = combinations::<R>(&rows1, &wv, x + 16, None);
            _mm512_storeu_ps(d0.add(x), horizontal::<R>(&a0, &b0));
            _mm512_storeu_ps(d1.add(x), horizontal::<R>(&a1, &b1));
            (a0, a1) = (b0, b1);
        }
        x += 16;
    }
    while x < n {
        // SAFETY: as in `symmetric_row_avx512` (masked end), for both rows.
        unsafe {
            let mask = lanes(span.saturating_sub(x + 16));
            let b0 = combinations::<R>(&rows0, &wv, x + 16, Some(mask));
            let b1 = combinations::<R>(&rows1, &wv, x + 16, Some(mask));
            let store = lanes(n - x);
            _mm512_mask_storeu_ps(d0.wrapping_add(x), store, horizontal::<R>(&a0, &b0));
            _mm512_mask_storeu_ps(d1.wrapping_add(x), store, horizontal::<R>(&a1, &b1));
            (a0, a1) = (b0, b1);
        }
        x += 16;
    }
}

/// The outputs at columns `x..x+16` from the combinations of columns `x..x+16`
/// (`a`) and `x+16..x+32` (`b`), in the order of the portable kernel.
///
/// # Safety
/// The CPU must support AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn horizontal<const R: usize>(
    a: &[__m512; SYMMETRIC_MAX_RADIUS + 1],
    b: &[__m512; SYMMETRIC_MAX_RADIUS + 1],
) -> __m512 {
    // SAFETY: register-only operations; the caller guarantees AVX-512F.
    unsafe {
        let mut acc = shift(a[0], b[0], R);
        for j in 1..=R {
            let pair = _mm512_add_ps(shift(a[j], b[j], R - j), shift(a[j], b[j], R + j));
            acc = _mm512_add_ps(acc, pair);
        }
        acc
    }
}
