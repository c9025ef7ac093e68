//! The 3-D 7-point Jacobi iteration of the `jacobi3d` example, shared with
//! `cargo xtask bench` (its `stencils` workload): the update as a
//! `SystemFormula`, the volume it starts from, and the plain and rayon loops
//! it is checked and timed against. All in `f64`, with fixed (Dirichlet)
//! faces: `Boundary::Skip`.
#![allow(dead_code)] // a user of this file may not need every loop

use accel_pool::ir::Real;
use accel_pool::ir::stencil::RowLoad;
use accel_pool::ir::stencil::system::{Cells, SystemFormula};
use rayon::prelude::*;

/// One Jacobi update at one point: the mean of the six face neighbours,
/// summed in a fixed order (z, then y, then x neighbours).
#[inline(always)]
pub fn update<R: Real>(below: R, above: R, north: R, south: R, west: R, east: R) -> R {
    R::lit(1.0 / 6.0) * (below + above + north + south + west + east)
}

/// The update as a stencil system formula: one field, one level.
pub struct Jacobi3d;

impl SystemFormula for Jacobi3d {
    fn radius(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, _field: usize, n: &Cells<'_, R>) -> R {
        update(
            n.at([-1, 0, 0]),
            n.at([1, 0, 0]),
            n.at([0, -1, 0]),
            n.at([0, 1, 0]),
            n.at([0, 0, -1]),
            n.at([0, 0, 1]),
        )
    }
}

/// An `n³` volume: cold, one hot face (z = 0) and a warm cube in the middle.
pub fn volume(n: usize) -> Vec<f64> {
    (0..n * n * n)
        .map(|i| {
            let (z, y, x) = (i / (n * n), i / n % n, i % n);
            let mid = |c: usize| (n / 3..2 * n / 3).contains(&c);
            if z == 0 {
                100.0
            } else if mid(z) && mid(y) && mid(x) {
                40.0
            } else {
                0.0
            }
        })
        .collect()
}

/// Interior row `(z, y)` of one update (`1 ≤ z, y < n − 1`), from `src` into
/// `row` (the row's `n` values): equal-length zipped slices, so the loop has
/// no bounds checks and LLVM vectorises it for the build's baseline.
#[inline(always)]
fn interior_row(src: &[f64], n: usize, z: usize, y: usize, row: &mut [f64]) {
    let at = |z: usize, y: usize| &src[(z * n + y) * n..][..n];
    let (below, above, north, south, mid) = (
        at(z - 1, y),
        at(z + 1, y),
        at(z, y - 1),
        at(z, y + 1),
        at(z, y),
    );
    let inner = row[1..n - 1]
        .iter_mut()
        .zip(&below[1..n - 1])
        .zip(&above[1..n - 1])
        .zip(&north[1..n - 1])
        .zip(&south[1..n - 1])
        .zip(&mid[..n - 2])
        .zip(&mid[2..n]);
    for ((((((o, &b), &a), &no), &so), &we), &ea) in inner {
        *o = update(b, a, no, so, we, ea);
    }
}

/// `iters` updates on one thread, two buffers, the faces fixed: the plain
/// loop a C programmer would write (`n ≥ 3`).
pub fn jacobi_plain(v: &mut [f64], n: usize, iters: usize) {
    let mut a = v.to_vec();
    let mut b = v.to_vec();
    for _ in 0..iters {
        for z in 1..n - 1 {
            for y in 1..n - 1 {
                let row = &mut b[(z * n + y) * n..][..n];
                interior_row(&a, n, z, y, row);
            }
        }
        std::mem::swap(&mut a, &mut b);
    }
    v.copy_from_slice(&a);
}

/// [`jacobi_plain`] with rayon, one z-plane per task: how a competent rayon
/// user parallelises it.
pub fn jacobi_rayon(v: &mut [f64], n: usize, iters: usize) {
    let mut a = v.to_vec();
    let mut b = v.to_vec();
    for _ in 0..iters {
        let src = &a;
        b[n * n..n * n * (n - 1)]
            .par_chunks_mut(n * n)
            .enumerate()
            .for_each(|(k, plane)| {
                for y in 1..n - 1 {
                    interior_row(src, n, k + 1, y, &mut plane[y * n..][..n]);
                }
            });
        std::mem::swap(&mut a, &mut b);
    }
    v.copy_from_slice(&a);
}
