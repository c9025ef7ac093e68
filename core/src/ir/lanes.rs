//! `Lanes<T, N>`: a block of `N` values that is itself a [`Real`], so a staged formula
//! can run on `N` elements at once.
//!
//! Every operation is a fixed-length loop over the lanes calling the same scalar
//! function as everywhere else ([`op::eval`](crate::ir::op::eval)), which LLVM turns into a
//! few vector instructions. Running a whole formula on `Lanes` instead of one element
//! at a time keeps each operation's code small and vectorised whatever the size of the
//! formula; one fused loop over a large formula (Black-Scholes: two `erf`, an `exp`, a
//! `log10`) can defeat the loop vectoriser or spill. Each lane computes exactly what the
//! scalar formula computes, so results are bit-identical.
//!
//! ```
//! use accel_core::ir::{Lanes, Real, sqrt};
//! let x = Lanes([3.0_f64, 5.0, 8.0, 0.0]);
//! let y = Lanes([4.0_f64, 12.0, 15.0, 1.0]);
//! assert_eq!(sqrt(x * x + y * y).0, [5.0, 13.0, 17.0, 1.0]);
//! let m = x.lt(y);
//! assert_eq!(Real::select(m, x, y).0, [3.0, 5.0, 8.0, 0.0]);
//! ```

use core::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Not, Sub};

use super::op::eval;
use super::real::{Element, Real};

/// `N` values of `T`, operated on lane by lane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lanes<T, const N: usize>(pub [T; N]);

/// `N` booleans: the result of comparing [`Lanes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneMask<const N: usize>(pub [bool; N]);

impl<T: Copy, const N: usize> Lanes<T, N> {
    /// `x` in every lane.
    #[inline(always)]
    pub fn splat(x: T) -> Self {
        Lanes([x; N])
    }
}

// Every loop below is written out with a direct call to its scalar function (no
// closures), so that it is always inlined and vectorised.

macro_rules! lane_binop {
    ($tr:ident, $m:ident, $f:path) => {
        impl<T: Element, const N: usize> $tr for Lanes<T, N> {
            type Output = Self;
            #[inline(always)]
            fn $m(self, rhs: Self) -> Self {
                let mut r = self.0;
                for (x, &y) in r.iter_mut().zip(&rhs.0) {
                    *x = $f(*x, y);
                }
                Lanes(r)
            }
        }
    };
}

lane_binop!(Add, add, eval::add);
lane_binop!(Sub, sub, eval::sub);
lane_binop!(Mul, mul, eval::mul);
lane_binop!(Div, div, eval::div);

impl<T: Element, const N: usize> Neg for Lanes<T, N> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        let mut r = self.0;
        for x in r.iter_mut() {
            *x = eval::neg(*x);
        }
        Lanes(r)
    }
}

impl<const N: usize> BitAnd for LaneMask<N> {
    type Output = Self;
    #[inline(always)]
    fn bitand(self, rhs: Self) -> Self {
        let mut r = self.0;
        for (x, &y) in r.iter_mut().zip(&rhs.0) {
            *x &= y;
        }
        LaneMask(r)
    }
}

impl<const N: usize> BitOr for LaneMask<N> {
    type Output = Self;
    #[inline(always)]
    fn bitor(self, rhs: Self) -> Self {
        let mut r = self.0;
        for (x, &y) in r.iter_mut().zip(&rhs.0) {
            *x |= y;
        }
        LaneMask(r)
    }
}

impl<const N: usize> Not for LaneMask<N> {
    type Output = Self;
    #[inline(always)]
    fn not(self) -> Self {
        let mut r = self.0;
        for x in r.iter_mut() {
            *x = !*x;
        }
        LaneMask(r)
    }
}

macro_rules! lane_unary {
    ($($m:ident),*) => {
        $(
            #[inline(always)]
            fn $m(self) -> Self {
                let mut r = self.0;
                for x in r.iter_mut() {
                    *x = eval::$m(*x);
                }
                Lanes(r)
            }
        )*
    };
}

macro_rules! lane_cmp {
    ($($m:ident),*) => {
        $(
            #[inline(always)]
            fn $m(self, other: Self) -> LaneMask<N> {
                let mut r = [false; N];
                for ((m, &a), &b) in r.iter_mut().zip(&self.0).zip(&other.0) {
                    *m = Real::$m(a, b);
                }
                LaneMask(r)
            }
        )*
    };
}

impl<T: Element, const N: usize> Real for Lanes<T, N> {
    type Mask = LaneMask<N>;

    #[inline(always)]
    fn lit(x: f64) -> Self {
        Lanes([T::lit(x); N])
    }

    lane_unary!(abs, sqrt, exp, ln, log10, erf);

    #[inline(always)]
    fn min(self, other: Self) -> Self {
        let mut r = self.0;
        for (x, &y) in r.iter_mut().zip(&other.0) {
            *x = eval::min(*x, y);
        }
        Lanes(r)
    }

    #[inline(always)]
    fn max(self, other: Self) -> Self {
        let mut r = self.0;
        for (x, &y) in r.iter_mut().zip(&other.0) {
            *x = eval::max(*x, y);
        }
        Lanes(r)
    }

    lane_cmp!(lt, le, gt, ge, eq, ne);

    #[inline(always)]
    fn select(mask: LaneMask<N>, if_true: Self, if_false: Self) -> Self {
        let mut r = if_false.0;
        for ((x, &m), &t) in r.iter_mut().zip(&mask.0).zip(&if_true.0) {
            *x = if m { t } else { *x };
        }
        Lanes(r)
    }
}
