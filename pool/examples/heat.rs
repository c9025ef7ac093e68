//! A user's own stencil: the 2-D heat equation in `f64` (5-point Laplacian,
//! fixed Dirichlet edges) written once as a `PointFormula`, run by
//! `Pool::run_stencil` on the active SIMD path.
//!
//! `cargo run --release -p accel-pool --example heat [N] [ITERS]` (a 2000 × 2000
//! plate, 50 iterations by default; the bench's `--full` size is 4000 200). The
//! plain one-thread loop and the rayon loop over rows must give the same bits as
//! accel (they perform the same `f64` operations in the same order); then
//! accel, accel on one thread, the plain loop and rayon are timed (medians of 7).

use accel_pool::ir::stencil::{Boundary, FormulaKernel, Shape, Stencil};
use accel_pool::simd::SimdPath;
use accel_pool::{Pool, PoolConfig};

#[path = "shared/timing.rs"]
mod timing;
use timing::median;

#[path = "shared/heat.rs"]
mod heat;
use heat::{Heat, heat_plain, heat_rayon, plate};

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
    let stencil = Stencil::new(FormulaKernel::new_f64(Heat), Boundary::Skip, iters)?;
    let input = plate(n);
    let mut want = input.clone();
    heat_plain(&mut want, n, iters);
    let mut by_rayon = input.clone();
    heat_rayon(&mut by_rayon, n, iters);
    let mut by_accel = input.clone();
    pool.run_stencil(&stencil, &mut by_accel, shape)?;
    let mut by_one = input.clone();
    one.run_stencil(&stencil, &mut by_one, shape)?;
    for (name, got) in [
        ("accel", by_accel),
        ("accel on one thread", by_one),
        ("rayon", by_rayon),
    ] {
        if got
            .iter()
            .zip(&want)
            .any(|(a, b)| a.to_bits() != b.to_bits())
        {
            return Err(format!("{name} differs from the plain loop").into());
        }
    }
    let mut p = input.clone();
    let mut time = |f: &mut dyn FnMut(&mut [f64])| {
        median(|| {
            p.copy_from_slice(&input);
            f(&mut p);
        })
    };
    let accel = time(&mut |p| pool.run_stencil(&stencil, p, shape).expect("checked above"));
    let single = time(&mut |p| one.run_stencil(&stencil, p, shape).expect("checked above"));
    let plain = time(&mut |p| heat_plain(p, n, iters));
    let rayon_t = time(&mut |p| heat_rayon(p, n, iters));
    let total: f64 = want.iter().sum();
    println!(
        "heat equation {n}×{n} f64, {iters} iterations, {} threads, SIMD {}: \
         accel {:.1} ms, accel one thread {:.1} ms ({:.2}×), plain loop {:.1} ms ({:.2}×), \
         rayon {:.1} ms ({:.2}×); all bit-identical, heat {total:.4e}",
        pool.num_threads(),
        SimdPath::active(),
        accel * 1e3,
        single * 1e3,
        single / accel,
        plain * 1e3,
        plain / accel,
        rayon_t * 1e3,
        rayon_t / accel,
    );
    Ok(())
}
