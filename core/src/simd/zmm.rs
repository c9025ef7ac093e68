//! Whole AVX-512 registers as [`Real`] values: the AVX-512 path's lane type.
//!
//! [`Zmm<V>`] holds `V` AVX-512 registers of eight f64 each and implements every
//! operation of [`Real`] with one intrinsic per register, so a [`Formula`]
//! written once generically compiles to straight-line register code with `V`
//! independent dependency chains: enough to hide the latency of a long formula
//! (Black-Scholes' critical path runs through two divisions, `log10` and `erf`)
//! without spilling. Three registers per step ([`VECTORS`]) was the best
//! trade-off between hidden latency and register pressure; one register leaves
//! the latency exposed, four start to spill.
//!
//! The elementary functions are `math::fast`'s table versions (`exp`, `log10`,
//! `erf`, whose per-lane table entries are picked with AVX-512's two-register
//! permute `vpermt2pd`), `vsqrtpd` and `vdivpd` (both correctly rounded), and
//! `math::fma::ln` lane by lane. Their error bounds are in the accuracy table,
//! [`ACCURACY`](crate::math::precision::ACCURACY). Sums fold element `r` into lane `r % 8` in order: the fixed lane
//! order of [`ReduceOp::Sum`].
//!
//! # Where the time goes
//! A step of Black-Scholes (24 options) issues about 425 micro-ops to ports 0 and
//! 5, the only vector ports for 512-bit work: 90 table permutes, 180 multiplies
//! and FMAs, the rest adds and bit operations. At two per cycle that is 8.9
//! cycles per option, the port bound; the rest of the measured time (see
//! `docs/PERFORMANCE.md`) is latency: one step's critical path (divide → `log10`
//! → divide → `erf` → sum) is about 200 cycles, and a step's micro-ops do not fit
//! the out-of-order window, so consecutive steps overlap little. Software
//! pipelining and a shared reciprocal were tried and made it slower (more live
//! registers; `log10` waiting on the division).
//!
//! # Safety protocol
//! Every method runs AVX-512F instructions. [`Zmm`] is private to this module and
//! only [`map_vectors`] and [`sum_vectors`] create values of it; they are
//! `unsafe fn`s whose callers promise AVX-512F, DQ and FMA (the dispatch in
//! [`super::formula`] calls them from `#[target_feature]` wrappers after checking
//! the path is supported). So every `Zmm` in existence lives inside such a call,
//! and each `unsafe` block below relies on it.

#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::{
    __m512d, __mmask8, _CMP_EQ_OQ, _CMP_GE_OQ, _CMP_GT_OQ, _CMP_LE_OQ, _CMP_LT_OQ, _CMP_NEQ_UQ,
    _mm512_add_pd, _mm512_andnot_pd, _mm512_cmp_pd_mask, _mm512_div_pd, _mm512_loadu_pd,
    _mm512_mask_blend_pd, _mm512_max_pd, _mm512_min_pd, _mm512_mul_pd, _mm512_set1_pd,
    _mm512_setzero_pd, _mm512_sqrt_pd, _mm512_storeu_pd, _mm512_sub_pd, _mm512_xor_pd,
};
use core::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Not, Sub};

use crate::ir::{Formula, LANES, Real, ReduceOp, padded_block};
use crate::math;

/// AVX-512 registers per step (module docs). Each step computes `8 · VECTORS`
/// elements.
pub(super) const VECTORS: usize = 3;

/// f64 lanes per register.
const WIDTH: usize = 8;
const _: () = assert!(WIDTH == LANES, "the sum's lane order is one register");

/// `V` AVX-512 registers of eight f64 each (see the module's safety protocol).
#[derive(Clone, Copy)]
struct Zmm<const V: usize>([__m512d; V]);

/// One comparison result bit per lane, eight per register.
#[derive(Clone, Copy)]
struct Mask<const V: usize>([__mmask8; V]);

/// Applies `$e` (an AVX-512 expression in register index `$i`) to each register.
///
/// A plain loop, not `array::from_fn`: a closure is a function of its own, compiled
/// without AVX-512, into which the intrinsics do not inline.
macro_rules! each {
    (|$i:ident| $e:expr) => {{
        // SAFETY: module protocol: a `Zmm` only exists inside a call whose caller
        // guaranteed AVX-512F.
        let mut r = [unsafe { _mm512_setzero_pd() }; V];
        #[allow(clippy::reversed_empty_ranges)]
        for $i in 0..V {
            // SAFETY: as above.
            r[$i] = unsafe { $e };
        }
        Zmm(r)
    }};
}

