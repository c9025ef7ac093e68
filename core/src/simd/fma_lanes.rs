//! Blocks of lanes computed with fused multiply-adds: the lane type of the AVX2
//! and NEON paths.
//!
//! Core's [`Lanes`] run a formula with the plain functions of `crate::math`:
//! the same bits as the interpreter, but every polynomial step a separate
//! multiply and add (Rust never fuses them). `crate::math::fma` has the same
//! functions built on fused multiply-adds: about half the arithmetic and half
//! the latency per polynomial step, within the bounds of the accuracy table
//! ([`ACCURACY`](crate::math::precision::ACCURACY)). [`FmaLanes`] is [`Lanes`]
//! with those elementary functions swapped in, applied lane by lane (LLVM
//! vectorises the lane loops for AVX2, or NEON on aarch64), so a [`Formula`]
//! runs on it unchanged; [`map_blocks`] and [`sum_blocks`] run it over slices in
//! blocks of [`BLOCK`]. On x86-64 (the AVX2 path) `exp` and `erf` are table
//! functions of [`math::fast`](crate::math::fast) on whole AVX2 vectors, their
//! tables read with gathers: `fast::exp` (one gather, 1 ulp like `fma::exp`)
//! and `fast::erf_step` (two gathers, 3 ulp), about half the arithmetic of
//! their polynomial counterparts (the polynomial `erf` evaluates an `exp` and
//! two long polynomials in every lane). On both paths `ln` and `log10` are
//! `math::fast`'s one-division flavours (`ln_atanh`, `log10_atanh`: two thirds of
//! the arithmetic of `math::fma`'s, for 1 and 3 ulp instead of 1; the table
//! `fast::log10` would need three gathers per vector, which cost more than the
//! polynomial they save).
//!
//! # Safety protocol
//! The functions of `crate::math::fma` need FMA, and on x86-64 the table
//! functions need AVX2.
//! [`FmaLanes`] is private to this module and only the two executors below
//! create values of it; they are `unsafe fn`s whose callers promise FMA, and
//! AVX2 on x86-64 (the dispatch in [`super::formula`] calls them from
//! `#[target_feature(enable = "avx2,fma")]` wrappers after checking the AVX2 path
//! is supported; every aarch64 CPU has FMA). So every `FmaLanes` in existence
//! lives inside such a call.

use core::ops::{Add, Div, Mul, Neg, Sub};

use crate::ir::{Formula, LANES, LaneMask, Lanes, Real, ReduceOp, padded_block};
use crate::math;

/// Elements per block: eight AVX2 vectors per operation keep the FP units busy
/// across a long formula's dependency chains (32 was the best of the sizes tried
/// for Black-Scholes); a multiple of [`LANES`], so the reduction's lane order is
/// the sequential one.
pub(super) const BLOCK: usize = 32;
const _: () = assert!(BLOCK.is_multiple_of(LANES));

/// Core's [`Lanes`] with `exp`/`ln`/`log10`/`erf` taken from
/// `accel_core::math::fma` and `math::fast` (see the module's safety protocol). Everything else —
/// arithmetic, comparisons, `select`, `sqrt` — is `Lanes`' own.
#[derive(Clone, Copy)]
struct FmaLanes<const N: usize>(Lanes<f64, N>);

impl<const N: usize> FmaLanes<N> {
    #[inline(always)]
    fn new(x: [f64; N]) -> Self {
        FmaLanes(Lanes(x))
    }
}

macro_rules! binop {
    ($tr:ident, $m:ident) => {
        impl<const N: usize> $tr for FmaLanes<N> {
            type Output = Self;
            #[inline(always)]
            fn $m(self, rhs: Self) -> Self {
                FmaLanes(self.0.$m(rhs.0))
            }
        }
    };
}
binop!(Add, add);
binop!(Sub, sub);
binop!(Mul, mul);
binop!(Div, div);

impl<const N: usize> Neg for FmaLanes<N> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        FmaLanes(-self.0)
    }
}

/// Applies a scalar FMA function of `accel_core::math` lane by lane (a macro, not a
/// closure, so that the function inlines into the loop and LLVM vectorises it).
macro_rules! fma_fn {
    ($name:ident, $f:path) => {
        #[inline(always)]
        fn $name(self) -> Self {
            let mut r = self.0.0;
            for x in r.iter_mut() {
                // SAFETY: module protocol: an `FmaLanes` only exists inside a
                // call whose caller guaranteed FMA.
                *x = unsafe { $f(*x) };
            }
            FmaLanes::new(r)
        }
    };
}

/// On x86-64 (the AVX2 path): a table function of `math::fast` through its
/// AVX2 slice driver.
#[cfg(target_arch = "x86_64")]
macro_rules! avx2_fn {
    ($name:ident, $slice:ident) => {
        #[inline(always)]
        fn $name(self) -> Self {
            let x = self.0.0;
            let mut r = x;
            // SAFETY: module protocol: on x86-64 an `FmaLanes` only exists inside
            // a call whose caller guaranteed AVX2 and FMA.
            unsafe { math::fast::$slice(&mut r, &x) };
            FmaLanes::new(r)
        }
    };
}

