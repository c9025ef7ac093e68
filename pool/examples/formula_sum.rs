//! A user's three-input formula with `exp` and `sqrt`, and its sum:
//! `sum(exp(−a²/2) · sqrt(b² + c))`, run by `Pool::map_formula` and
//! `Pool::sum_formula` on the active SIMD path.
//!
//! `cargo run --release -p accel-pool --example formula_sum [N]` (N = 20 000 000
//! by default). It checks both against a plain loop with std's `exp` and `sqrt`
//! (within 1e-13 relative per element: each SIMD path's `exp` has its own
//! bound, see `accel_pool::math::precision`; 1e-10 for the sum of millions of terms) and that the sum has the same bits on 1 and
//! all threads, then times accel, the plain loop and rayon (medians of 7).

use accel_pool::simd::SimdPath;
use accel_pool::{Pool, PoolConfig};
use rayon::prelude::*;

#[path = "shared/timing.rs"]
mod timing;
use timing::median;

#[path = "shared/formulas.rs"]
mod formulas;
use formulas::{Bump, bump_plain as plain_one};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(Ok(20_000_000), |a| a.parse())?;
    let col = |k: usize| -> Vec<f64> {
        (0..n)
            .map(|i| ((i * (31 + k)) % 4096) as f64 / 1024.0)
            .collect()
    };
    let (a, b, c) = (col(0), col(1), col(2));
    let pool = Pool::new(PoolConfig::new())?;
    let one = Pool::new(PoolConfig::new().threads(1))?;
    let ins = [&a[..], &b[..], &c[..]];
    let mut got = vec![0.0; n];
    pool.map_formula(ins, &mut got, &Bump)?;
    let sum = pool.sum_formula(ins, &Bump)?;
    if sum.to_bits() != one.sum_formula(ins, &Bump)?.to_bits() {
        return Err("the sum depends on the thread count".into());
    }
    let want: Vec<f64> = (0..n).map(|i| plain_one(a[i], b[i], c[i])).collect();
    let worst = got
        .iter()
        .zip(&want)
        .map(|(g, w)| ((g - w) / w.abs().max(f64::MIN_POSITIVE)).abs())
        .fold(0.0, f64::max);
    let plain_sum: f64 = want.iter().sum();
    // The two sums add millions of terms in different orders (8 lanes against one
    // running total): each carries up to n·ε of rounding, hence the looser bound.
    if worst > 1e-13 || ((sum - plain_sum) / plain_sum).abs() > 1e-10 {
        return Err(format!(
            "off the plain loop: {worst:e} per element, sums {sum} vs {plain_sum}"
        )
        .into());
    }
    let accel = median(|| {
        std::hint::black_box(pool.sum_formula(ins, &Bump).expect("checked above"));
    });
    let serial = median(|| {
        let s: f64 = (0..n).map(|i| plain_one(a[i], b[i], c[i])).sum();
        std::hint::black_box(s);
    });
    let rayon = median(|| {
        let s: f64 = (0..n)
            .into_par_iter()
            .map(|i| plain_one(a[i], b[i], c[i]))
            .sum();
        std::hint::black_box(s);
    });
    println!(
        "sum of exp·sqrt over {n} × 3 f64, {} threads, SIMD {}: accel {:.2} ms, plain loop {:.2} ms \
         ({:.2}×), rayon {:.2} ms ({:.2}×); within {worst:.1e} of the plain loop",
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