macro_rules! binop {
    ($tr:ident, $m:ident, $intr:ident) => {
        impl<const V: usize> $tr for Zmm<V> {
            type Output = Self;
            #[inline(always)]
            fn $m(self, rhs: Self) -> Self {
                each!(|i| $intr(self.0[i], rhs.0[i]))
            }
        }
    };
}
binop!(Add, add, _mm512_add_pd);
binop!(Sub, sub, _mm512_sub_pd);
binop!(Mul, mul, _mm512_mul_pd);
binop!(Div, div, _mm512_div_pd);

impl<const V: usize> Neg for Zmm<V> {
    type Output = Self;
    /// Flips the sign bit, as `-x` on an f64 does.
    #[inline(always)]
    fn neg(self) -> Self {
        each!(|i| _mm512_xor_pd(self.0[i], _mm512_set1_pd(-0.0)))
    }
}

macro_rules! maskop {
    ($tr:ident, $m:ident, $op:tt) => {
        impl<const V: usize> $tr for Mask<V> {
            type Output = Self;
            #[inline(always)]
            fn $m(self, rhs: Self) -> Self {
                Mask(core::array::from_fn(|i| self.0[i] $op rhs.0[i]))
            }
        }
    };
}
maskop!(BitAnd, bitand, &);
maskop!(BitOr, bitor, |);

impl<const V: usize> Not for Mask<V> {
    type Output = Self;
    #[inline(always)]
    fn not(self) -> Self {
        Mask(self.0.map(|m| !m))
    }
}

/// Compares register by register. The predicates are those of Rust's operators:
/// ordered (false on NaN) except `ne`, which is unordered (true on NaN).
macro_rules! cmp_fn {
    ($name:ident, $pred:ident) => {
        #[inline(always)]
        fn $name(self, other: Self) -> Mask<V> {
            let mut m = [0; V];
            for (i, m) in m.iter_mut().enumerate() {
                // SAFETY: module protocol (AVX-512F is guaranteed).
                *m = unsafe { _mm512_cmp_pd_mask::<$pred>(self.0[i], other.0[i]) };
            }
            Mask(m)
        }
    };
}

/// Applies a scalar function of `accel_core::math::fma` lane by lane (for the
/// one function Black-Scholes does not use, `ln`). A macro, not a method taking
/// a closure: the closure would be compiled without FMA, so `mul_add` would
/// become a call to libm's `fma` and nothing would vectorise.
macro_rules! lanewise {
    ($z:expr, $f:path) => {{
        let z: Zmm<V> = $z;
        let mut lanes = [[0.0; WIDTH]; V];
        for (l, &r) in lanes.iter_mut().zip(&z.0) {
            // SAFETY: module protocol; the store writes the 8 lanes of `l`.
            unsafe { _mm512_storeu_pd(l.as_mut_ptr(), r) };
            for x in l.iter_mut() {
                // SAFETY: module protocol: FMA is guaranteed with AVX-512F.
                *x = unsafe { $f(*x) };
            }
        }
        each!(|i| _mm512_loadu_pd(lanes[i].as_ptr()))
    }};
}

impl<const V: usize> Real for Zmm<V> {
    type Mask = Mask<V>;

