//! ParallelAccelerator's comprehension example: `avg(x)[i] = 0.25·x[i−1] +
//! 0.5·x[i] + 0.25·x[i+1]` for the interior of `x`, as a [`Formula`] over three
//! shifted views of `x`, run by `Pool::map_formula`.
//!
//! `cargo run --release -p accel-pool --example avg [N]` (N = 50 000 000 by
//! default). It checks the result against a plain loop (bit for bit: the same
//! multiplies and adds in the same order) and times accel, the plain loop and
//! rayon side by side (medians of 7).

use accel_pool::simd::SimdPath;
use accel_pool::{Pool, PoolConfig};
use rayon::prelude::*;

#[path = "shared/timing.rs"]
mod timing;
use timing::median;

#[path = "shared/formulas.rs"]
mod formulas;
use formulas::{Avg, avg_plain as plain};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(Ok(50_000_000), |a| a.parse())?;
    if n < 3 {
        return Err(format!("N must be at least 3, got {n}").into());
    }
    let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 * 1e-3).collect();
    let pool = Pool::new(PoolConfig::new())?;
    let views = [&x[..n - 2], &x[1..n - 1], &x[2..]];
    let mut got = vec![0.0; n - 2];
    pool.map_formula(views, &mut got, &Avg)?;
    let mut want = vec![0.0; n - 2];
    plain(&x, &mut want);
    if got
        .iter()
        .zip(&want)
        .any(|(a, b)| a.to_bits() != b.to_bits())
    {
        return Err("accel's avg differs from the plain loop".into());
    }
    let accel = median(|| {
        pool.map_formula(views, &mut got, &Avg)
            .expect("checked above")
    });
    let serial = median(|| plain(&x, &mut want));
    let rayon = median(|| {
        want.par_chunks_mut(1 << 14)
            .enumerate()
            .for_each(|(c, out)| {
                let x = &x[c << 14..];
                for (i, o) in out.iter_mut().enumerate() {
                    *o = 0.25 * x[i] + 0.5 * x[i + 1] + 0.25 * x[i + 2];
                }
            })
    });
    println!(
        "avg over {n} f64, {} threads, SIMD {}: accel {:.2} ms, plain loop {:.2} ms ({:.2}×), \
         rayon {:.2} ms ({:.2}×); identical to the plain loop",
        pool.num_threads(),
        SimdPath::active(),
        accel * 1e3,
        serial * 1e3,
        serial / accel,
        rayon * 1e3,
        rayon / accel
    );
    Ok(())
}
