//! x86-64 row kernels: one hand-written kernel for the mirror-symmetric plan,
//! instantiated for AVX-512 (16 lanes) and AVX2 (8 lanes), and the portable
//! kernel compiled for those instruction sets otherwise.
//!
//! Why hand-written: the portable symmetric kernel stores the column combinations
//! of a chunk and reloads them at offsets `±j` for the horizontal sums; those
//! unaligned reloads straddle cache lines and cost about as much as the
//! arithmetic. Here each vector of combinations is computed once, kept in
//! registers, and the shifted views are built from the current and the next
//! vector (AVX-512: one `valignd`; AVX2: a `vperm2f128` shared by both shifts of
//! a combination, then one `vpalignr` per shift), which removes those reloads.
//! With AVX-512's 32 registers two output rows are computed together
//! ([`apply_pair_avx512`]): they share `2r` of their `2r + 1` input rows, so
//! each vector of those rows is loaded once for both. AVX2's 16 registers
//! cannot hold two rows' combinations and the weights at once (the pair spills
//! and runs slower than two single rows), so the AVX2 path computes rows one at
//! a time; its loads are not the bottleneck anyway (`cargo bench -p accel-core
//! --bench stencil` times each instruction-set path).
//!
//! The kernel is written once, generic over [`RowVector`] (the lane count, loads
//! with a lane count, stores, add, multiply, and the shift across two vectors);
//! the two implementations are the only instruction-set-specific code.
//!
//! Every function performs, on every point, exactly the operations of the portable
//! kernel in the same order (separate multiplies and adds, never fused), so the
//! results are bit-identical; `tests/stencil_isa.rs` checks it.
//!
//! Safety protocol: every function here is `unsafe` because it is compiled for an
//! instruction set the caller must have verified, through
//! [`SimdPath::is_supported`](super::SimdPath::is_supported), before calling. The
//! [`RowVector`] methods are `#[inline(always)]` `unsafe fn`s that inline only
//! into the `#[target_feature]` kernels below.
//!
//! The AVX-512 intrinsics are stable since Rust 1.89, hence the module's MSRV
//! (declared on the `mod` item).

use core::arch::x86_64::{
    __m256, __m512, __mmask16, _mm256_add_ps, _mm256_alignr_epi8, _mm256_castps_si256,
    _mm256_castsi256_ps, _mm256_loadu_ps, _mm256_mul_ps, _mm256_permute2f128_ps, _mm256_set1_ps,
    _mm256_storeu_ps, _mm512_add_ps, _mm512_alignr_epi32, _mm512_castps_si512, _mm512_castsi512_ps,
    _mm512_loadu_ps, _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps, _mm512_mul_ps, _mm512_set1_ps,
    _mm512_storeu_ps,
};

use super::taps::{HalfGrid, LinearTaps, SYMMETRIC_MAX_RADIUS};

/// Rows of the largest symmetric window (plus one for a pair of output rows).
const ROWS: usize = 2 * SYMMETRIC_MAX_RADIUS + 2;

/// One combination per `j = 0..=R` (the array is sized for the largest `R`).
type Combinations<V> = [V; SYMMETRIC_MAX_RADIUS + 1];

/// The broadcast half grid: `w[k][j]` in every lane.
type Weights<V> = [[V; SYMMETRIC_MAX_RADIUS + 1]; SYMMETRIC_MAX_RADIUS + 1];

/// A vector of `f32` lanes and the operations the symmetric kernel needs.
///
/// # Safety
/// Every method requires the instruction set of the implementation; they are
/// `#[inline(always)]` so that they compile inside the `#[target_feature]`
/// kernels of this module, which are their only callers.
trait RowVector: Copy {
    /// Lanes per vector; greater than `2 * SYMMETRIC_MAX_RADIUS`, so that a
    /// shift never reaches past the next vector.
    const LANES: usize;
    /// `x` in every lane.
    unsafe fn splat(x: f32) -> Self;
    /// `LANES` values from `p` if `valid >= LANES`, else the first `valid`
    /// values and zeros elsewhere, without touching the memory of the others
    /// (so `p` may then point past the end of the row: it is formed with
    /// `wrapping_add`).
    unsafe fn load(p: *const f32, valid: usize) -> Self;
    /// Stores the first `min(valid, LANES)` lanes at `p`.
    unsafe fn store(p: *mut f32, v: Self, valid: usize);
    /// Lane-wise `a + b`.
    unsafe fn add(a: Self, b: Self) -> Self;
    /// Lane-wise `a * b`.
    unsafe fn mul(a: Self, b: Self) -> Self;
    /// Lanes `lo..LANES` of `a` followed by lanes `0..lo` of `b`, and the same
    /// for `hi` (`lo <= hi <= 2 * SYMMETRIC_MAX_RADIUS`): the two shifted views
    /// of one combination.
    unsafe fn shift_pair(a: Self, b: Self, lo: usize, hi: usize) -> (Self, Self);
}