    #[inline(always)]
    fn lit(x: f64) -> Self {
        each!(|_i| _mm512_set1_pd(x))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        each!(|i| _mm512_andnot_pd(_mm512_set1_pd(-0.0), self.0[i]))
    }
    /// `vsqrtpd`: correctly rounded, as `math::sqrt`.
    #[inline(always)]
    fn sqrt(self) -> Self {
        each!(|i| _mm512_sqrt_pd(self.0[i]))
    }
    #[inline(always)]
    fn exp(self) -> Self {
        each!(|i| math::fast::exp_avx512(self.0[i]))
    }
    #[inline(always)]
    fn ln(self) -> Self {
        lanewise!(self, math::fma::ln)
    }
    #[inline(always)]
    fn log10(self) -> Self {
        each!(|i| math::fast::log10_avx512(self.0[i]))
    }
    #[inline(always)]
    fn erf(self) -> Self {
        each!(|i| math::fast::erf_avx512(self.0[i]))
    }
    /// `vminpd(a, b)`: `if a < b { a } else { b }`, as [`Real::min`] specifies.
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        each!(|i| _mm512_min_pd(self.0[i], other.0[i]))
    }
    /// `vmaxpd(a, b)`: `if a > b { a } else { b }`, as [`Real::max`] specifies.
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        each!(|i| _mm512_max_pd(self.0[i], other.0[i]))
    }
    cmp_fn!(lt, _CMP_LT_OQ);
    cmp_fn!(le, _CMP_LE_OQ);
    cmp_fn!(gt, _CMP_GT_OQ);
    cmp_fn!(ge, _CMP_GE_OQ);
    cmp_fn!(eq, _CMP_EQ_OQ);
    cmp_fn!(ne, _CMP_NEQ_UQ);
    #[inline(always)]
    fn select(mask: Mask<V>, if_true: Self, if_false: Self) -> Self {
        each!(|i| _mm512_mask_blend_pd(mask.0[i], if_false.0[i], if_true.0[i]))
    }
}

/// Options per step.
const STEP: usize = WIDTH * VECTORS;

/// Loads `V` registers of each input at `start`.
///
/// # Safety
/// AVX-512F (module protocol), and every input holds `start + 8·V` elements.
#[inline(always)]
unsafe fn load<const K: usize, const V: usize>(inputs: &[&[f64]; K], start: usize) -> [Zmm<V>; K] {
    // SAFETY: the features are the caller's promise.
    let mut x = [Zmm([unsafe { _mm512_setzero_pd() }; V]); K];
    for (k, x) in x.iter_mut().enumerate() {
        for (i, r) in x.0.iter_mut().enumerate() {
            // SAFETY: the caller's promises: the features, and `8·V` elements
            // from `start` in every input.
            *r = unsafe { _mm512_loadu_pd(inputs[k].as_ptr().add(start + WIDTH * i)) };
        }
    }
    x
}

/// `f` on the `len` elements from `start` (`1 ≤ len ≤ 8`) in one register,
/// padded as core's [`padded_block`] pads a partial block.
///
/// # Safety
/// AVX-512F (module protocol); `start + len` within every input.
#[inline(always)]
unsafe fn eval_tail<F: Formula<K, 1>, const K: usize>(
    f: &F,
    inputs: &[&[f64]; K],
    start: usize,
    len: usize,
) -> [f64; WIDTH] {
    let lanes: [[f64; WIDTH]; K] = padded_block(inputs, start, len);
    // SAFETY: module protocol (AVX-512F is guaranteed).
    let mut x = [Zmm([unsafe { _mm512_setzero_pd() }]); K];
    for (x, l) in x.iter_mut().zip(&lanes) {
        // SAFETY: module protocol; the load reads the 8 lanes of `l`.
        x.0[0] = unsafe { _mm512_loadu_pd(l.as_ptr()) };
    }
    let [y] = f.eval(x);
    let mut out = [0.0; WIDTH];
    // SAFETY: module protocol; the store writes the 8 lanes of `out`.
    unsafe { _mm512_storeu_pd(out.as_mut_ptr(), y.0[0]) };
    out
}

/// How far ahead of the step being computed its inputs are prefetched, in
/// elements (512 B per input). The hardware prefetchers alone leave the loop
/// waiting on memory now and then once the inputs stream from DRAM; prefetching
/// each cache line of every input this far ahead helps there (32 and 128 were no
/// better, one line in three no better than none) and costs nothing in cache.
const PREFETCH_AHEAD: usize = 64;

/// Prefetches, into L1, the cache lines of every input that the step
/// [`PREFETCH_AHEAD`] elements after `start` will load.
#[inline(always)]
fn prefetch<const K: usize>(inputs: &[&[f64]; K], start: usize) {
    use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    for x in inputs {
        for line in (0..STEP).step_by(8) {
            // `wrapping_add`: near the end the address lies past the slice; a
            // prefetch never faults and reads nothing into the program.
            let p = x.as_ptr().wrapping_add(start + PREFETCH_AHEAD + line);
            // SAFETY: a prefetch is a hint: it does not dereference `p` in the
            // program's semantics and cannot fault; SSE is in the x86_64 baseline.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
        }
    }
}

