//! Staging: one formula, two meanings.
//!
//! A pointwise formula is written once, generically over [`Real`]:
//!
//! - called with **expression handles** ([`Ex`](crate::ir::Ex)), every operation adds a
//!   node to a program's expression graph; the graph is what the passes optimise, what
//!   the dump prints and what the reference interpreter runs;
//! - called with plain **`f64` or `f32`**, the same source is monomorphised into straight
//!   scalar code. Every method here is `#[inline(always)]` and branch-free
//!   (`select` is `if c { a } else { b }` on values, `min`/`max` are one compare and
//!   select), so a loop over slices that calls the formula is fully fused and
//!   auto-vectorisable: this is the compiled fast path the kernels use.
//!
//! Both meanings compute exactly the same values: the interpreter evaluates each graph
//! node with the same scalar functions (see [`UnOp::apply`](crate::ir::UnOp::apply)),
//! and Rust never contracts `a * b + c` into a fused multiply-add, so a map run by the
//! interpreter and the same formula run staged are bit-identical.
//!
//! For the compiled path to vectorise, the formula and every helper it calls must be
//! inlined into the loop: mark them `#[inline(always)]`, and write helpers as
//! functions, not closures. LLVM may leave a closure that calls `erf` or `exp` out of
//! line, and the loop then runs one scalar call per element (a Black-Scholes loop
//! with its `cndf2` helper written as a closure stayed scalar this way).
//!
//! Literal constants: handles accept `f64` literals on either side (`0.5 * vol`), but
//! plain `f32` cannot be multiplied by an `f64`, so generic code spells constants with
//! [`Real::lit`] (a short alias keeps it readable: `let c = T::lit; c(0.5) * vol * vol`).
//!
//! ```
//! use accel_core::ir::{Real, erf};
//!
//! /// The normal CDF as in the Black-Scholes benchmark, written once.
//! fn cndf2<T: Real>(x: T) -> T {
//!     let c = T::lit;
//!     c(0.5) + c(0.5) * erf(c(0.707106781) * x)
//! }
//! assert!((cndf2(0.0_f64) - 0.5).abs() < 1e-15);
//! assert!((cndf2(0.0_f32) - 0.5).abs() < 1e-7);
//! ```

use core::fmt::{Debug, Display};
use core::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Not, Sub};

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
use super::op::UnOp;
use crate::math;

/// A value a pointwise formula computes with: a plain `f64`/`f32` (the staged, compiled
/// path) or an expression handle (building the graph).
///
/// Comparisons return [`Real::Mask`] (`bool` for plain numbers, a boolean handle for
/// expressions), which [`Real::select`] consumes. All methods of the `f64`/`f32`
/// implementations are `#[inline(always)]` and branch-free.
///
/// `min(a, b)` is `if a < b { a } else { b }` and `max(a, b)` is `if a > b { a } else
/// { b }`: one instruction on x86 (`minpd`/`maxpd`), and a NaN in `b` (or in either for
/// the comparison) yields `b`. This differs from `f64::min`, which ignores NaNs.
pub trait Real:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// The result of a comparison: `bool` for plain numbers.
    type Mask: Copy
        + BitAnd<Output = Self::Mask>
        + BitOr<Output = Self::Mask>
        + Not<Output = Self::Mask>;

    /// The constant `x` (rounded to `f32` for `f32`).
    fn lit(x: f64) -> Self;
    /// |x|.
    fn abs(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// e^x.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Base-10 logarithm.
    fn log10(self) -> Self;
    /// The error function.
    fn erf(self) -> Self;
    /// `if self < other { self } else { other }`.
    fn min(self, other: Self) -> Self;
    /// `if self > other { self } else { other }`.
    fn max(self, other: Self) -> Self;
    /// `self < other`.
    fn lt(self, other: Self) -> Self::Mask;
    /// `self <= other`.
    fn le(self, other: Self) -> Self::Mask;
    /// `self > other`.
    fn gt(self, other: Self) -> Self::Mask;
    /// `self >= other`.
    fn ge(self, other: Self) -> Self::Mask;
    /// `self == other` (IEEE: false for NaN).
    fn eq(self, other: Self) -> Self::Mask;
    /// `self != other` (IEEE: true for NaN).
    fn ne(self, other: Self) -> Self::Mask;
    /// `if mask { if_true } else { if_false }`, evaluated without branching.
    fn select(mask: Self::Mask, if_true: Self, if_false: Self) -> Self;
}