impl RowVector for __m512 {
    const LANES: usize = 16;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: AVX-512F, the caller's promise.
        unsafe { _mm512_set1_ps(x) }
    }

    #[inline(always)]
    unsafe fn load(p: *const f32, valid: usize) -> Self {
        // SAFETY: AVX-512F, the caller's promise; the caller guarantees the
        // lanes read are readable, and masked-off lanes are not accessed.
        unsafe {
            if valid >= 16 {
                _mm512_loadu_ps(p)
            } else {
                _mm512_maskz_loadu_ps(mask16(valid), p)
            }
        }
    }

    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Self, valid: usize) {
        // SAFETY: AVX-512F; the caller guarantees the lanes written are in bounds.
        unsafe {
            if valid >= 16 {
                _mm512_storeu_ps(p, v)
            } else {
                _mm512_mask_storeu_ps(p, mask16(valid), v)
            }
        }
    }

    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        // SAFETY: AVX-512F.
        unsafe { _mm512_add_ps(a, b) }
    }

    #[inline(always)]
    unsafe fn mul(a: Self, b: Self) -> Self {
        // SAFETY: AVX-512F.
        unsafe { _mm512_mul_ps(a, b) }
    }

    #[inline(always)]
    unsafe fn shift_pair(a: Self, b: Self, lo: usize, hi: usize) -> (Self, Self) {
        // SAFETY: AVX-512F.
        unsafe { (shift16(a, b, lo), shift16(a, b, hi)) }
    }
}

/// The mask of lanes `0..min(len, 16)`.
#[inline(always)]
fn mask16(len: usize) -> __mmask16 {
    if len >= 16 { 0xffff } else { (1u16 << len) - 1 }
}

/// Lanes `s..16` of `a` followed by lanes `0..s` of `b` (`s ≤ 2·SYMMETRIC_MAX_RADIUS`).
///
/// # Safety
/// The CPU must support AVX-512F.
#[inline(always)]
unsafe fn shift16(a: __m512, b: __m512, s: usize) -> __m512 {
    // SAFETY: AVX-512F, the caller's promise.
    unsafe {
        let (a, b) = (_mm512_castps_si512(a), _mm512_castps_si512(b));
        let v = match s {
            0 => a,
            1 => _mm512_alignr_epi32::<1>(b, a),
            2 => _mm512_alignr_epi32::<2>(b, a),
            3 => _mm512_alignr_epi32::<3>(b, a),
            4 => _mm512_alignr_epi32::<4>(b, a),
            5 => _mm512_alignr_epi32::<5>(b, a),
            6 => _mm512_alignr_epi32::<6>(b, a),
            _ => unreachable!("shift {s} exceeds 2·SYMMETRIC_MAX_RADIUS"),
        };
        _mm512_castsi512_ps(v)
    }
}