/// How many elements, at most 7 (and at most `n`), to compute before `p` reaches a
/// 64-byte boundary. Computing them first through the one-register path makes
/// every later load and store of arrays aligned like `p` whole cache lines
/// instead of line-straddling halves (the allocator hands out large `Vec`s 16 bytes
/// past a page boundary).
#[inline(always)]
fn aligned_head(p: *const f64, n: usize) -> usize {
    p.align_offset(64).min(WIDTH - 1).min(n)
}

/// `out[i] = f(inputs…[i])`: the elements before `out`'s first 64-byte boundary
/// one padded register, then [`STEP`] elements at a time in registers, then the
/// rest one (padded) register at a time.
///
/// # Safety
/// The CPU must support AVX-512F, DQ and FMA (module protocol).
///
/// # Panics
/// If an input is shorter than `out`.
#[inline(always)]
pub(super) unsafe fn map_vectors<F: Formula<K, 1>, const K: usize>(
    f: &F,
    inputs: [&[f64]; K],
    out: &mut [f64],
) {
    let n = out.len();
    let inputs = inputs.map(|x| &x[..n]);
    let head = aligned_head(out.as_ptr(), n);
    if head > 0 {
        // SAFETY: the features are the caller's promise; `head <= n`.
        let y = unsafe { eval_tail(f, &inputs, 0, head) };
        out[..head].copy_from_slice(&y[..head]);
    }
    let mut start = head;
    while start + STEP <= n {
        prefetch(&inputs, start);
        // SAFETY: the features are the caller's promise; `start + STEP <= n`.
        let [y] = f.eval(unsafe { load::<K, VECTORS>(&inputs, start) });
        // Raw stores, not a bounds-checked sub-slice per register: the checks'
        // panic paths made LLVM spill the whole formula to the stack.
        let o = out.as_mut_ptr();
        for (i, &r) in y.0.iter().enumerate() {
            // SAFETY: module protocol; `start + STEP <= n`, so the 8 lanes from
            // `start + 8 i` are inside `out`.
            unsafe { _mm512_storeu_pd(o.add(start + WIDTH * i), r) };
        }
        start += STEP;
    }
    while start < n {
        let len = WIDTH.min(n - start);
        // SAFETY: the features are the caller's promise; `start + len <= n`.
        let y = unsafe { eval_tail(f, &inputs, start, len) };
        out[start..start + len].copy_from_slice(&y[..len]);
        start += len;
    }
}

/// `sum(f(inputs…))` in the fixed lane order of [`ReduceOp::Sum`] (element `r`
/// into lane `r % 8`, each lane in order, then the lanes combined as
/// [`ReduceOp::finish_lanes`] does), split as [`map_vectors`] splits (aligned to
/// the first input).
///
/// # Safety
/// The CPU must support AVX-512F, DQ and FMA (module protocol).
///
/// # Panics
/// If the inputs differ in length.
#[inline(always)]
pub(super) unsafe fn sum_vectors<F: Formula<K, 1>, const K: usize>(
    f: &F,
    inputs: [&[f64]; K],
) -> f64 {
    let op = ReduceOp::Sum;
    let n = inputs.first().map_or(0, |x| x.len());
    let inputs = inputs.map(|x| &x[..n]);
    let mut lanes = op.new_lanes::<f64>();
    let head = inputs.first().map_or(0, |x| aligned_head(x.as_ptr(), n));
    if head > 0 {
        // SAFETY: the features are the caller's promise; `head <= n`.
        let y = unsafe { eval_tail(f, &inputs, 0, head) };
        op.fold_lanes(&mut lanes, &y[..head]);
    }
    // From here option `r` is in register lane `(r - head) % 8`: the register
    // holds the lanes rotated by `head`, so that each lane still sums its options
    // in order.
    let mut rotated: [f64; WIDTH] = core::array::from_fn(|k| lanes[(head + k) % WIDTH]);
    // SAFETY: module protocol; the load reads the 8 lanes of `rotated`.
    let mut acc = unsafe { _mm512_loadu_pd(rotated.as_ptr()) };
    let mut start = head;
    while start + STEP <= n {
        prefetch(&inputs, start);
        // SAFETY: the features are the caller's promise; `start + STEP <= n`.
        let [y] = f.eval(unsafe { load::<K, VECTORS>(&inputs, start) });
        for r in y.0 {
            // SAFETY: module protocol.
            acc = unsafe { _mm512_add_pd(acc, r) };
        }
        start += STEP;
    }
    // SAFETY: module protocol; the store writes the 8 lanes of `rotated`.
    unsafe { _mm512_storeu_pd(rotated.as_mut_ptr(), acc) };
    for (k, &v) in rotated.iter().enumerate() {
        lanes[(head + k) % WIDTH] = v;
    }
    while start < n {
        let len = WIDTH.min(n - start);
        // SAFETY: the features are the caller's promise; `start + len <= n`.
        let y = unsafe { eval_tail(f, &inputs, start, len) };
        for (j, &v) in y[..len].iter().enumerate() {
            lanes[(start + j) % WIDTH] += v;
        }
        start += len;
    }
    op.finish_lanes(lanes)
}

