//! The 2-D wave equation of the `wave` example, shared with `cargo xtask
//! bench` (its `stencils` workload): `u⁺ = 2u − u⁻ + c²∇²u` as a
//! `SystemFormula` of one field with two levels (three rotating buffers) and a
//! read-only `c²` array, the membrane it starts from, and the plain and rayon
//! loops it is checked and timed against. All in `f32`, with a fixed rim:
//! `Boundary::Skip`.
#![allow(dead_code)] // a user of this file may not need every loop

use accel_pool::ir::Real;
use accel_pool::ir::stencil::RowLoad;
use accel_pool::ir::stencil::system::{Cells, SystemFormula};
use rayon::prelude::*;

/// One leapfrog step at one point.
#[inline(always)]
pub fn step<R: Real>(u: R, before: R, c2: R, north: R, south: R, west: R, east: R) -> R {
    R::lit(2.0) * u - before + c2 * (north + south + west + east - R::lit(4.0) * u)
}

/// The step as a stencil system formula.
pub struct Wave;

impl SystemFormula for Wave {
    fn radius(&self) -> usize {
        1
    }
    fn levels(&self) -> usize {
        2
    }
    fn constants(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, _field: usize, n: &Cells<'_, R>) -> R {
        step(
            n.at([0, 0]),
            n.past(0, 1, [0, 0]),
            n.constant(0, [0, 0]),
            n.at([-1, 0]),
            n.at([1, 0]),
            n.at([0, -1]),
            n.at([0, 1]),
        )
    }
}

/// An `n × n` membrane at rest (`u⁻ = u`) with a raised bump off centre, and
/// `c²` (Courant number squared, stable below 1/2) slower in a lens.
pub fn membrane(n: usize) -> (Vec<f32>, Vec<f32>) {
    let u = (0..n * n)
        .map(|i| {
            let (y, x) = ((i / n) as f32 / n as f32, (i % n) as f32 / n as f32);
            let d2 = (y - 0.3) * (y - 0.3) + (x - 0.4) * (x - 0.4);
            (-d2 * 400.0).exp()
        })
        .collect();
    let c2 = (0..n * n)
        .map(|i| {
            let (y, x) = ((i / n) as f32 / n as f32, (i % n) as f32 / n as f32);
            let d2 = (y - 0.6) * (y - 0.6) + (x - 0.6) * (x - 0.6);
            if d2 < 0.04 { 0.1 } else { 0.25 }
        })
        .collect();
    (u, c2)
}

/// Interior row `k + 1` of a step: zipped slices of equal length.
#[inline(always)]
fn interior_row(now: &[f32], before: &[f32], c2: &[f32], n: usize, k: usize, row: &mut [f32]) {
    let mid = (k + 1) * n;
    let (up, centre, down) = (&now[k * n..], &now[mid..], &now[mid + n..]);
    let inner = row[1..n - 1]
        .iter_mut()
        .zip(&centre[1..n - 1])
        .zip(&before[mid + 1..mid + n - 1])
        .zip(&c2[mid + 1..mid + n - 1])
        .zip(&up[1..n - 1])
        .zip(&down[1..n - 1])
        .zip(&centre[..n - 2])
        .zip(&centre[2..n]);
    for (((((((o, &u), &b), &c), &no), &so), &we), &ea) in inner {
        *o = step(u, b, c, no, so, we, ea);
    }
}

/// `iters` steps on one thread with three buffers, the rim fixed (`n ≥ 3`);
/// returns `(u, u⁻)` after the last step.
pub fn wave_plain(u: &[f32], c2: &[f32], n: usize, iters: usize) -> (Vec<f32>, Vec<f32>) {
    let (mut now, mut before, mut next) = (u.to_vec(), u.to_vec(), u.to_vec());
    for _ in 0..iters {
        for (k, row) in next[n..n * (n - 1)].chunks_mut(n).enumerate() {
            interior_row(&now, &before, c2, n, k, row);
        }
        // The rim keeps its current value (as `Boundary::Skip`).
        next[..n].copy_from_slice(&now[..n]);
        next[n * (n - 1)..].copy_from_slice(&now[n * (n - 1)..]);
        for y in 1..n - 1 {
            next[y * n] = now[y * n];
            next[y * n + n - 1] = now[y * n + n - 1];
        }
        // Rotate: u⁻ ← u ← u⁺.
        std::mem::swap(&mut before, &mut now);
        std::mem::swap(&mut now, &mut next);
    }
    (now, before)
}

/// [`wave_plain`] with rayon, one row per task.
pub fn wave_rayon(u: &[f32], c2: &[f32], n: usize, iters: usize) -> (Vec<f32>, Vec<f32>) {
    let (mut now, mut before, mut next) = (u.to_vec(), u.to_vec(), u.to_vec());
    for _ in 0..iters {
        let (src, old) = (&now, &before);
        next.par_chunks_mut(n).enumerate().for_each(|(y, row)| {
            if y == 0 || y == n - 1 {
                row.copy_from_slice(&src[y * n..][..n]);
            } else {
                interior_row(src, old, c2, n, y - 1, row);
                row[0] = src[y * n];
                row[n - 1] = src[y * n + n - 1];
            }
        });
        std::mem::swap(&mut before, &mut now);
        std::mem::swap(&mut now, &mut next);
    }
    (now, before)
}