impl RowVector for __m256 {
    const LANES: usize = 8;

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        // SAFETY: AVX2, the caller's promise.
        unsafe { _mm256_set1_ps(x) }
    }

    #[inline(always)]
    unsafe fn load(p: *const f32, valid: usize) -> Self {
        // The ragged end goes through a stack copy rather than `vmaskmovps`:
        // AMD documents that a masked-off lane of it may still fault (or hit a
        // breakpoint), and the lanes past `valid` may lie past the allocation.
        // It runs once per row end, so its cost does not show.
        if valid >= 8 {
            // SAFETY: AVX2; the caller guarantees 8 readable values at `p`.
            unsafe { _mm256_loadu_ps(p) }
        } else {
            let mut lanes = [0.0f32; 8];
            // SAFETY: the caller guarantees `valid` readable values at `p`;
            // `lanes` holds 8 > `valid` and does not overlap them. AVX2 loads
            // the local array.
            unsafe {
                core::ptr::copy_nonoverlapping(p, lanes.as_mut_ptr(), valid);
                _mm256_loadu_ps(lanes.as_ptr())
            }
        }
    }

    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Self, valid: usize) {
        // The ragged end through a stack copy, for the reason given at `load`.
        if valid >= 8 {
            // SAFETY: AVX2; the caller guarantees 8 writable values at `p`.
            unsafe { _mm256_storeu_ps(p, v) }
        } else {
            let mut lanes = [0.0f32; 8];
            // SAFETY: AVX2 stores into the local array; the caller guarantees
            // `valid` (< 8) writable values at `p`, which `lanes` does not overlap.
            unsafe {
                _mm256_storeu_ps(lanes.as_mut_ptr(), v);
                core::ptr::copy_nonoverlapping(lanes.as_ptr(), p, valid);
            }
        }
    }

    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        // SAFETY: AVX2.
        unsafe { _mm256_add_ps(a, b) }
    }

    #[inline(always)]
    unsafe fn mul(a: Self, b: Self) -> Self {
        // SAFETY: AVX2.
        unsafe { _mm256_mul_ps(a, b) }
    }

    #[inline(always)]
    unsafe fn shift_pair(a: Self, b: Self, lo: usize, hi: usize) -> (Self, Self) {
        // SAFETY: AVX2.
        unsafe {
            // `mid` is lanes 4..12 of a:b; every shift is one in-lane byte
            // alignment of two of a, mid and b.
            let mid = _mm256_permute2f128_ps::<0x21>(a, b);
            (shift8(a, mid, b, lo), shift8(a, mid, b, hi))
        }
    }
}

/// Lanes `s..8` of `a` followed by lanes `0..s` of `b` (`s ≤ 6`), given
/// `mid` = lanes 4..8 of `a` then 0..4 of `b`. `vpalignr` shifts each 128-bit
/// half of the concatenation `hi:lo` right by bytes, so shifts below 4 align
/// `a` with `mid` and shifts above 4 align `mid` with `b`.
///
/// # Safety
/// The CPU must support AVX2.
#[inline(always)]
unsafe fn shift8(a: __m256, mid: __m256, b: __m256, s: usize) -> __m256 {
    // SAFETY: AVX2, the caller's promise.
    unsafe {
        let (a, mid, b) = (
            _mm256_castps_si256(a),
            _mm256_castps_si256(mid),
            _mm256_castps_si256(b),
        );
        let v = match s {
            0 => a,
            1 => _mm256_alignr_epi8::<4>(mid, a),
            2 => _mm256_alignr_epi8::<8>(mid, a),
            3 => _mm256_alignr_epi8::<12>(mid, a),
            4 => mid,
            5 => _mm256_alignr_epi8::<4>(b, mid),
            6 => _mm256_alignr_epi8::<8>(b, mid),
            _ => unreachable!("shift {s} exceeds 2·SYMMETRIC_MAX_RADIUS"),
        };
        _mm256_castsi256_ps(v)
    }
}

/// [`LinearTaps::apply_portable`] compiled for AVX2, with the hand-written
/// kernel for the symmetric plan.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn apply_avx2(taps: &LinearTaps, window: &[&[f32]], out: &mut [f32]) {
    match (taps.half_grid(), taps.radius_of_plan()) {
        // SAFETY: the caller guarantees AVX2.
        (Some(w), 1) => unsafe { symmetric_row::<__m256, 1>(w, window, out) },
        // SAFETY: the caller guarantees AVX2.
        (Some(w), 2) => unsafe { symmetric_row::<__m256, 2>(w, window, out) },
        // SAFETY: the caller guarantees AVX2.
        (Some(w), 3) => unsafe { symmetric_row::<__m256, 3>(w, window, out) },
        _ => taps.apply_portable(window, out),
    }
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
        (Some(w), 1) => unsafe { symmetric_row::<__m512, 1>(w, window, out) },
        // SAFETY: the caller guarantees AVX-512F.
        (Some(w), 2) => unsafe { symmetric_row::<__m512, 2>(w, window, out) },
        // SAFETY: the caller guarantees AVX-512F.
        (Some(w), 3) => unsafe { symmetric_row::<__m512, 3>(w, window, out) },
        _ => taps.apply_portable(window, out),
    }
}

