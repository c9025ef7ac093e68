//! The `stencils` workload: users' own stencils, as accel-pool's examples
//! write them (their code is shared as source), each checked bit for bit
//! against its plain loop and then timed against it and a rayon loop:
//! * the 2-D heat equation in `f64` (a `PointFormula` on `Stencil`, with
//!   temporal blocking);
//! * the 3-D 7-point Jacobi iteration in `f64` (a `SystemFormula`);
//! * the 2-D wave equation in `f32`, three rotating buffers and a `c²` array
//!   (a `SystemFormula` of two levels and a constant).

use super::Mode;
use super::results::Measurement;
use super::timing::interleaved_boxed;
use super::workloads::{Ctx, measurements, progress};
use accel_pool::Pool;
use accel_pool::ir::stencil::Boundary;
use accel_pool::ir::stencil::system::{Extent, StencilSystem};

#[path = "../../../pool/examples/shared/heat.rs"]
mod heat;
#[path = "../../../pool/examples/shared/jacobi3d.rs"]
mod jacobi3d;
#[path = "../../../pool/examples/shared/wave.rs"]
mod wave;

/// A boxed timed run.
type Run<'a> = Box<dyn FnMut() + 'a>;

/// Times the plain loop, accel on every pool and the rayon loop, interleaved,
/// and names them. `floor_bytes` is the one-sweep-per-iteration traffic per
/// point per iteration.
fn timed<'a>(
    ctx: &'a Ctx<'a>,
    size: &str,
    point_iters: usize,
    floor_bytes: f64,
    serial: Run<'a>,
    accel: impl Fn(&'a Pool) -> Run<'a>,
    rayon: Run<'a>,
) -> Vec<Measurement> {
    let mut names = vec![("serial", 1)];
    let mut runs = vec![serial];
    for pool in ctx.pools {
        names.push(("accel", pool.num_threads()));
        runs.push(accel(pool));
    }
    names.push(("rayon", ctx.max_threads));
    runs.push(rayon);
    let samples = interleaved_boxed(&mut runs, ctx.budget);
    let floor = floor_bytes * point_iters as f64 / (ctx.bw.copy * 1e9);
    measurements(
        "stencils",
        size,
        point_iters as f64,
        Some(floor),
        &names,
        samples,
    )
}

/// A run of `f` on its own copy of `input`, restored before every run.
fn restoring<'a>(input: &'a [f64], f: impl Fn(&mut [f64]) + 'a) -> Run<'a> {
    let mut buf = input.to_vec();
    Box::new(move || {
        buf.copy_from_slice(input);
        f(&mut buf);
    })
}

/// Whether two arrays differ in any bit.
fn differs<T: Copy + Into<f64>>(a: &[T], b: &[T]) -> bool {
    a.iter()
        .zip(b)
        .any(|(&x, &y)| x.into().to_bits() != y.into().to_bits())
}

pub(super) fn run(ctx: &Ctx, mode: Mode) -> Result<Vec<Measurement>, String> {
    let bar = progress(3, "stencils");
    let mut out = run_heat(ctx, mode, &bar)?;
    bar.inc(1);
    out.extend(run_jacobi(ctx, mode, &bar)?);
    bar.inc(1);
    out.extend(run_wave(ctx, mode, &bar)?);
    bar.inc(1);
    bar.finish_and_clear();
    Ok(out)
}