#[cfg(test)]
mod tests {
    //! Every [`Real`] method of [`Zmm`] against its scalar meaning, lane by lane,
    //! on values that stress the edges (signed zeros, infinities, NaN,
    //! subnormals, ties). Black-Scholes itself only uses some of the methods; the
    //! others must still mean what the trait says.

    extern crate std;
    use super::*;
    use crate::simd::SimdPath;
    use std::vec;
    use std::vec::Vec;

    /// The methods' results for one pair of arguments, in a fixed order.
    const RESULTS: usize = 17;

    /// Evaluates every method on `(a, b)` with `R`'s implementation.
    #[inline(always)]
    fn all_methods<R: Real>(a: R, b: R) -> [R; RESULTS] {
        let one = R::lit(1.0);
        let pick = |m: R::Mask| R::select(m, one, R::lit(0.0));
        [
            a + b,
            a - b,
            a * b,
            a / b,
            -a,
            a.abs(),
            a.sqrt(),
            a.min(b),
            a.max(b),
            pick(a.lt(b)),
            pick(a.le(b)),
            pick(a.gt(b)),
            pick(a.ge(b)),
            pick(a.eq(b)),
            pick(a.ne(b)),
            pick((a.lt(b) | a.gt(b)) & !a.eq(b)),
            R::select(a.ge(b), a, b),
        ]
    }

    /// [`all_methods`] plus the elementary functions, on `Zmm<2>` (16 pairs).
    ///
    /// # Safety
    /// The CPU must support AVX-512F, DQ and FMA.
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
    unsafe fn on_registers(a: &[f64; 16], b: &[f64; 16]) -> Vec<[f64; 16]> {
        let load = |x: &[f64; 16]| {
            let mut r = [[0.0; 8]; 2];
            r[0].copy_from_slice(&x[..8]);
            r[1].copy_from_slice(&x[8..]);
            // SAFETY: AVX-512F is this function's feature; each load reads 8 lanes.
            Zmm(r.map(|l| unsafe { _mm512_loadu_pd(l.as_ptr()) }))
        };
        let (za, zb) = (load(a), load(b));
        let mut outs: Vec<Zmm<2>> = all_methods(za, zb).to_vec();
        outs.extend([za.exp(), za.ln(), za.log10(), za.erf()]);
        outs.iter()
            .map(|z| {
                let mut o = [0.0; 16];
                // SAFETY: as above; each store writes 8 lanes of `o`.
                unsafe {
                    _mm512_storeu_pd(o.as_mut_ptr(), z.0[0]);
                    _mm512_storeu_pd(o.as_mut_ptr().add(8), z.0[1]);
                }
                o
            })
            .collect()
    }

    fn same(x: f64, y: f64) -> bool {
        x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
    }