/// Two output rows with the AVX-512 kernel, or two
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
        (Some(w), 1) => unsafe { symmetric_pair::<__m512, 1>(w, window, upper, lower) },
        // SAFETY: the caller guarantees AVX-512F.
        (Some(w), 2) => unsafe { symmetric_pair::<__m512, 2>(w, window, upper, lower) },
        // SAFETY: the caller guarantees AVX-512F.
        (Some(w), 3) => unsafe { symmetric_pair::<__m512, 3>(w, window, upper, lower) },
        _ => {
            let side = window.len() - 1;
            taps.apply_portable(&window[..side], upper);
            taps.apply_portable(&window[1..], lower);
        }
    }
}

/// The broadcast weights.
///
/// # Safety
/// The instruction set of `V`.
#[inline(always)]
unsafe fn weights<V: RowVector>(w: &HalfGrid) -> Weights<V> {
    // SAFETY: the caller's promise.
    core::array::from_fn(|k| core::array::from_fn(|j| unsafe { V::splat(w[k][j]) }))
}

/// The column combinations `C_j` (`j = 0..=R`) of columns `c..c + LANES`, in
/// the portable kernel's order; lanes at or past `valid` are zero and their
/// memory is not touched.
///
/// # Safety
/// The instruction set of `V`, and every `rows[t]` (`t < 2R + 1`) must be valid
/// for reads of `min(valid, LANES)` values from `c`.
#[inline(always)]
unsafe fn combinations<V: RowVector, const R: usize>(
    rows: &[*const f32; ROWS],
    w: &Weights<V>,
    c: usize,
    valid: usize,
) -> Combinations<V> {
    // SAFETY: the caller guarantees the instruction set and the loaded lanes.
    unsafe {
        let v0 = V::load(rows[R].wrapping_add(c), valid);
        let mut v = [v0; SYMMETRIC_MAX_RADIUS + 1];
        for k in 1..=R {
            let up = V::load(rows[R - k].wrapping_add(c), valid);
            let down = V::load(rows[R + k].wrapping_add(c), valid);
            v[k] = V::add(up, down);
        }
        let mut comb = [v0; SYMMETRIC_MAX_RADIUS + 1];
        for (j, cj) in comb.iter_mut().enumerate().take(R + 1) {
            let mut acc = V::mul(w[0][j], v0);
            for k in 1..=R {
                acc = V::add(acc, V::mul(w[k][j], v[k]));
            }
            *cj = acc;
        }
        comb
    }
}

/// The outputs at columns `x..x+LANES` from the combinations of those columns
/// (`a`) and of the next `LANES` (`b`), in the order of the portable kernel.
///
/// # Safety
/// The instruction set of `V`.
#[inline(always)]
unsafe fn horizontal<V: RowVector, const R: usize>(a: &Combinations<V>, b: &Combinations<V>) -> V {
    // SAFETY: register-only operations; the caller guarantees the instruction set.
    unsafe {
        let mut acc = V::shift_pair(a[0], b[0], R, R).0;
        for j in 1..=R {
            let (left, right) = V::shift_pair(a[j], b[j], R - j, R + j);
            acc = V::add(acc, V::add(left, right));
        }
        acc
    }
}

/// The lane count of a whole vector, for [`RowVector::load`] and
/// [`RowVector::store`] (a constant, so that their mask branch folds away).
const FULL: usize = usize::MAX;

/// `count` rows of `window` as pointers, starting at row `first`.
fn row_pointers(window: &[&[f32]], first: usize, count: usize) -> [*const f32; ROWS] {
    let mut rows = [core::ptr::null::<f32>(); ROWS];
    for (p, row) in rows.iter_mut().zip(&window[first..first + count]) {
        *p = row.as_ptr();
    }
    rows
}