/// Methods taken from [`Lanes`] unchanged.
macro_rules! from_lanes {
    ($($name:ident),*) => {$(
        #[inline(always)]
        fn $name(self, other: Self) -> LaneMask<N> {
            self.0.$name(other.0)
        }
    )*};
}

impl<const N: usize> Real for FmaLanes<N> {
    type Mask = LaneMask<N>;

    #[inline(always)]
    fn lit(x: f64) -> Self {
        FmaLanes(Lanes::lit(x))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        FmaLanes(self.0.abs())
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        FmaLanes(self.0.sqrt())
    }
    #[cfg(not(target_arch = "x86_64"))]
    fma_fn!(exp, math::fma::exp);
    fma_fn!(ln, math::fast::ln_atanh_fma);
    fma_fn!(log10, math::fast::log10_atanh_fma);
    #[cfg(not(target_arch = "x86_64"))]
    fma_fn!(erf, math::fma::erf);
    #[cfg(target_arch = "x86_64")]
    avx2_fn!(exp, exp_avx2_slice);
    #[cfg(target_arch = "x86_64")]
    avx2_fn!(erf, erf_step_avx2_slice);
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        FmaLanes(self.0.min(other.0))
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        FmaLanes(self.0.max(other.0))
    }
    from_lanes!(lt, le, gt, ge, eq, ne);
    #[inline(always)]
    fn select(mask: LaneMask<N>, if_true: Self, if_false: Self) -> Self {
        FmaLanes(Lanes::select(mask, if_true.0, if_false.0))
    }
}

/// Runs `f` on the full block of `K` inputs starting at `start`.
#[inline(always)]
fn eval_block<F: Formula<K, 1>, const K: usize>(
    f: &F,
    inputs: &[&[f64]; K],
    start: usize,
) -> [f64; BLOCK] {
    let x: [FmaLanes<BLOCK>; K] = core::array::from_fn(|k| {
        let block: &[f64; BLOCK] = inputs[k][start..start + BLOCK]
            .try_into()
            .expect("BLOCK elements");
        FmaLanes::new(*block)
    });
    let [y] = f.eval(x);
    y.0.0
}

/// Elements per block of the last, short part of a slice: one AVX-512 vector,
/// so that a handful of elements costs a handful of lanes, not a whole [`BLOCK`].
const TAIL: usize = LANES;

/// Runs `f` on the `len` elements starting at `start` (`1 ≤ len ≤ TAIL`), padded
/// as core's [`padded_block`] pads a partial block.
#[inline(always)]
fn eval_tail<F: Formula<K, 1>, const K: usize>(
    f: &F,
    inputs: &[&[f64]; K],
    start: usize,
    len: usize,
) -> [f64; TAIL] {
    let x: [FmaLanes<TAIL>; K] = padded_block(inputs, start, len).map(FmaLanes::new);
    let [y] = f.eval(x);
    y.0.0
}

/// `out[i] = f(inputs…[i])` in blocks of [`BLOCK`] with the FMA math.
///
/// # Safety
/// The CPU must support FMA, and AVX2 on x86-64 (see the module's safety
/// protocol).
///
/// # Panics
/// If an input is shorter than `out`.
#[inline(always)]
pub(super) unsafe fn map_blocks<F: Formula<K, 1>, const K: usize>(
    f: &F,
    inputs: [&[f64]; K],
    out: &mut [f64],
) {
    let n = out.len();
    let inputs = inputs.map(|x| &x[..n]);
    let full = n - n % BLOCK;
    for start in (0..full).step_by(BLOCK) {
        let block: &mut [f64; BLOCK] = (&mut out[start..start + BLOCK])
            .try_into()
            .expect("BLOCK elements");
        *block = eval_block::<F, K>(f, &inputs, start);
    }
    for start in (full..n).step_by(TAIL) {
        let len = TAIL.min(n - start);
        let y = eval_tail::<F, K>(f, &inputs, start, len);
        out[start..start + len].copy_from_slice(&y[..len]);
    }
}

/// `sum(f(inputs…))` in blocks of [`BLOCK`] with the FMA math, in the fixed
/// lane order of [`ReduceOp::Sum`].
///
/// # Safety
/// The CPU must support FMA, and AVX2 on x86-64 (see the module's safety
/// protocol).
///
/// # Panics
/// If the inputs differ in length.
#[inline(always)]
pub(super) unsafe fn sum_blocks<F: Formula<K, 1>, const K: usize>(
    f: &F,
    inputs: [&[f64]; K],
) -> f64 {
    let op = ReduceOp::Sum;
    let n = inputs.first().map_or(0, |x| x.len());
    let inputs = inputs.map(|x| &x[..n]);
    let mut lanes = op.new_lanes::<f64>();
    let full = n - n % BLOCK;
    for start in (0..full).step_by(BLOCK) {
        op.fold_lanes(&mut lanes, &eval_block::<F, K>(f, &inputs, start));
    }
    for start in (full..n).step_by(TAIL) {
        let len = TAIL.min(n - start);
        op.fold_lanes(
            &mut lanes,
            &eval_tail::<F, K>(f, &inputs, start, len)[..len],
        );
    }
    op.finish_lanes(lanes)
}
