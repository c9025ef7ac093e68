//! The formulas of the `avg` and `formula_sum` examples, shared with
//! `cargo xtask bench` (its `formulas` workload), with the plain loops they are
//! checked and timed against.
#![allow(dead_code)] // each example uses one of the two

use accel_pool::ir::{Formula, Real};

/// ParallelAccelerator's comprehension: `avg(x)[i] = 0.25·x[i−1] + 0.5·x[i] +
/// 0.25·x[i+1]`, over three views of `x` shifted by one.
pub struct Avg;

impl Formula<3, 1> for Avg {
    #[inline(always)]
    fn eval<R: Real>(&self, [left, centre, right]: [R; 3]) -> [R; 1] {
        let c = R::lit;
        [c(0.25) * left + c(0.5) * centre + c(0.25) * right]
    }
}

/// The plain loop of [`Avg`]: `out[i] = avg(x)[i + 1]` for the interior of `x`.
pub fn avg_plain(x: &[f64], out: &mut [f64]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = 0.25 * x[i] + 0.5 * x[i + 1] + 0.25 * x[i + 2];
    }
}

/// A three-input formula with `exp` and `sqrt`: `exp(−a²/2) · sqrt(b² + c)`.
pub struct Bump;

impl Formula<3, 1> for Bump {
    #[inline(always)]
    fn eval<R: Real>(&self, [a, b, c]: [R; 3]) -> [R; 1] {
        let l = R::lit;
        [(-(a * a) * l(0.5)).exp() * (b * b + c).sqrt()]
    }
}

/// [`Bump`] on plain numbers with std's `exp` and `sqrt`.
pub fn bump_plain(a: f64, b: f64, c: f64) -> f64 {
    (-(a * a) * 0.5).exp() * (b * b + c).sqrt()
}
