//! The 2-D heat equation of the `heat` example, shared with `cargo xtask bench`
//! (its `stencils` workload): the step as a `PointFormula`, the plate it starts
//! from, and the plain and rayon loops it is checked and timed against. All in
//! `f64`, with fixed (Dirichlet) edges: `Boundary::Skip`.
#![allow(dead_code)] // a user of this file may not need every loop

use accel_pool::ir::Real;
use accel_pool::ir::stencil::{Neighbourhood, PointFormula, RowLoad};
use rayon::prelude::*;

/// Diffusion number `κ Δt / Δx²` (stable below 1/4).
pub const ALPHA: f64 = 0.2;

/// One explicit Euler step at one point, written once over `Real`.
#[inline(always)]
pub fn step<R: Real>(c: R, north: R, south: R, west: R, east: R) -> R {
    c + R::lit(ALPHA) * (north + south + west + east - R::lit(4.0) * c)
}

/// The step as a stencil formula: reads its four neighbours.
pub struct Heat;

impl PointFormula for Heat {
    fn radius(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R {
        step(n.centre(), n.at(-1, 0), n.at(1, 0), n.at(0, -1), n.at(0, 1))
    }
}

/// An `n × n` plate: cold, with a hot square in the middle and a warm left edge.
pub fn plate(n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|i| {
            let (y, x) = (i / n, i % n);
            let hot = (n / 3..2 * n / 3).contains(&y) && (n / 3..2 * n / 3).contains(&x);
            if hot {
                100.0
            } else if x == 0 {
                50.0
            } else {
                0.0
            }
        })
        .collect()
}

/// One interior row `k + 1` of the step, from rows `k`, `k + 1`, `k + 2` of
/// `src` (`n` wide) into `row`: equal-length zipped slices, so the loop has no
/// bounds checks and LLVM vectorises it for the build's baseline.
#[inline(always)]
fn interior_row(src: &[f64], n: usize, k: usize, row: &mut [f64]) {
    let (up, mid, down) = (&src[k * n..], &src[(k + 1) * n..], &src[(k + 2) * n..]);
    let inner = row[1..n - 1]
        .iter_mut()
        .zip(&mid[1..n - 1])
        .zip(&up[1..n - 1])
        .zip(&down[1..n - 1])
        .zip(&mid[..n - 2])
        .zip(&mid[2..n]);
    for (((((o, &c), &north), &south), &west), &east) in inner {
        *o = step(c, north, south, west, east);
    }
}

/// `iters` steps on one thread, two buffers, the edges fixed: the plain loop a
/// C programmer would write (`n ≥ 3`).
pub fn heat_plain(plane: &mut [f64], n: usize, iters: usize) {
    let mut a = plane.to_vec();
    let mut b = plane.to_vec();
    for _ in 0..iters {
        for (k, row) in b[n..n * (n - 1)].chunks_mut(n).enumerate() {
            interior_row(&a, n, k, row);
        }
        std::mem::swap(&mut a, &mut b);
    }
    plane.copy_from_slice(&a);
}

/// [`heat_plain`] with rayon, one row per task: how a competent rayon user
/// parallelises it.
pub fn heat_rayon(plane: &mut [f64], n: usize, iters: usize) {
    let mut a = plane.to_vec();
    let mut b = plane.to_vec();
    for _ in 0..iters {
        let src = &a;
        b[n..n * (n - 1)]
            .par_chunks_mut(n)
            .enumerate()
            .for_each(|(k, row)| interior_row(src, n, k, row));
        std::mem::swap(&mut a, &mut b);
    }
    plane.copy_from_slice(&a);
}
