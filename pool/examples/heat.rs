//! A user's own stencil: the 2-D heat equation (5-point Laplacian, fixed
//! Dirichlet edges) written once as a `PointFormula`, run by
//! `Pool::run_stencil` on the active SIMD path.
//!
//! `cargo run --release -p accel-pool --example heat [N] [ITERS]` (a 2000 × 2000
//! f32 plate, 50 iterations by default). The same step as an `ExprKernel`
//! closure and as a rayon loop over rows must give the same bits (they perform
//! the same `f32` operations in the same order); then the three, and accel's
//! one-thread sweep, are timed (medians of 7).

use accel_pool::ir::Real;
use accel_pool::ir::stencil::{
    Boundary, ExprKernel, FormulaKernel, Neighbourhood, PointFormula, RowLoad, Shape, Stencil,
    Window,
};
use accel_pool::simd::SimdPath;
use accel_pool::{Pool, PoolConfig};
use rayon::prelude::*;

#[path = "shared/timing.rs"]
mod timing;
use timing::median;

/// Diffusion number `κ Δt / Δx²` (stable below 1/4).
const ALPHA: f64 = 0.2;

/// One explicit Euler step at one point, written once over `Real`.
#[inline(always)]
fn step<R: Real>(c: R, north: R, south: R, west: R, east: R) -> R {
    c + R::lit(ALPHA) * (north + south + west + east - R::lit(4.0) * c)
}

/// The step as a stencil formula: reads its four neighbours.
struct Heat;

impl PointFormula for Heat {
    fn radius(&self) -> usize {
        1
    }
    #[inline(always)]
    fn eval<R: RowLoad>(&self, n: &Neighbourhood<'_, R>) -> R {
        step(n.centre(), n.at(-1, 0), n.at(1, 0), n.at(0, -1), n.at(0, 1))
    }
}

/// The plate: cold, with a hot square in the middle and a warm left edge.
fn plate(n: usize) -> Vec<f32> {
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

/// `iters` steps with rayon, one row per task, two buffers; the edges keep
/// their values (what `Boundary::Skip` means). Written as a competent rayon user
/// would: zipped row slices, which LLVM vectorises for the build's baseline.
fn rayon_heat(plane: &mut [f32], n: usize, iters: usize) {
    let mut a = plane.to_vec();
    let mut b = plane.to_vec();
    for _ in 0..iters {
        let (src, other) = (&a, &mut b);
        other[n..n * (n - 1)]
            .par_chunks_mut(n)
            .enumerate()
            .for_each(|(k, row)| {
                // Rows y − 1, y, y + 1 as equal-length slices zipped together,
                // so the inner loop has no bounds checks and vectorises.
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
            });
        std::mem::swap(&mut a, &mut b);
    }
    plane.copy_from_slice(&a);
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let iters: usize = args.next().map_or(Ok(50), |a| a.parse())?;
    if n < 3 {
        return Err(format!("the plate must be at least 3 × 3, got {n}").into());
    }
    let shape = Shape::new(n, n);
    let pool = Pool::new(PoolConfig::new())?;
    let one = Pool::new(PoolConfig::new().threads(1))?;
    let formula = Stencil::new(FormulaKernel::new(Heat), Boundary::Skip, iters)?;
    let closure = Stencil::new(
        ExprKernel::new(1, |w: &Window<'_>| {
            step(w.centre(), w.at(-1, 0), w.at(1, 0), w.at(0, -1), w.at(0, 1))
        }),
        Boundary::Skip,
        iters,
    )?;
    let input = plate(n);
    let run =
        |pool: &Pool, stencil_is_formula: bool| -> Result<Vec<f32>, Box<dyn std::error::Error>> {
            let mut p = input.clone();
            if stencil_is_formula {
                pool.run_stencil(&formula, &mut p, shape)?;
            } else {
                pool.run_stencil(&closure, &mut p, shape)?;
            }
            Ok(p)
        };
    let want = run(&pool, false)?;
    let mut by_rayon = input.clone();
    rayon_heat(&mut by_rayon, n, iters);
    for (name, got) in [
        ("the formula kernel", run(&pool, true)?),
        ("one thread", run(&one, true)?),
        ("rayon", by_rayon),
    ] {
        if got
            .iter()
            .zip(&want)
            .any(|(a, b)| a.to_bits() != b.to_bits())
        {
            return Err(format!("{name} differs from the closure kernel").into());
        }
    }
    let mut p = input.clone();
    let mut time = |f: &mut dyn FnMut(&mut [f32])| {
        median(|| {
            p.copy_from_slice(&input);
            f(&mut p);
        })
    };
    let accel = time(&mut |p| pool.run_stencil(&formula, p, shape).expect("checked above"));
    let single = time(&mut |p| one.run_stencil(&formula, p, shape).expect("checked above"));
    let closure_t = time(&mut |p| pool.run_stencil(&closure, p, shape).expect("checked above"));
    let rayon_t = time(&mut |p| rayon_heat(p, n, iters));
    let total: f64 = want.iter().map(|&v| f64::from(v)).sum();
    println!(
        "heat equation {n}×{n} f32, {iters} iterations, {} threads, SIMD {}: \
         PointFormula {:.1} ms, one thread {:.1} ms ({:.2}×), ExprKernel closure {:.1} ms ({:.2}×), \
         rayon {:.1} ms ({:.2}×); all bit-identical, heat {total:.4e}",
        pool.num_threads(),
        SimdPath::active(),
        accel * 1e3,
        single * 1e3,
        single / accel,
        closure_t * 1e3,
        closure_t / accel,
        rayon_t * 1e3,
        rayon_t / accel,
    );
    Ok(())
}
