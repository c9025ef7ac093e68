//! The three workloads as benchmark groups: sizes per mode, contenders, and the
//! check every contender's result must pass before its time counts.

use super::results::{Bandwidth, Measurement};
use super::timing::{Budget, interleaved_boxed};
use super::{Mode, Options, c_peers, hand_lanes, peers, stencils};
use accel_kernels::{blackscholes, blur, fill};
use accel_pool::ir::Plan;
use accel_pool::ir::stencil::Shape;
use accel_pool::{Pool, PoolConfig};
use indicatif::{ProgressBar, ProgressStyle};
use std::str::FromStr;

/// One of accel's workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Populate a banded-block-banded matrix block by block.
    Fill,
    /// Price European options with the fused Black-Scholes kernel.
    BlackScholes,
    /// The iterated 5×5 Gaussian stencil.
    Blur,
    /// A user's own formulas, as the `avg` and `formula_sum` examples of
    /// accel-pool write them: the comprehension `avg` and a three-input
    /// `exp`·`sqrt` sum.
    Formulas,
    /// A user's own stencils, as accel-pool's `heat` example writes them: the
    /// 2-D heat equation in `f64` as a `PointFormula`.
    Stencils,
}

impl Workload {
    /// Every workload, in the order the suite runs them.
    pub const ALL: [Workload; 5] = [
        Workload::Fill,
        Workload::BlackScholes,
        Workload::Blur,
        Workload::Formulas,
        Workload::Stencils,
    ];

    /// The name `--workloads` takes.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Fill => "fill",
            Workload::BlackScholes => "blackscholes",
            Workload::Blur => "blur",
            Workload::Formulas => "formulas",
            Workload::Stencils => "stencils",
        }
    }
}

impl FromStr for Workload {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "fill" => Ok(Workload::Fill),
            "blackscholes" | "black-scholes" => Ok(Workload::BlackScholes),
            "blur" => Ok(Workload::Blur),
            "formulas" => Ok(Workload::Formulas),
            "stencils" => Ok(Workload::Stencils),
            other => Err(format!(
                "--workloads: unknown workload `{other}` (expected fill, blackscholes, blur, formulas, stencils)"
            )),
        }
    }
}