    #[test]
    fn every_method_means_what_the_scalar_one_means() {
        if !SimdPath::Avx512.is_supported() {
            return; // nothing to run on this CPU: the path is never chosen here
        }
        let edges = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            2.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE / 4.0,
            -f64::MIN_POSITIVE,
            1e300,
            -3.75,
            700.0,
            1e-300,
            42.0,
        ];
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            edges[(rng % edges.len() as u64) as usize]
        };
        for _ in 0..400 {
            let a: [f64; 16] = core::array::from_fn(|_| next());
            let b: [f64; 16] = core::array::from_fn(|_| next());
            // SAFETY: the features were detected above.
            let got = unsafe { on_registers(&a, &b) };
            for lane in 0..16 {
                let want = all_methods(a[lane], b[lane]);
                for (k, w) in want.iter().enumerate() {
                    assert!(
                        same(got[k][lane], *w),
                        "result {k} for ({:e}, {:e}): {:e} vs {w:e}",
                        a[lane],
                        b[lane],
                        got[k][lane]
                    );
                }
                // SAFETY: FMA was detected above.
                let funcs = unsafe {
                    [
                        math::fast::exp_fma(a[lane]),
                        math::fma::ln(a[lane]),
                        math::fast::log10_fma(a[lane]),
                        math::fast::erf_fma(a[lane]),
                    ]
                };
                for (k, w) in funcs.iter().enumerate() {
                    let g = got[RESULTS + k][lane];
                    assert!(same(g, *w), "function {k} of {:e}: {g:e} vs {w:e}", a[lane]);
                }
            }
        }
    }

    /// A formula with what Black-Scholes exercises: divisions, `log10`, `sqrt`,
    /// `exp`, `erf`.
    struct Mix;
    impl Formula<5, 1> for Mix {
        #[inline(always)]
        fn eval<R: Real>(&self, [a, b, c, d, e]: [R; 5]) -> [R; 1] {
            let l = R::lit;
            [(a / b).log10() * d.sqrt() + (-(c * e)).exp() - (l(0.3) * (a - b) / e).erf()]
        }
    }

    /// `map_vectors` and `sum_vectors` on a Black-Scholes-like formula
    /// for every start alignment (the head before the first 64-byte boundary is
    /// 0 to 7 options) and lengths around the step: the prices do not depend on
    /// where the slice starts, and the sum is the prices folded in the lane
    /// order of `ReduceOp::Sum`, bit for bit.
    #[test]
    fn any_alignment_gives_the_same_prices_and_the_lane_order_sum() {
        if !SimdPath::Avx512.is_supported() {
            return; // nothing to run on this CPU: the path is never chosen here
        }
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
        unsafe fn map(ins: [&[f64]; 5], out: &mut [f64]) {
            // SAFETY: the caller checked the features.
            unsafe { map_vectors(&Mix, ins, out) }
        }
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
        unsafe fn sum(ins: [&[f64]; 5]) -> f64 {
            // SAFETY: the caller checked the features.
            unsafe { sum_vectors(&Mix, ins) }
        }
        let total = 200;
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut uniform = |lo: f64, hi: f64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            lo + (hi - lo) * ((rng >> 11) as f64 / (1u64 << 53) as f64)
        };
        let columns: Vec<Vec<f64>> = [
            (10.0, 100.0),
            (10.0, 100.0),
            (0.0, 0.1),
            (0.05, 0.6),
            (0.1, 2.0),
        ]
        .iter()
        .map(|&(lo, hi)| (0..total).map(|_| uniform(lo, hi)).collect())
        .collect();
        for offset in 0..WIDTH {
            for len in [0, 1, 7, 8, 9, STEP - 1, STEP, STEP + 1, 2 * STEP + 5, 150] {
                let ins: [&[f64]; 5] = core::array::from_fn(|k| &columns[k][offset..offset + len]);
                // The same options, copied to the start of fresh vectors.
                let copies: Vec<Vec<f64>> = ins.iter().map(|c| c.to_vec()).collect();
                let moved: [&[f64]; 5] = core::array::from_fn(|k| &copies[k][..]);
                let (mut here, mut there) = (vec![f64::NAN; len], vec![f64::NAN; len]);
                // SAFETY: the features were detected above.
                let got_sum = unsafe {
                    map(ins, &mut here);
                    map(moved, &mut there);
                    sum(ins)
                };
                assert_eq!(
                    here.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    there.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    "offset {offset}, {len} options"
                );
                let op = ReduceOp::Sum;
                let mut lanes = op.new_lanes::<f64>();
                op.fold_lanes(&mut lanes, &here);
                let want = op.finish_lanes(lanes);
                assert_eq!(
                    got_sum.to_bits(),
                    want.to_bits(),
                    "offset {offset}, {len} options: {got_sum:e} vs {want:e}"
                );
            }
        }
    }
}
