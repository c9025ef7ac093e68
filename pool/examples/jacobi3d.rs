//! A user's own 3-D stencil: the 7-point Jacobi iteration in `f64` (fixed
//! faces) written once as a `SystemFormula`, run by `Pool::run_system` on the
//! active SIMD path.
//!
//! `cargo run --release -p accel-pool --example jacobi3d [N] [ITERS]` (a 128³
//! volume, 20 iterations by default; the bench's `--full` size is 256 50). The
//! plain one-thread loop and the rayon loop over z-planes must give the same
//! bits as accel (they perform the same `f64` operations in the same order);
//! then accel, accel on one thread, the plain loop and rayon are timed
//! (medians of 7).

use accel_pool::ir::stencil::Boundary;
use accel_pool::ir::stencil::system::{Extent, StencilSystem};
use accel_pool::simd::SimdPath;
use accel_pool::{Pool, PoolConfig};

#[path = "shared/timing.rs"]
mod timing;
use timing::median;

#[path = "shared/jacobi3d.rs"]
mod jacobi3d;
use jacobi3d::{Jacobi3d, jacobi_plain, jacobi_rayon, volume};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(128), |a| a.parse())?;
    let iters: usize = args.next().map_or(Ok(20), |a| a.parse())?;
    if n < 3 {
        return Err(format!("the volume must be at least 3³, got {n}").into());
    }
    let extent = Extent::volume(n, n, n);
    let pool = Pool::new(PoolConfig::new())?;
    let one = Pool::new(PoolConfig::new().threads(1))?;
    let system = StencilSystem::new(Jacobi3d, Boundary::Skip, iters)?;
    let input = volume(n);
    let mut scratch = vec![0.0; input.len()];
    let mut run =
        |pool: &Pool, v: &mut [f64]| pool.run_system(&system, extent, &mut [v, &mut scratch], &[]);
    let mut want = input.clone();
    jacobi_plain(&mut want, n, iters);
    let mut by_rayon = input.clone();
    jacobi_rayon(&mut by_rayon, n, iters);
    let mut by_accel = input.clone();
    run(&pool, &mut by_accel)?;
    let mut by_one = input.clone();
    run(&one, &mut by_one)?;
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
    let mut v = input.clone();
    let mut time = |f: &mut dyn FnMut(&mut [f64])| {
        median(|| {
            v.copy_from_slice(&input);
            f(&mut v);
        })
    };
    let accel = time(&mut |v| run(&pool, v).expect("checked above"));
    let single = time(&mut |v| run(&one, v).expect("checked above"));
    let plain = time(&mut |v| jacobi_plain(v, n, iters));
    let rayon_t = time(&mut |v| jacobi_rayon(v, n, iters));
    let total: f64 = want.iter().sum();
    println!(
        "3-D Jacobi {n}³ f64, {iters} iterations, {} threads, SIMD {}: \
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