/// Runs every size of workload `w` and returns its measurements; a wrong result from
/// any contender is an error.
/// Runs workload `w`: its measurements, and notes for under the table (the C
/// contenders' accuracy).
pub fn run(
    w: Workload,
    opts: &Options,
    bw: &Bandwidth,
) -> Result<(Vec<Measurement>, Vec<String>), String> {
    let pools = opts
        .threads
        .iter()
        .map(|&t| {
            Pool::new(PoolConfig::new().threads(t))
                .map_err(|e| format!("pool with {t} threads: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let max_threads = *opts.threads.iter().max().unwrap_or(&1);
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(max_threads)
        .build()
        .map_err(|e| format!("rayon pool: {e}"))?;
    let ctx = Ctx {
        pools: &pools,
        rayon: &rayon,
        max_threads,
        budget: Budget::new(opts.mode == Mode::Quick),
        bw,
    };
    let mut notes = Vec::new();
    let runs = match w {
        Workload::Fill => run_fill(&ctx, opts.mode)?,
        Workload::BlackScholes => run_blackscholes(&ctx, opts.mode, &mut notes)?,
        Workload::Blur => run_blur(&ctx, opts.mode, &mut notes)?,
        Workload::Formulas => run_formulas(&ctx, opts.mode)?,
        Workload::Stencils => stencils::run(&ctx, opts.mode)?,
    };
    Ok((runs, notes))
}

/// Whether the C contenders run (built by build.rs).
fn with_c() -> bool {
    c_peers::available().is_ok()
}

pub(super) struct Ctx<'a> {
    pub pools: &'a [Pool],
    pub rayon: &'a rayon::ThreadPool,
    pub max_threads: usize,
    pub budget: Budget,
    pub bw: &'a Bandwidth,
}

pub(super) fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}

/// Turns one interleaved sampling into measurements, in contender order.
pub(super) fn measurements(
    workload: &'static str,
    size: &str,
    size_value: f64,
    floor_secs: Option<f64>,
    names: &[(&'static str, usize)],
    samples: Vec<super::timing::Samples>,
) -> Vec<Measurement> {
    names
        .iter()
        .zip(samples)
        .map(|(&(contender, threads), samples)| Measurement {
            workload,
            size: size.to_string(),
            size_value,
            contender,
            threads,
            samples,
            floor_secs,
        })
        .collect()
}

fn run_fill(ctx: &Ctx, mode: Mode) -> Result<Vec<Measurement>, String> {
    // (label, N = M, n = m, (l, u), (λ, μ))
    let tiny = (
        "tiny",
        8usize,
        3usize,
        6usize,
        3usize,
        (1isize, 2isize),
        (0isize, 1isize),
    );
    let ns: &[usize] = match mode {
        Mode::Quick => &[10, 50],
        Mode::Default => &[10, 50, 100, 200, 500],
        Mode::Full => &[10, 50, 100, 150, 200, 300, 500],
    };
    let mut cases = vec![tiny];
    cases.extend(ns.iter().map(|&n| ("", n, 500, n, 500, (1, 2), (2, 1))));
    let bar = progress(cases.len(), "fill");
    let mut out = Vec::new();
    for (label, nb, n, mb, m, (l, u), (lam, mu)) in cases {
        let size = if label.is_empty() {
            format!("N=M={nb}")
        } else {
            format!("{label} (N={nb},M={mb})")
        };
        bar.set_message(size.clone());
        let sizes = fill::BandedBlockBandedSizes::new(&vec![n; nb], &vec![m; mb], l, u, lam, mu)
            .map_err(|e| format!("fill {size}: {e}"))?;
        let entries = sizes.stored_entries();
        let zeros = || {
            fill::BandedBlockBandedMatrix::<f64>::zeros(sizes.clone())
                .map_err(|e| format!("fill {size}: {e}"))
        };
        // Check every contender once against the serial reference.
        let mut reference = zeros()?;
        fill::simplefill_serial(&mut reference);
        let mut mats: Vec<_> = (0..ctx.pools.len() + 1)
            .map(|_| zeros())
            .collect::<Result<_, _>>()?;
        for (pool, mat) in ctx.pools.iter().zip(&mut mats) {
            fill::simplefill(pool, mat);
            if mat.storage() != reference.storage() {
                return Err(format!(
                    "fill {size}: accel with {} threads differs from the serial reference",
                    pool.num_threads()
                ));
            }
        }
        let (rayon_mat, accel_mats) = mats.split_last_mut().expect("one matrix per contender");
        let mut rayon_store = rayon_mat.storage().to_vec();
        ctx.rayon
            .install(|| peers::simplefill(&sizes, &mut rayon_store));
        if rayon_store != reference.storage() {
            return Err(format!(
                "fill {size}: the rayon version differs from the serial reference"
            ));
        }
        let c_fill = with_c().then(|| c_peers::FillSegments::new(&sizes));
        let mut c_store = vec![0.0; reference.storage().len()];
        if let Some(segs) = &c_fill {
            segs.fill(&mut c_store, ctx.max_threads);
            if c_store != reference.storage() {
                return Err(format!(
                    "fill {size}: the C version differs from the serial reference"
                ));
            }
        }
        let mut names = vec![("serial", 1)];
        let mut runs: Vec<Box<dyn FnMut() + '_>> =
            vec![Box::new(|| fill::simplefill_serial(&mut reference))];
        for (pool, mat) in ctx.pools.iter().zip(accel_mats.iter_mut()) {
            names.push(("accel", pool.num_threads()));
            runs.push(Box::new(move || fill::simplefill(pool, mat)));
        }
        names.push(("rayon", ctx.max_threads));
        runs.push(Box::new(|| {
            ctx.rayon
                .install(|| peers::simplefill(&sizes, &mut rayon_store))
        }));
        if let Some(segs) = &c_fill {
            names.push((c_peers::Flavour::Strict.contender(), ctx.max_threads));
            runs.push(Box::new(|| segs.fill(&mut c_store, ctx.max_threads)));
        }
        let samples = interleaved_boxed(&mut runs, ctx.budget);
        let floor = entries as f64 * 8.0 / (ctx.bw.write * 1e9);
        out.extend(measurements(
            "fill",
            &size,
            nb as f64 * if label.is_empty() { 1.0 } else { 0.0 },
            Some(floor),
            &names,
            samples,
        ));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(out)
}

fn run_blackscholes(
    ctx: &Ctx,
    mode: Mode,
    notes: &mut Vec<String>,
) -> Result<Vec<Measurement>, String> {
    let sizes: &[usize] = match mode {
        Mode::Quick => &[1_000_000],
        Mode::Default => &[10_000_000],
        Mode::Full => &[10_000_000, 40_000_000, 100_000_000],
    };
    let bar = progress(sizes.len(), "blackscholes");
    let mut out = Vec::new();
    for &n in sizes {
        let size = format!("{}M options", n / 1_000_000);
        bar.set_message(size.clone());
        let batch = blackscholes::OptionBatch::seed(n);
        let mut put = vec![0.0f64; n];
        blackscholes::price_serial(&batch, &mut put)
            .map_err(|e| format!("blackscholes {size}: {e}"))?;
        let serial_sum: f64 = put.iter().sum();
        let expected = match n {
            10_000_000 => blackscholes::SEED_CHECKSUM_10M,
            40_000_000 => blackscholes::SEED_CHECKSUM_40M,
            _ => serial_sum,
        };
        let check = |who: &str, sum: f64| {
            let rel = ((sum - expected) / expected).abs();
            if rel <= 1e-12 {
                Ok(())
            } else {
                Err(format!(
                    "blackscholes {size}: {who} checksum {sum:.17e} differs from {expected:.17e} (relative {rel:.1e} > 1e-12)"
                ))
            }
        };
        check("serial", serial_sum)?;
        for pool in ctx.pools {
            let mut p = vec![0.0; n];
            blackscholes::price(pool, &batch, &mut p)
                .map_err(|e| format!("blackscholes {size}: {e}"))?;
            check(&format!("accel ×{}", pool.num_threads()), p.iter().sum())?;
        }
        // The same put as a program built at run time (array at a time, then
        // fused by the passes), run by the pool on the same SIMD path: the graph
        // path next to the staged formula.
        let plan = blackscholes::program(n)
            .and_then(|p| Plan::<f64>::compile(&p))
            .map_err(|e| format!("blackscholes {size}: the program: {e}"))?;
        let widest = ctx.pools.last().ok_or("no pool to run")?;
        let mut graph_put = vec![0.0; n];
        let graph_run = |out: &mut [f64]| {
            widest
                .run_plan(&plan, &batch.columns(0..n), &mut [out])
                .map(|sums| sums[0])
        };
        let graph_sum =
            graph_run(&mut graph_put).map_err(|e| format!("blackscholes {size}: {e}"))?;
        check("accel graph", graph_sum)?;
        let mut rayon_put = vec![0.0; n];
        let rayon_run = |out: &mut [f64]| {
            ctx.rayon.install(|| {
                peers::blackscholes_put(
                    &batch.spt,
                    &batch.strike,
                    &batch.rate,
                    &batch.vol,
                    &batch.time,
                    out,
                )
            })
        };
        rayon_run(&mut rayon_put);
        check("rayon", rayon_put.iter().sum())?;
        check("naive", blackscholes::price_naive(&batch).iter().sum())?;
        let columns = batch.columns(0..n);
        let flavours: &[c_peers::Flavour] = if with_c() {
            c_peers::Flavour::built()
        } else {
            &[]
        };
        let mut c_bufs: Vec<Vec<f64>> = Vec::new();
        for &flavour in flavours {
            let mut buf = vec![0.0; n];
            c_peers::blackscholes(flavour, columns, &mut buf, ctx.max_threads);
            check(flavour.contender(), buf.iter().sum())?;
            // Its accuracy against the strict serial reference (`put`).
            let worst = buf
                .iter()
                .zip(&put)
                .map(|(a, b)| ((a - b) / b).abs())
                .fold(0.0, f64::max);
            notes.push(format!(
                "Black-Scholes {size}: {} (gcc {}) is within {worst:.1e} relative of the strict \
                 reference.",
                flavour.contender(),
                flavour.flags(),
            ));
            c_bufs.push(buf);
        }

        let mut bufs: Vec<Vec<f64>> = ctx.pools.iter().map(|_| vec![0.0; n]).collect();
        let mut names = vec![("serial", 1)];
        let mut runs: Vec<Box<dyn FnMut() + '_>> = vec![Box::new(|| {
            blackscholes::price_serial(&batch, &mut put).expect("checked above");
        })];
        for (pool, buf) in ctx.pools.iter().zip(bufs.iter_mut()) {
            names.push(("accel", pool.num_threads()));
            let batch = &batch;
            runs.push(Box::new(move || {
                blackscholes::price(pool, batch, buf).expect("checked above")
            }));
        }
        names.push(("accel graph", widest.num_threads()));
        runs.push(Box::new(|| {
            graph_run(&mut graph_put).expect("checked above");
        }));
        names.push(("rayon", ctx.max_threads));
        runs.push(Box::new(|| rayon_run(&mut rayon_put)));
        names.push(("naive", 1));
        runs.push(Box::new(|| drop(blackscholes::price_naive(&batch))));
        for (&flavour, buf) in flavours.iter().zip(c_bufs.iter_mut()) {
            names.push((flavour.contender(), ctx.max_threads));
            runs.push(Box::new(move || {
                c_peers::blackscholes(flavour, columns, buf, ctx.max_threads)
            }));
        }
        let samples = interleaved_boxed(&mut runs, ctx.budget);
        // 5 input streams + 1 output stream of f64 per option (ARCHITECTURE.md §6).
        let floor = 48.0 * n as f64 / (ctx.bw.triad * 1e9);
        out.extend(measurements(
            "blackscholes",
            &size,
            n as f64,
            Some(floor),
            &names,
            samples,
        ));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(out)
}

/// A deterministic test image in 0..1: smooth gradients plus hashed noise, so the
/// stencil sees realistic, non-periodic data.
pub(super) fn test_image(width: usize, height: usize) -> Vec<f32> {
    (0..width * height)
        .map(|i| {
            let (x, y) = ((i % width) as f32, (i / width) as f32);
            let mut h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            h ^= h >> 29;
            let noise = (h % 1000) as f32 / 1000.0;
            0.5 * (x / width as f32 * (y / height as f32)) + 0.5 * noise
        })
        .collect()
}

fn run_blur(ctx: &Ctx, mode: Mode, notes: &mut Vec<String>) -> Result<Vec<Measurement>, String> {
    let cases: &[(usize, usize, usize)] = match mode {
        Mode::Quick => &[(256, 256, 10)],
        Mode::Default => &[(2048, 1536, 50)],
        Mode::Full => &[(7095, 5322, 100)],
    };
    let weights = accel_core::ir::stencil::GAUSSIAN_5X5;
    let bar = progress(cases.len(), "blur");
    let mut out = Vec::new();
    for &(w, h, iters) in cases {
        let size = format!("{w}×{h}×{iters} it");
        bar.set_message(size.clone());
        let input = test_image(w, h);
        let opts = blur::Blur::gaussian().iterations(iters);
        let mut reference = input.clone();
        opts.run_serial(&mut reference, Shape::new(w, h))
            .map_err(|e| format!("blur {size}: {e}"))?;
        for pool in ctx.pools {
            let mut p = input.clone();
            opts.run(pool, &mut [&mut p], Shape::new(w, h))
                .map_err(|e| format!("blur {size}: {e}"))?;
            if p != reference {
                return Err(format!(
                    "blur {size}: accel with {} threads is not bit-identical to the serial reference",
                    pool.num_threads()
                ));
            }
        }
        let mut rayon_img = input.clone();
        ctx.rayon
            .install(|| peers::blur(&mut rayon_img, w, h, iters, &weights));
        let worst = rayon_img
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        if worst > 1e-5 {
            return Err(format!(
                "blur {size}: the rayon version differs from the reference by {worst:e} (> 1e-5)"
            ));
        }
        let mut c_img = input.clone();
        let mut c_tmp = input.clone();
        if with_c() {
            c_peers::blur(
                &mut c_img,
                &mut c_tmp,
                (w, h),
                iters,
                &weights,
                ctx.max_threads,
            );
            let worst = c_img
                .iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            if worst > 1e-5 {
                return Err(format!(
                    "blur {size}: the C version differs from the reference by {worst:e} (> 1e-5)"
                ));
            }
            notes.push(format!(
                "blur {size}: C OpenMP is within {worst:.1e} of the serial reference (its sums \
                 run in another order)."
            ));
        }
        let mut bufs: Vec<Vec<f32>> = ctx.pools.iter().map(|_| input.clone()).collect();
        let mut names = vec![("serial", 1)];
        let mut img = input.clone();
        let mut runs: Vec<Box<dyn FnMut() + '_>> = vec![Box::new(|| {
            img.copy_from_slice(&input);
            opts.run_serial(&mut img, Shape::new(w, h))
                .expect("checked above");
        })];
        for (pool, buf) in ctx.pools.iter().zip(bufs.iter_mut()) {
            names.push(("accel", pool.num_threads()));
            let (input, opts) = (&input, &opts);
            runs.push(Box::new(move || {
                buf.copy_from_slice(input);
                opts.run(pool, &mut [buf], Shape::new(w, h))
                    .expect("checked above");
            }));
        }
        names.push(("rayon", ctx.max_threads));
        runs.push(Box::new(|| {
            rayon_img.copy_from_slice(&input);
            ctx.rayon
                .install(|| peers::blur(&mut rayon_img, w, h, iters, &weights));
        }));
        if with_c() {
            names.push((c_peers::Flavour::Strict.contender(), ctx.max_threads));
            runs.push(Box::new(|| {
                c_img.copy_from_slice(&input);
                c_peers::blur(
                    &mut c_img,
                    &mut c_tmp,
                    (w, h),
                    iters,
                    &weights,
                    ctx.max_threads,
                );
            }));
        }
        let samples = interleaved_boxed(&mut runs, ctx.budget);
        // One read and one write of 4 B per pixel per iteration.
        let floor = 8.0 * (w * h * iters) as f64 / (ctx.bw.copy * 1e9);
        out.extend(measurements(
            "blur",
            &size,
            (w * h) as f64,
            Some(floor),
            &names,
            samples,
        ));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(out)
}

/// The contender name of [`hand_lanes`]' loops.
const HAND: &str = "AVX2 by hand";

/// The thread counts of the hand-written AVX2 rows: one and the most, where
/// the AVX2 path exists (none elsewhere).
fn hand_thread_counts(ctx: &Ctx) -> Vec<usize> {
    if !hand_lanes::available() {
        return Vec::new();
    }
    let mut counts = vec![1, ctx.max_threads];
    counts.dedup();
    counts
}

/// The formulas of accel-pool's examples, shared as source.
#[path = "../../../pool/examples/shared/formulas.rs"]
mod user_formulas;

/// A user's formulas through `Pool::map_formula` / `Pool::sum_formula`, against
/// the plain loop and rayon: the comprehension `avg` (writes one array) and the
/// `exp`·`sqrt` sum (reads three, writes nothing).
fn run_formulas(ctx: &Ctx, mode: Mode) -> Result<Vec<Measurement>, String> {
    use rayon::prelude::*;
    use user_formulas::{Avg, Bump, avg_plain, bump_plain};
    let (avg_n, sum_n) = match mode {
        Mode::Quick => (1_000_000, 1_000_000),
        Mode::Default => (20_000_000, 10_000_000),
        Mode::Full => (50_000_000, 20_000_000),
    };
    let bar = progress(2, "formulas");
    let mut out = Vec::new();

    // avg over n f64: reads x, writes n − 2 values.
    let size = format!("avg {}M f64", avg_n / 1_000_000);
    bar.set_message(size.clone());
    let x: Vec<f64> = (0..avg_n)
        .map(|i| ((i * 7919) % 1000) as f64 * 1e-3)
        .collect();
    let views = [&x[..avg_n - 2], &x[1..avg_n - 1], &x[2..]];
    let mut want = vec![0.0; avg_n - 2];
    avg_plain(&x, &mut want);
    let mut bufs: Vec<Vec<f64>> = ctx.pools.iter().map(|_| vec![0.0; avg_n - 2]).collect();
    for (pool, buf) in ctx.pools.iter().zip(bufs.iter_mut()) {
        pool.map_formula(views, buf, &Avg)
            .map_err(|e| format!("formulas {size}: {e}"))?;
        if buf
            .iter()
            .zip(&want)
            .any(|(a, b)| a.to_bits() != b.to_bits())
        {
            return Err(format!(
                "formulas {size}: accel with {} threads differs from the plain loop",
                pool.num_threads()
            ));
        }
    }
    let rayon_avg = |out: &mut [f64]| {
        ctx.rayon.install(|| {
            out.par_chunks_mut(1 << 14).enumerate().for_each(|(c, o)| {
                avg_plain(&x[c << 14..(c << 14) + o.len() + 2], o);
            })
        })
    };
    let mut rayon_out = vec![0.0; avg_n - 2];
    rayon_avg(&mut rayon_out);
    if rayon_out != want {
        return Err(format!("formulas {size}: the rayon version differs"));
    }
    let hand_threads = hand_thread_counts(ctx);
    let mut hand_out = vec![0.0; avg_n - 2];
    for &t in &hand_threads {
        hand_lanes::avg(ctx.rayon, t, &x, &mut hand_out);
        if hand_out != want {
            return Err(format!(
                "formulas {size}: the hand-written AVX2 loop differs"
            ));
        }
    }
    // One output buffer for both rows: the contenders run one at a time.
    let hand_out = std::cell::RefCell::new(hand_out);
    let mut names = vec![("serial", 1)];
    let mut runs: Vec<Box<dyn FnMut() + '_>> = vec![Box::new(|| avg_plain(&x, &mut want))];
    for (pool, buf) in ctx.pools.iter().zip(bufs.iter_mut()) {
        names.push(("accel", pool.num_threads()));
        runs.push(Box::new(move || {
            pool.map_formula(views, buf, &Avg).expect("checked above")
        }));
    }
    names.push(("rayon", ctx.max_threads));
    runs.push(Box::new(|| rayon_avg(&mut rayon_out)));
    for &t in &hand_threads {
        names.push((HAND, t));
        let (x, hand_out) = (&x, &hand_out);
        runs.push(Box::new(move || {
            hand_lanes::avg(ctx.rayon, t, x, &mut hand_out.borrow_mut())
        }));
    }
    let samples = interleaved_boxed(&mut runs, ctx.budget);
    // One read and one write of 8 B per element (the shifted reads hit the cache).
    let floor = 16.0 * avg_n as f64 / (ctx.bw.copy * 1e9);
    out.extend(measurements(
        "formulas",
        &size,
        avg_n as f64,
        Some(floor),
        &names,
        samples,
    ));
    bar.inc(1);

    // sum(exp(−a²/2)·sqrt(b²+c)) over n triples: reads three arrays.
    let size = format!("exp·sqrt sum {}M", sum_n / 1_000_000);
    bar.set_message(size.clone());
    let col = |k: usize| -> Vec<f64> {
        (0..sum_n)
            .map(|i| ((i * (31 + k)) % 4096) as f64 / 1024.0)
            .collect()
    };
    let (a, b, c) = (col(0), col(1), col(2));
    let ins = [&a[..], &b[..], &c[..]];
    let plain_sum = || -> f64 { (0..sum_n).map(|i| bump_plain(a[i], b[i], c[i])).sum() };
    let want = plain_sum();
    let mut first: Option<f64> = None;
    for pool in ctx.pools {
        let got = pool
            .sum_formula(ins, &Bump)
            .map_err(|e| format!("formulas {size}: {e}"))?;
        // Millions of terms summed in another order: n·ε of rounding each.
        if ((got - want) / want).abs() > 1e-10
            || first.is_some_and(|f| f.to_bits() != got.to_bits())
        {
            return Err(format!(
                "formulas {size}: accel with {} threads gives {got:e} (plain loop {want:e}; \
                 every thread count must give the same bits)",
                pool.num_threads()
            ));
        }
        first = Some(got);
    }
    let rayon_sum = || -> f64 {
        ctx.rayon.install(|| {
            (0..sum_n)
                .into_par_iter()
                .map(|i| bump_plain(a[i], b[i], c[i]))
                .sum()
        })
    };
    if ((rayon_sum() - want) / want).abs() > 1e-10 {
        return Err(format!("formulas {size}: the rayon sum differs"));
    }
    let mut names = vec![("serial", 1)];
    let mut runs: Vec<Box<dyn FnMut() + '_>> = vec![Box::new(|| {
        std::hint::black_box(plain_sum());
    })];
    for pool in ctx.pools {
        names.push(("accel", pool.num_threads()));
        runs.push(Box::new(move || {
            std::hint::black_box(pool.sum_formula(ins, &Bump).expect("checked above"));
        }));
    }
    names.push(("rayon", ctx.max_threads));
    runs.push(Box::new(|| {
        std::hint::black_box(rayon_sum());
    }));
    for t in hand_thread_counts(ctx) {
        let got = hand_lanes::bump_sum(ctx.rayon, t, &a, &b, &c);
        if ((got - want) / want).abs() > 1e-10 {
            return Err(format!(
                "formulas {size}: the hand-written AVX2 sum differs"
            ));
        }
        names.push((HAND, t));
        let (a, b, c) = (&a, &b, &c);
        runs.push(Box::new(move || {
            std::hint::black_box(hand_lanes::bump_sum(ctx.rayon, t, a, b, c));
        }));
    }
    let samples = interleaved_boxed(&mut runs, ctx.budget);
    let floor = 24.0 * sum_n as f64 / (ctx.bw.copy * 1e9);
    out.extend(measurements(
        "formulas",
        &size,
        sum_n as f64,
        Some(floor),
        &names,
        samples,
    ));
    bar.inc(1);
    bar.finish_and_clear();
    Ok(out)
}