fn run_heat(
    ctx: &Ctx,
    mode: Mode,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<Measurement>, String> {
    use accel_pool::ir::stencil::{FormulaKernel, Shape, Stencil};
    use heat::{Heat, heat_plain, heat_rayon, plate};
    // The size is 4000² × 200 (--full).
    let (n, iters) = match mode {
        Mode::Quick => (500, 20),
        Mode::Default => (2000, 50),
        Mode::Full => (4000, 200),
    };
    let size = format!("heat f64 {n}²×{iters} it");
    bar.set_message(size.clone());
    let shape = Shape::new(n, n);
    let stencil = Stencil::new(FormulaKernel::new_f64(Heat), Boundary::Skip, iters)
        .map_err(|e| format!("stencils {size}: {e}"))?;
    let input = plate(n);
    let mut want = input.clone();
    heat_plain(&mut want, n, iters);
    for pool in ctx.pools {
        let mut got = input.clone();
        pool.run_stencil(&stencil, &mut got, shape)
            .map_err(|e| format!("stencils {size}: {e}"))?;
        if differs(&got, &want) {
            return Err(format!(
                "stencils {size}: accel with {} threads differs from the plain loop",
                pool.num_threads()
            ));
        }
    }
    let rayon_heat = move |p: &mut [f64]| ctx.rayon.install(|| heat_rayon(p, n, iters));
    let mut got = input.clone();
    rayon_heat(&mut got);
    if differs(&got, &want) {
        return Err(format!("stencils {size}: the rayon loop differs"));
    }
    let (input, stencil) = (&input, &stencil);
    Ok(timed(
        ctx,
        &size,
        n * n * iters,
        // Read and write f64.
        16.0,
        restoring(input, move |p| heat_plain(p, n, iters)),
        |pool| {
            restoring(input, move |p| {
                pool.run_stencil(stencil, p, shape).expect("checked above")
            })
        },
        restoring(input, rayon_heat),
    ))
}

fn run_jacobi(
    ctx: &Ctx,
    mode: Mode,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<Measurement>, String> {
    use jacobi3d::{Jacobi3d, jacobi_plain, jacobi_rayon, volume};
    // The size is 256³ × 50 (--full).
    let (n, iters) = match mode {
        Mode::Quick => (48, 10),
        Mode::Default => (128, 20),
        Mode::Full => (256, 50),
    };
    let size = format!("jacobi3d f64 {n}³×{iters} it");
    bar.set_message(size.clone());
    let extent = Extent::volume(n, n, n);
    let system = StencilSystem::new(Jacobi3d, Boundary::Skip, iters)
        .map_err(|e| format!("stencils {size}: {e}"))?;
    let input = volume(n);
    let mut want = input.clone();
    jacobi_plain(&mut want, n, iters);
    let accel_run = |pool: &Pool, v: &mut [f64], scratch: &mut [f64]| {
        pool.run_system(&system, extent, &mut [v, scratch], &[])
    };
    for pool in ctx.pools {
        let (mut got, mut scratch) = (input.clone(), vec![0.0; input.len()]);
        accel_run(pool, &mut got, &mut scratch).map_err(|e| format!("stencils {size}: {e}"))?;
        if differs(&got, &want) {
            return Err(format!(
                "stencils {size}: accel with {} threads differs from the plain loop",
                pool.num_threads()
            ));
        }
    }
    let rayon_jacobi = move |v: &mut [f64]| ctx.rayon.install(|| jacobi_rayon(v, n, iters));
    let mut got = input.clone();
    rayon_jacobi(&mut got);
    if differs(&got, &want) {
        return Err(format!("stencils {size}: the rayon loop differs"));
    }
    let input = &input;
    let accel_run = &accel_run;
    Ok(timed(
        ctx,
        &size,
        n * n * n * iters,
        16.0,
        restoring(input, move |v| jacobi_plain(v, n, iters)),
        |pool| {
            let (mut buf, mut scratch) = (input.clone(), vec![0.0; input.len()]);
            Box::new(move || {
                buf.copy_from_slice(input);
                accel_run(pool, &mut buf, &mut scratch).expect("checked above");
            })
        },
        restoring(input, rayon_jacobi),
    ))
}

fn run_wave(
    ctx: &Ctx,
    mode: Mode,
    bar: &indicatif::ProgressBar,
) -> Result<Vec<Measurement>, String> {
    use wave::{Wave, membrane, wave_plain, wave_rayon};
    let (n, iters) = match mode {
        Mode::Quick => (400, 20),
        Mode::Default => (2000, 50),
        Mode::Full => (4000, 100),
    };
    let size = format!("wave f32 3 buffers {n}²×{iters} it");
    bar.set_message(size.clone());
    let extent = Extent::plane(n, n);
    let system = StencilSystem::new(Wave, Boundary::Skip, iters)
        .map_err(|e| format!("stencils {size}: {e}"))?;
    let (u0, c2) = membrane(n);
    let (want, want_before) = wave_plain(&u0, &c2, n, iters);
    // The three buffers start as u, u⁻ = u (at rest), and scratch.
    let accel_run = |pool: &Pool, bufs: &mut [Vec<f32>; 3]| {
        let [u, before, next] = bufs;
        u.copy_from_slice(&u0);
        before.copy_from_slice(&u0);
        pool.run_system(&system, extent, &mut [u, before, next], &[&c2])
    };
    for pool in ctx.pools {
        let mut bufs = [u0.clone(), u0.clone(), u0.clone()];
        accel_run(pool, &mut bufs).map_err(|e| format!("stencils {size}: {e}"))?;
        if differs(&bufs[0], &want) || differs(&bufs[1], &want_before) {
            return Err(format!(
                "stencils {size}: accel with {} threads differs from the plain loop",
                pool.num_threads()
            ));
        }
    }
    let (u0, c2) = (&u0, &c2);
    let rayon_wave = move || ctx.rayon.install(|| wave_rayon(u0, c2, n, iters));
    let (got, got_before) = rayon_wave();
    if differs(&got, &want) || differs(&got_before, &want_before) {
        return Err(format!("stencils {size}: the rayon loop differs"));
    }
    let accel_run = &accel_run;
    Ok(timed(
        ctx,
        &size,
        n * n * iters,
        // Read u, u⁻ and c², write u⁺: four f32.
        16.0,
        Box::new(move || drop(std::hint::black_box(wave_plain(u0, c2, n, iters)))),
        |pool| {
            let mut bufs = [u0.clone(), u0.clone(), u0.clone()];
            Box::new(move || accel_run(pool, &mut bufs).expect("checked above"))
        },
        Box::new(move || drop(std::hint::black_box(rayon_wave()))),
    ))
}
