//! A user's own multi-buffer stencil: the 2-D wave equation
//! `u⁺ = 2u − u⁻ + c²∇²u` in `f32`, three rotating buffers and a read-only
//! `c²` array, written once as a `SystemFormula` and run by `Pool::run_system`
//! on the active SIMD path.
//!
//! `cargo run --release -p accel-pool --example wave [N] [ITERS]` (a 2000 ×
//! 2000 membrane, 100 steps by default). The plain one-thread loop and the
//! rayon loop must give the same bits as accel; then accel, accel on one
//! thread, the plain loop and rayon are timed (medians of 7).

use accel_pool::ir::stencil::Boundary;
use accel_pool::ir::stencil::system::{Extent, StencilSystem};
use accel_pool::simd::SimdPath;
use accel_pool::{Pool, PoolConfig};

#[path = "shared/timing.rs"]
mod timing;
use timing::median;

#[path = "shared/wave.rs"]
mod wave;
use wave::{Wave, membrane, wave_plain, wave_rayon};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let iters: usize = args.next().map_or(Ok(100), |a| a.parse())?;
    if n < 3 {
        return Err(format!("the membrane must be at least 3 × 3, got {n}").into());
    }
    let extent = Extent::plane(n, n);
    let pool = Pool::new(PoolConfig::new())?;
    let one = Pool::new(PoolConfig::new().threads(1))?;
    let system = StencilSystem::new(Wave, Boundary::Skip, iters)?;
    let (u0, c2) = membrane(n);
    // Buffers: u, u⁻ (at rest: the same), and the one the next step goes to.
    let run = |pool: &Pool| -> Result<(Vec<f32>, Vec<f32>), Box<dyn std::error::Error>> {
        let (mut u, mut before, mut next) = (u0.clone(), u0.clone(), vec![0.0; u0.len()]);
        pool.run_system(
            &system,
            extent,
            &mut [&mut u, &mut before, &mut next],
            &[&c2],
        )?;
        Ok((u, before))
    };
    let want = wave_plain(&u0, &c2, n, iters);
    let same = |a: &(Vec<f32>, Vec<f32>)| {
        let eq = |x: &[f32], y: &[f32]| x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits());
        eq(&a.0, &want.0) && eq(&a.1, &want.1)
    };
    for (name, got) in [
        ("accel", run(&pool)?),
        ("accel on one thread", run(&one)?),
        ("rayon", wave_rayon(&u0, &c2, n, iters)),
    ] {
        if !same(&got) {
            return Err(format!("{name} differs from the plain loop").into());
        }
    }
    let accel = median(|| drop(run(&pool)));
    let single = median(|| drop(run(&one)));
    let plain = median(|| drop(wave_plain(&u0, &c2, n, iters)));
    let rayon_t = median(|| drop(wave_rayon(&u0, &c2, n, iters)));
    let energy: f64 = want.0.iter().map(|&v| f64::from(v * v)).sum();
    println!(
        "wave equation {n}×{n} f32, 3 buffers + c², {iters} steps, {} threads, SIMD {}: \
         accel {:.1} ms, accel one thread {:.1} ms ({:.2}×), plain loop {:.1} ms ({:.2}×), \
         rayon {:.1} ms ({:.2}×); all bit-identical, Σu² {energy:.4e}",
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