macro_rules! impl_real {
    ($t:ty, $sign:expr, $sqrt:path, $exp:path, $ln:path, $log10:path, $erf:path) => {
        impl Real for $t {
            type Mask = bool;
            #[inline(always)]
            fn lit(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::from_bits(self.to_bits() & !$sign)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $sqrt(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline(always)]
            fn log10(self) -> Self {
                $log10(self)
            }
            #[inline(always)]
            fn erf(self) -> Self {
                $erf(self)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                if self < other { self } else { other }
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                if self > other { self } else { other }
            }
            #[inline(always)]
            fn lt(self, other: Self) -> bool {
                self < other
            }
            #[inline(always)]
            fn le(self, other: Self) -> bool {
                self <= other
            }
            #[inline(always)]
            fn gt(self, other: Self) -> bool {
                self > other
            }
            #[inline(always)]
            fn ge(self, other: Self) -> bool {
                self >= other
            }
            #[inline(always)]
            fn eq(self, other: Self) -> bool {
                self == other
            }
            #[inline(always)]
            fn ne(self, other: Self) -> bool {
                self != other
            }
            #[inline(always)]
            fn select(mask: bool, if_true: Self, if_false: Self) -> Self {
                if mask { if_true } else { if_false }
            }
        }
    };
}

impl_real!(
    f64,
    1u64 << 63,
    math::sqrt,
    math::exp,
    math::ln,
    math::log10,
    math::erf
);
impl_real!(
    f32,
    1u32 << 31,
    math::sqrtf,
    math::expf,
    math::lnf,
    math::log10f,
    math::erff
);

/// Square root of any [`Real`].
#[inline(always)]
pub fn sqrt<T: Real>(x: T) -> T {
    x.sqrt()
}
/// e^x of any [`Real`].
#[inline(always)]
pub fn exp<T: Real>(x: T) -> T {
    x.exp()
}
/// Natural logarithm of any [`Real`].
#[inline(always)]
pub fn ln<T: Real>(x: T) -> T {
    x.ln()
}
/// Base-10 logarithm of any [`Real`].
#[inline(always)]
pub fn log10<T: Real>(x: T) -> T {
    x.log10()
}
/// The error function of any [`Real`].
#[inline(always)]
pub fn erf<T: Real>(x: T) -> T {
    x.erf()
}
/// |x| of any [`Real`].
#[inline(always)]
pub fn abs<T: Real>(x: T) -> T {
    x.abs()
}
/// `if a < b { a } else { b }` (see [`Real`] for NaNs).
#[inline(always)]
pub fn min<T: Real>(a: T, b: T) -> T {
    a.min(b)
}
/// `if a > b { a } else { b }` (see [`Real`] for NaNs).
#[inline(always)]
pub fn max<T: Real>(a: T, b: T) -> T {
    a.max(b)
}
/// `if mask { if_true } else { if_false }` without branching.
#[inline(always)]
pub fn select<T: Real>(mask: T::Mask, if_true: T, if_false: T) -> T {
    T::select(mask, if_true, if_false)
}

/// The element type of a program: every array and every value in one program has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// 32-bit IEEE floats.
    F32,
    /// 64-bit IEEE floats.
    F64,
}

impl DType {
    /// `"f32"` or `"f64"`.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }
}

impl Display for DType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A concrete array element (`f32` or `f64`): what the executors run on.
///
/// Boolean values (comparison results, `any`/`all` partials, boolean arrays) are stored
/// in elements as `1.0` for true and `0.0` for false.
pub trait Element:
    Real<Mask = bool> + PartialOrd + Default + Debug + Display + Send + Sync + 'static + sealed::Sealed
{
    /// The program element type this is.
    const DTYPE: DType;
    /// `0.0`.
    const ZERO: Self;
    /// `1.0`.
    const ONE: Self;
    /// Rounds `x` to this type.
    fn from_f64(x: f64) -> Self;
    /// Widens (exactly) to `f64`.
    fn to_f64(self) -> f64;
    /// The index `i` as a value (rounded to nearest beyond 2^53 or 2^24).
    fn from_index(i: i64) -> Self;
    /// `1.0` for true, `0.0` for false.
    fn truth(b: bool) -> Self;
    /// `self != 0.0`: how a stored boolean is read.
    fn is_true(self) -> bool;
    /// `out[i] = op(x[i])` with the elementary functions of the FMA paths' formula
    /// lanes, for the plan executor
    /// ([`Stage::run_range_on`](crate::ir::Stage::run_range_on)): true when `op`
    /// is one of them (`exp`, `ln`, `log10`, `erf`), false (and nothing written)
    /// otherwise.
    ///
    /// # Safety
    /// The CPU must support FMA, and AVX2 on x86-64.
    #[doc(hidden)]
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    unsafe fn map_fused(op: UnOp, out: &mut [Self], x: &[Self]) -> bool;
    /// [`Element::map_fused`] with the elementary functions of the AVX-512
    /// formula lanes (eight `f64` lanes per vector where the AVX2 flavour
    /// has four).
    ///
    /// # Safety
    /// The CPU must run the AVX-512 path (AVX-512F, AVX2, FMA).
    #[doc(hidden)]
    #[cfg(target_arch = "x86_64")]
    unsafe fn map_avx512(op: UnOp, out: &mut [Self], x: &[Self]) -> bool;
}

