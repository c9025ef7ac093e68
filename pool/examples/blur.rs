//! ParallelAccelerator's blog blur as a user writes it with accel: the iterated
//! 5×5 Gaussian (`runStencil` with `oob_skip`), any weights, on one plane.
//!
//! `cargo run --release -p accel-pool --example blur [W] [H] [ITERS]` (a
//! 2048 × 1536 plane, 50 iterations by default; the seed image is 7095 5322 100).
//! accel's result is checked bit for bit against core's one-iteration-at-a-time
//! reference and within 1e-5 of a plain float64 loop; then accel, accel on one
//! thread, the reference and a plain rayon loop are timed (medians of 7).

use accel_pool::ir::stencil::{Boundary, GAUSSIAN_5X5, LinearTaps, Shape, Stencil};
use accel_pool::simd::SimdPath;
use accel_pool::{Pool, PoolConfig};
use rayon::prelude::*;

#[path = "shared/timing.rs"]
mod timing;
use timing::median;

/// One Jacobi sweep of the 25-tap stencil with rayon, a row per task, the
/// 2-pixel frame kept (`w, h ≥ 5`). Written as a careful rayon user would: the
/// 25 neighbour rows as slices exactly as long as the output row, so the loop
/// over pixels has no bounds checks and LLVM vectorises it (for the build's
/// baseline: SSE2 without `RUSTFLAGS`), each pixel's taps summed in row-major
/// order.
fn rayon_sweep(src: &[f32], dst: &mut [f32], w: usize, h: usize) {
    dst.par_chunks_mut(w)
        .enumerate()
        .skip(2)
        .take(h - 4)
        .for_each(|(y, row)| {
            let out = &mut row[2..w - 2];
            let n = out.len();
            let taps: [[&[f32]; 5]; 5] = std::array::from_fn(|dy| {
                let line = &src[(y + dy - 2) * w..(y + dy - 1) * w];
                std::array::from_fn(|dx| &line[dx..dx + n])
            });
            for (x, o) in out.iter_mut().enumerate() {
                let mut sum = 0.0f32;
                for (weights, taps) in GAUSSIAN_5X5.iter().zip(&taps) {
                    for (&wt, tap) in weights.iter().zip(taps) {
                        sum += wt * tap[x];
                    }
                }
                *o = sum;
            }
        });
}

/// `iters` rayon sweeps, two buffers, the result in `plane`.
fn rayon_blur(plane: &mut [f32], w: usize, h: usize, iters: usize) {
    let (mut a, mut b) = (plane.to_vec(), plane.to_vec());
    for _ in 0..iters {
        rayon_sweep(&a, &mut b, w, h);
        std::mem::swap(&mut a, &mut b);
    }
    plane.copy_from_slice(&a);
}

/// The plain float64 definition: 25 taps, the frame kept, `iters` times.
fn plain_f64(plane: &[f32], w: usize, h: usize, iters: usize) -> Vec<f64> {
    let mut a: Vec<f64> = plane.iter().map(|&v| f64::from(v)).collect();
    let mut b = a.clone();
    for _ in 0..iters {
        for y in 2..h - 2 {
            for x in 2..w - 2 {
                let mut sum = 0.0;
                for (dy, weights) in GAUSSIAN_5X5.iter().enumerate() {
                    for (dx, &wt) in weights.iter().enumerate() {
                        sum += f64::from(wt) * a[(y + dy - 2) * w + x + dx - 2];
                    }
                }
                b[y * w + x] = sum;
            }
        }
        std::mem::swap(&mut a, &mut b);
    }
    a
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let w: usize = args.next().map_or(Ok(2048), |a| a.parse())?;
    let h: usize = args.next().map_or(Ok(1536), |a| a.parse())?;
    let iters: usize = args.next().map_or(Ok(50), |a| a.parse())?;
    if w < 5 || h < 5 {
        return Err(format!("the image must be at least 5 × 5, got {w} × {h}").into());
    }
    let shape = Shape::new(w, h);
    // Any weights go through `LinearTaps`; these are the blog's.
    let taps = LinearTaps::from_grid(2, GAUSSIAN_5X5.as_flattened())?;
    let blur = Stencil::new(taps, Boundary::Skip, iters)?;
    let pool = Pool::new(PoolConfig::new())?;
    let one = Pool::new(PoolConfig::new().threads(1))?;
    let image: Vec<f32> = (0..w * h)
        .map(|i| ((i / w) * 7 + (i % w) * 13) as f32 % 256.0 / 255.0)
        .collect();

    let mut by_accel = image.clone();
    pool.run_stencil(&blur, &mut by_accel, shape)?;
    let mut by_reference = image.clone();
    blur.apply_reference(&mut by_reference, shape)?;
    if by_accel
        .iter()
        .zip(&by_reference)
        .any(|(a, b)| a.to_bits() != b.to_bits())
    {
        return Err("accel differs from core's reference executor".into());
    }
    let mut by_rayon = image.clone();
    rayon_blur(&mut by_rayon, w, h, iters);
    if iters <= 100 && w * h <= 4 << 20 {
        let model = plain_f64(&image, w, h, iters);
        for (name, got) in [("accel", &by_accel), ("rayon", &by_rayon)] {
            let worst = got
                .iter()
                .zip(&model)
                .map(|(&g, &m)| (f64::from(g) - m).abs())
                .fold(0.0, f64::max);
            if worst >= 1e-5 {
                return Err(format!("{name} is {worst:e} from the float64 loop").into());
            }
        }
    }

    let mut p = image.clone();
    let mut time = |f: &mut dyn FnMut(&mut [f32])| {
        median(|| {
            p.copy_from_slice(&image);
            f(&mut p);
        })
    };
    let accel = time(&mut |p| pool.run_stencil(&blur, p, shape).expect("checked above"));
    let single = time(&mut |p| one.run_stencil(&blur, p, shape).expect("checked above"));
    let reference = time(&mut |p| blur.apply_reference(p, shape).expect("checked above"));
    let rayon_t = time(&mut |p| rayon_blur(p, w, h, iters));
    println!(
        "blur {w}×{h}, {iters} iterations, {} threads, SIMD {}: accel {:.1} ms, accel one thread \
         {:.1} ms ({:.2}×), one-sweep reference {:.1} ms ({:.2}×), rayon {:.1} ms ({:.2}×); \
         accel equals the reference bit for bit and the float64 loop within 1e-5",
        pool.num_threads(),
        SimdPath::active(),
        accel * 1e3,
        single * 1e3,
        single / accel,
        reference * 1e3,
        reference / accel,
        rayon_t * 1e3,
        rayon_t / accel,
    );
    Ok(())
}
