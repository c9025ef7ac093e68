//! Black-Scholes written the way a user writes it: the put price once, generic
//! over [`Real`], a [`Formula`] around it, and one call of the pool. This is the
//! code accel's own Black-Scholes runs (accel-kernels adds only the references).
//!
//! `cargo run --release -p accel-pool --example blackscholes [N]` (N = 10 000 000
//! by default). It checks every price against a plain loop over the same
//! function on `f64` (within 1e-13 relative), then times the fused checksum
//! against that loop and rayon (medians of 7).

use accel_pool::ir::{Formula, Real, erf, exp, log10, sqrt};
use accel_pool::simd::SimdPath;
use accel_pool::{Pool, PoolConfig};
use rayon::prelude::*;

#[path = "shared/timing.rs"]
mod timing;
use timing::median;

/// The normal CDF as the benchmark writes it.
// 0.707106781 is the benchmark's own constant, not exactly 1/√2: keep it.
#[allow(clippy::approx_constant)]
#[inline(always)]
fn cndf2<T: Real>(x: T) -> T {
    let c = T::lit;
    c(0.5) + c(0.5) * erf(c(0.707106781) * x)
}

/// The put price, line for line as the Julia benchmark.
#[inline(always)]
fn put<T: Real>(spt: T, strike: T, rate: T, vol: T, time: T) -> T {
    let c = T::lit;
    let logterm = log10(spt / strike);
    let powterm = c(0.5) * vol * vol;
    let den = vol * sqrt(time);
    let d1 = ((rate + powterm) * time + logterm) / den;
    let d2 = d1 - den;
    let fv = strike * exp(-rate * time);
    let call = spt * cndf2(d1) - fv * cndf2(d2);
    call - fv + spt
}

struct Put;

impl Formula<5, 1> for Put {
    #[inline(always)]
    fn eval<R: Real>(&self, [s, k, r, v, t]: [R; 5]) -> [R; 1] {
        [put(s, k, r, v, t)]
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(Ok(10_000_000), |a| a.parse())?;
    // The benchmark's inputs: spot 42 ± 5 %, strike 40 ± 5 %, rate 0.5, vol 0.2, time 0.5.
    let wobble = |i: usize, x: f64| x * (1.0 + 0.05 * (((i * 7919) % 2001) as f64 / 1000.0 - 1.0));
    let spt: Vec<f64> = (0..n).map(|i| wobble(i, 42.0)).collect();
    let strike: Vec<f64> = (0..n).map(|i| wobble(i + 1, 40.0)).collect();
    let (rate, vol, time) = (vec![0.5; n], vec![0.2; n], vec![0.5; n]);
    let ins = [&spt[..], &strike, &rate, &vol, &time];
    let pool = Pool::new(PoolConfig::new())?;
    let mut prices = vec![0.0; n];
    pool.map_formula(ins, &mut prices, &Put)?;
    let plain = |i: usize| put(spt[i], strike[i], rate[i], vol[i], time[i]);
    let worst = (0..n)
        .map(|i| ((prices[i] - plain(i)) / plain(i)).abs())
        .fold(0.0, f64::max);
    if worst > 1e-13 {
        return Err(format!("a price is {worst:e} off the plain loop").into());
    }
    let checksum = pool.sum_formula(ins, &Put)?;
    let accel = median(|| {
        std::hint::black_box(pool.sum_formula(ins, &Put).expect("checked above"));
    });
    let serial = median(|| {
        std::hint::black_box((0..n).map(plain).sum::<f64>());
    });
    let rayon = median(|| {
        std::hint::black_box((0..n).into_par_iter().map(plain).sum::<f64>());
    });
    println!(
        "Black-Scholes, {n} options, {} threads, SIMD {}: checksum {checksum:.6e}; accel {:.2} ms, \
         plain loop {:.2} ms ({:.2}×), rayon {:.2} ms ({:.2}×); within {worst:.1e} of the plain loop",
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