/// The symmetric plan of radius `R`, one output row; the ragged end of the row
/// is handled with masked loads and stores (lanes past the row are zero and
/// feed only outputs past the row, which are not stored).
///
/// # Safety
/// The instruction set of `V`.
#[inline(always)]
unsafe fn symmetric_row<V: RowVector, const R: usize>(
    w: &HalfGrid,
    window: &[&[f32]],
    out: &mut [f32],
) {
    const { assert!(2 * SYMMETRIC_MAX_RADIUS < V::LANES) };
    let n = out.len();
    let span = n + 2 * R;
    assert!(
        window.len() == 2 * R + 1 && window.iter().all(|row| row.len() >= span),
        "row kernel window does not match the output row"
    );
    if n == 0 {
        return;
    }
    let lanes = V::LANES;
    let rows = row_pointers(window, 0, 2 * R + 1);
    // SAFETY: the caller's instruction set.
    let wv = unsafe { weights::<V>(w) };
    let dst = out.as_mut_ptr();
    // SAFETY: columns 0..min(span, LANES) lie in every row.
    let mut a = unsafe { combinations::<V, R>(&rows, &wv, 0, span) };
    let mut x = 0;
    // Output vector x..x+LANES needs the combinations of columns
    // x..x+LANES+2R: those of `a` (x..x+LANES) and `b` (the next LANES). Full
    // vectors first, then the ragged end with masked loads and stores.
    while x + 2 * lanes <= span {
        // SAFETY: columns x+LANES..x+2·LANES ≤ span lie in every row, and
        // x + LANES ≤ span − LANES < n (2R < LANES), so the store stays in `out`.
        unsafe {
            let b = combinations::<V, R>(&rows, &wv, x + lanes, FULL);
            V::store(dst.add(x), horizontal::<V, R>(&a, &b), FULL);
            a = b;
        }
        x += lanes;
    }
    while x < n {
        // SAFETY: `b` reads only columns < span (its lane count), inside every
        // row; the store writes only outputs < n, inside `out`.
        unsafe {
            let b = combinations::<V, R>(&rows, &wv, x + lanes, span.saturating_sub(x + lanes));
            V::store(dst.wrapping_add(x), horizontal::<V, R>(&a, &b), n - x);
            a = b;
        }
        x += lanes;
    }
}

/// Two consecutive output rows of the symmetric plan of radius `R`: `upper` from
/// window rows `0..=2R`, `lower` from rows `1..=2R+1`. Same vector scheme as
/// [`symmetric_row`]; the loads of the shared rows are common subexpressions of
/// the two combination calls (no store lies between them).
///
/// # Safety
/// The instruction set of `V`.
#[inline(always)]
unsafe fn symmetric_pair<V: RowVector, const R: usize>(
    w: &HalfGrid,
    window: &[&[f32]],
    upper: &mut [f32],
    lower: &mut [f32],
) {
    const { assert!(2 * SYMMETRIC_MAX_RADIUS < V::LANES) };
    let n = upper.len();
    let span = n + 2 * R;
    assert!(
        lower.len() == n && window.len() == 2 * R + 2 && window.iter().all(|row| row.len() >= span),
        "row kernel window does not match the output rows"
    );
    if n == 0 {
        return;
    }
    let lanes = V::LANES;
    let rows0 = row_pointers(window, 0, 2 * R + 1);
    let rows1 = row_pointers(window, 1, 2 * R + 1);
    // SAFETY: the caller's instruction set.
    let wv = unsafe { weights::<V>(w) };
    let (d0, d1) = (upper.as_mut_ptr(), lower.as_mut_ptr());
    // SAFETY: as in `symmetric_row`, for both row sets.
    let (mut a0, mut a1) = unsafe {
        (
            combinations::<V, R>(&rows0, &wv, 0, span),
            combinations::<V, R>(&rows1, &wv, 0, span),
        )
    };
    let mut x = 0;
    while x + 2 * lanes <= span {
        // SAFETY: as in `symmetric_row` (full vectors), for both rows.
        unsafe {
            let b0 = combinations::<V, R>(&rows0, &wv, x + lanes, FULL);
            let b1 = combinations::<V, R>(&rows1, &wv, x + lanes, FULL);
            V::store(d0.add(x), horizontal::<V, R>(&a0, &b0), FULL);
            V::store(d1.add(x), horizontal::<V, R>(&a1, &b1), FULL);
            (a0, a1) = (b0, b1);
        }
        x += lanes;
    }
    while x < n {
        // SAFETY: as in `symmetric_row` (masked end), for both rows.
        unsafe {
            let valid = span.saturating_sub(x + lanes);
            let b0 = combinations::<V, R>(&rows0, &wv, x + lanes, valid);
            let b1 = combinations::<V, R>(&rows1, &wv, x + lanes, valid);
            V::store(d0.wrapping_add(x), horizontal::<V, R>(&a0, &b0), n - x);
            V::store(d1.wrapping_add(x), horizontal::<V, R>(&a1, &b1), n - x);
            (a0, a1) = (b0, b1);
        }
        x += lanes;
    }
}