macro_rules! impl_element {
    ($t:ty, $d:expr, $map_fused:ident, $map_avx512:ident) => {
        impl Element for $t {
            const DTYPE: DType = $d;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_index(i: i64) -> Self {
                i as $t
            }
            #[inline(always)]
            fn truth(b: bool) -> Self {
                if b { 1.0 } else { 0.0 }
            }
            #[inline(always)]
            fn is_true(self) -> bool {
                self != 0.0
            }
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            #[inline(always)]
            unsafe fn map_fused(op: UnOp, out: &mut [Self], x: &[Self]) -> bool {
                // SAFETY: the caller's promise is the function's own.
                unsafe { $map_fused(op, out, x) }
            }
            #[cfg(target_arch = "x86_64")]
            #[inline(always)]
            unsafe fn map_avx512(op: UnOp, out: &mut [Self], x: &[Self]) -> bool {
                // SAFETY: the caller's promise is the function's own.
                unsafe { $map_avx512(op, out, x) }
            }
        }
    };
}

impl_element!(f32, DType::F32, map_fused_f32, map_fused_f32);
impl_element!(f64, DType::F64, map_fused_f64, map_avx512_f64);

/// `out[i] = f(x[i])` over the common length: a plain loop, vectorised where it
/// is inlined.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
macro_rules! each {
    ($f:path, $out:expr, $x:expr) => {
        for (y, &v) in $out.iter_mut().zip($x) {
            *y = $f(v);
        }
    };
}

/// [`Element::map_fused`] for f32: `math::fma`'s f32 functions.
///
/// # Safety
/// The CPU must support FMA.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
unsafe fn map_fused_f32(op: UnOp, out: &mut [f32], x: &[f32]) -> bool {
    use crate::math::fma;
    // SAFETY: FMA is the caller's promise.
    unsafe {
        match op {
            UnOp::Exp => each!(fma::expf, out, x),
            UnOp::Ln => each!(fma::lnf, out, x),
            UnOp::Log10 => each!(fma::log10f, out, x),
            UnOp::Erf => each!(fma::erff, out, x),
            _ => return false,
        }
    }
    true
}

/// [`Element::map_fused`] for f64: the functions of the AVX2 formula lanes
/// (`exp` and `erf_step` from `math::fast`'s tables, through their AVX2 slice
/// drivers; `ln` and `log10` from `math::fast`'s one-division flavours).
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn map_fused_f64(op: UnOp, out: &mut [f64], x: &[f64]) -> bool {
    use crate::math::fast;
    // SAFETY: AVX2 and FMA are the caller's promise.
    unsafe {
        match op {
            UnOp::Exp => fast::exp_avx2_slice(out, x),
            UnOp::Ln => each!(fast::ln_atanh_fma, out, x),
            UnOp::Log10 => each!(fast::log10_atanh_fma, out, x),
            UnOp::Erf => fast::erf_step_avx2_slice(out, x),
            _ => return false,
        }
    }
    true
}

/// [`Element::map_avx512`] for f64: the functions of the AVX-512 formula
/// lanes (`exp`, `log10` and `erf` from `math::fast` through their AVX-512
/// slice drivers); `ln` as the AVX2 flavour (`math::fast`'s one-division
/// flavour, which vectorises as a plain loop).
///
/// # Safety
/// The CPU must run the AVX-512 path (AVX-512F, AVX2, FMA).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn map_avx512_f64(op: UnOp, out: &mut [f64], x: &[f64]) -> bool {
    use crate::math::fast;
    // SAFETY: AVX-512F, AVX2 and FMA are the caller's promise.
    unsafe {
        match op {
            UnOp::Exp => fast::exp_avx512_slice(out, x),
            UnOp::Log10 => fast::log10_avx512_slice(out, x),
            UnOp::Erf => fast::erf_avx512_slice(out, x),
            _ => return map_fused_f64(op, out, x),
        }
    }
    true
}

/// [`Element::map_fused`] for f64: the functions of the NEON formula lanes
/// (`math::fma`'s `exp` and `erf`; `ln` and `log10` from `math::fast`'s
/// one-division flavours).
///
/// # Safety
/// The CPU must support FMA (every aarch64 CPU does).
#[cfg(target_arch = "aarch64")]
#[inline(always)]
unsafe fn map_fused_f64(op: UnOp, out: &mut [f64], x: &[f64]) -> bool {
    use crate::math::{fast, fma};
    // SAFETY: FMA is the caller's promise.
    unsafe {
        match op {
            UnOp::Exp => each!(fma::exp, out, x),
            UnOp::Ln => each!(fast::ln_atanh_fma, out, x),
            UnOp::Log10 => each!(fast::log10_atanh_fma, out, x),
            UnOp::Erf => each!(fma::erf, out, x),
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_follow_the_select_definition() {
        assert_eq!(min(1.0_f64, 2.0), 1.0);
        assert_eq!(max(1.0_f64, 2.0), 2.0);
        assert!(min(1.0_f64, f64::NAN).is_nan());
        assert_eq!(min(f64::NAN, 1.0_f64), 1.0);
        assert_eq!(abs(-0.0_f64).to_bits(), 0.0_f64.to_bits());
        assert_eq!(abs(-3.5_f32), 3.5);
        assert_eq!(select(true, 1.0_f32, 2.0), 1.0);
    }
}
