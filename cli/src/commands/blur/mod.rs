//! `accel blur`: read images, blur each channel plane, write them back atomically.
//!
//! [`jobs`] turns the command line into a list of input → output jobs; each is
//! run in turn by [`blur_file`], under one progress bar. The order within a job
//! matters for the user contract: everything that can be refused cheaply (output
//! format, input existence, output directory) is refused before the input is
//! decoded, and the colour type (after any `--flatten` / `--depth` conversion) is
//! checked against the output format before the kernel runs, so a failure never
//! costs the user the blur time and never leaves a partial file behind. With
//! several inputs, a failed file is reported and the run goes on with the next.

mod jobs;
#[cfg(feature = "mpi")]
mod ranks;

use std::io::Write;
use std::time::Instant;

use accel_core::simd::SimdPath;
use accel_kernels::blur::{Blur, BlurSample};

use crate::args::BlurArgs;
use crate::convert::Conversions;
use crate::engine::{self, Engine};
use crate::error::{Error, describe_io, one_line};
use crate::formats::{self, FileFormat};
use crate::group::Group;
use crate::image_file::{EncodeOptions, ImageKind};
use crate::input::{Input, is_stdio};
use crate::memory;
use crate::output::Destination;
use crate::progress::{FileSlot, RunProgress};
use crate::raster::{Layout, Planes, Raster, SampleType};
use crate::report::{self, Comparison, ErrorStats};

use jobs::Job;

/// Relative accuracy the parallel blur must reach against the serial reference,
/// scaled by the largest magnitude in the input plane (ARCHITECTURE.md §5.3 allows 1e-5 on
/// a 0..1 image against a float64 reference, after 100 iterations).
pub const BLUR_TOLERANCE: f64 = 1e-5;

/// Prints `accel: warning: …` on stderr, with the progress bar out of the way.
fn warn(progress: &RunProgress, message: &str) {
    progress.suspend(|| eprintln!("accel: warning: {}", one_line(message)));
}

/// Says on stderr when the input's ICC colour profile cannot travel to the
/// output's format (the pixels are still written).
fn warn_if_profile_dropped(raster: &Raster, job: &Job, args: &BlurArgs, progress: &RunProgress) {
    let keeps = match job.format {
        FileFormat::Image(kind) => crate::image_file::keeps_icc_profile(kind, encode_options(args)),
        FileFormat::Npy => false,
    };
    if raster.icc_profile.is_some() && !keeps {
        warn(
            progress,
            &format!(
                "the ICC colour profile of '{}' is not kept: {} output cannot carry one here \
                 (PNG, JPEG and lossless WebP can)",
                job.input.display(),
                job.format.name()
            ),
        );
    }
}

/// The kernels' blur for `args`.
fn options(args: &BlurArgs) -> Blur<'static> {
    engine::blur_options(args.iters, args.boundary, args.normalize)
}

/// The encoder's options for `args`.
fn encode_options(args: &BlurArgs) -> EncodeOptions {
    EncodeOptions {
        quality: args.quality,
    }
}

/// The conversions `args` asks for.
fn conversions(args: &BlurArgs) -> Conversions {
    Conversions {
        flatten: args.flatten,
        depth: args.depth,
    }
}

/// Runs `accel blur`.
pub fn run(args: &BlurArgs, group: &Group) -> Result<(), Error> {
    // The team first: a refused --threads is a usage error, before any file is touched.
    let engine = group.agree(Engine::new(&args.pool))?;
    // A bad ACCEL_SIMD is a usage error before any file is touched.
    group.agree(engine::active_simd())?;
    #[cfg(feature = "mpi")]
    if let Some(ranks) = group.ranks() {
        return ranks::run(args, group, ranks, &engine);
    }
    run_jobs(args, group, &engine)
}

/// Runs every job of the command line: alone, or on rank 0 of an MPI job
/// whose other ranks take part in each kernel call (see `ranks`).
fn run_jobs(args: &BlurArgs, group: &Group, engine: &Engine) -> Result<(), Error> {
    let jobs = jobs::jobs(args)?;
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::output(
                dir,
                format!("cannot create the directory: {}", describe_io(&e)),
            )
        })?;
    }
    let progress = RunProgress::new(jobs.len(), args.iters, showing(args));
    if jobs.len() == 1 {
        let report = blur_file(&jobs[0], 0, args, engine, group, &progress)?;
        drop(progress);
        return report.emit(&jobs[0], args);
    }
    let mut first_failure: Option<Error> = None;
    let mut failed = 0;
    for (index, job) in jobs.iter().enumerate() {
        let result = blur_file(job, index, args, engine, group, &progress);
        progress.finish_file(index);
        match result {
            Ok(report) => progress.suspend(|| report.emit(job, args))?,
            Err(e) => {
                progress.suspend(|| eprintln!("accel: error: {}", one_line(&e.to_string())));
                failed += 1;
                first_failure.get_or_insert(e);
            }
        }
    }
    match first_failure {
        None => Ok(()),
        Some(first) => Err(Error::Batch {
            failed,
            total: jobs.len(),
            code: first.exit_code(),
        }),
    }
}

/// What one file's run did, for its summary.
struct FileReport {
    raster: Raster,
    /// The input's layout, before `--flatten` or `--depth`.
    input_layout: Layout,
    blurred: Blurred,
    team: Team,
    phases: Phases,
    to_stdout: bool,
}

/// Who ran the kernel, for the report.
struct Team {
    /// "4 ranks × 2 threads, pinned …".
    description: String,
    /// Ranks of the MPI job (1 alone).
    ranks: usize,
    /// Threads per rank.
    threads: usize,
    pinned: bool,
    pinning: String,
    simd: SimdPath,
}

impl Team {
    fn of(engine: &Engine, group: &Group) -> Self {
        Team {
            description: format!("{}{}", group.summary_prefix(), engine.team()),
            ranks: group.size(),
            threads: engine.threads(),
            pinned: engine.pinned(),
            pinning: engine.pinning(),
            simd: SimdPath::active(),
        }
    }
}

/// Reads, blurs, converts and writes one job's file.
fn blur_file(
    job: &Job,
    index: usize,
    args: &BlurArgs,
    engine: &Engine,
    group: &Group,
    progress: &RunProgress,
) -> Result<FileReport, Error> {
    let started = Instant::now();
    // Standard output is checked first: a terminal is refused before stdin is read.
    let early = is_stdio(&job.output)
        .then(|| Destination::check(&job.output))
        .transpose()?;
    let input = Input::open(&job.input)?;
    // Checked now, created only when the result is ready: a run killed while it
    // decodes or blurs leaves no file behind.
    let destination = match early {
        Some(d) => d,
        None => Destination::check(&job.output)?,
    };
    progress.phase(index, &format!("decoding {}", job.input.display()));
    let decode_start = Instant::now();
    let (mut raster, in_format, warnings) = formats::read(&input, args.max_pixels)?;
    let decode_seconds = decode_start.elapsed().as_secs_f64();
    for warning in warnings {
        warn(
            progress,
            &format!("input '{}' {warning}", job.input.display()),
        );
    }
    if !raster.layout.alpha {
        let unused = [
            ("--no-alpha", args.no_alpha),
            ("--flatten", args.flatten.is_some()),
        ];
        for (option, _) in unused.iter().filter(|(_, given)| *given) {
            warn(
                progress,
                &format!(
                    "{option}: '{}' ({}) has no alpha channel; the option changes nothing",
                    job.input.display(),
                    raster.layout
                ),
            );
        }
    }
    let conversions = conversions(args);
    formats::check_writable(&conversions.layout(raster.layout), job.format, &job.output)?;
    warn_if_profile_dropped(&raster, job, args, progress);
    check_plane_size(&raster, job, args)?;

    let blurred = blur_planes(&mut raster, index, args, engine, group, progress)?;
    let input_layout = raster.layout;
    let converted = conversions.layout(raster.layout) != raster.layout;
    conversions.apply(&mut raster);

    // JPEG is the one format whose re-encoding changes pixels, so an unchanged JPEG
    // written as JPEG is copied byte for byte; everything else is re-encoded exactly.
    let jpeg = FileFormat::Image(ImageKind::Jpeg);
    let copy_bytes = args.iters == 0
        && in_format == jpeg
        && job.format == jpeg
        && !converted
        && args.quality.is_none();
    progress.phase(index, &format!("writing {}", job.output.display()));
    let encode_start = Instant::now();
    let to_stdout = destination.is_stdout();
    destination.write(&job.output, |sink| {
        if copy_bytes {
            let bytes = input.bytes().map_err(|e| describe_io(&e))?;
            sink.write_all(&bytes).map_err(|e| describe_io(&e))
        } else {
            formats::write(&raster, job.format, encode_options(args), sink)
        }
    })?;
    let encode_seconds = encode_start.elapsed().as_secs_f64();
    Ok(FileReport {
        raster,
        input_layout,
        blurred,
        team: Team::of(engine, group),
        phases: Phases {
            decode: decode_seconds,
            encode: encode_seconds,
            total: started.elapsed().as_secs_f64(),
        },
        to_stdout,
    })
}

impl FileReport {
    /// Prints the summary line (or JSON object) of `job`: on stdout, or on
    /// stderr when the image itself went to stdout.
    fn emit(&self, job: &Job, args: &BlurArgs) -> Result<(), Error> {
        if args.quiet && !args.report.json {
            return Ok(());
        }
        let text = if args.report.json {
            self.json(job, args).to_string()
        } else {
            self.line(job, args)
        };
        if self.to_stdout {
            eprintln!("{text}");
            return Ok(());
        }
        report::emit_after_output(&text, &job.output)
    }

    fn json(&self, job: &Job, args: &BlurArgs) -> serde_json::Value {
        let (raster, blurred, phases) = (&self.raster, &self.blurred, &self.phases);
        let plane_pixels = (raster.width * raster.height * blurred.planes) as f64;
        let throughput = plane_pixels * args.iters as f64 / blurred.seconds;
        let mut json = serde_json::json!({
            "workload": "blur",
            "input": job.input.display().to_string(),
            "output": job.output.display().to_string(),
            "format": job.format.name(),
            "width": raster.width,
            "height": raster.height,
            "channels": raster.layout.channels,
            "blurred_channels": blurred.planes,
            "colour": raster.layout.to_string(),
            "input_colour": self.input_layout.to_string(),
            "iters": args.iters,
            "boundary": args.boundary.name(),
            "precision": blurred.precision,
            "normalized_weights": args.normalize,
            "alpha": blurred.alpha_mode,
            "threads": self.team.threads,
            "ranks": self.team.ranks,
            "threads_per_rank": self.team.threads,
            "pinned": self.team.pinned,
            "pinning": self.team.pinning,
            "simd": self.team.simd.name(),
            "seconds": blurred.seconds,
            "decode_seconds": phases.decode,
            "encode_seconds": phases.encode,
            "total_seconds": phases.total,
            "gpixel_iters_per_second": report::finite_or_null(throughput / 1e9),
        });
        if let Some(c) = &blurred.comparison {
            c.add_to(&mut json);
        }
        if let (Some(rank_run), Some(obj)) = (&blurred.rank_run, json.as_object_mut()) {
            obj.insert("passes".into(), rank_run.passes.into());
            obj.insert("pass_iterations".into(), rank_run.pass_iterations.into());
            obj.insert("halo_rows".into(), rank_run.halo_rows.into());
            obj.insert(
                "halo_bytes_per_pass".into(),
                rank_run.halo_bytes_per_pass.into(),
            );
        }
        json
    }

    fn line(&self, job: &Job, args: &BlurArgs) -> String {
        let (raster, blurred, phases) = (&self.raster, &self.blurred, &self.phases);
        let channels = raster.layout.channels;
        let plane_pixels = (raster.width * raster.height * blurred.planes) as f64;
        let throughput = plane_pixels * args.iters as f64 / blurred.seconds;
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let converted = if self.input_layout == raster.layout {
            String::new()
        } else {
            format!(" (converted from {})", self.input_layout)
        };
        let mut line = format!(
            "blur {} ({}): {}×{} {}{converted}, {channels} channel{}{}, ",
            job.output.display(),
            job.format.name(),
            raster.width,
            raster.height,
            raster.layout,
            plural(channels),
            if blurred.planes < blurred.channels {
                " (alpha untouched)"
            } else {
                ""
            },
        );
        if let Some(mode) = blurred.alpha_mode.filter(|_| args.iters > 0) {
            line.push_str(&format!("{mode} alpha, "));
        }
        if args.iters == 0 {
            line.push_str("0 iterations (copied through unchanged)");
        } else if raster.width == 0 || raster.height == 0 || channels == 0 {
            line.push_str("empty: nothing to blur (copied through unchanged)");
        } else {
            line.push_str(&format!(
                "{} iteration{}, boundary {}{}{}, {}; kernel {}, {}",
                args.iters,
                plural(args.iters),
                args.boundary.name(),
                if args.normalize {
                    ", normalized weights"
                } else {
                    ""
                },
                if blurred.precision == "f64" {
                    ", computed in f64"
                } else {
                    ""
                },
                self.team.description,
                report::seconds(blurred.seconds),
                report::rate(throughput, "pixel·iter/s"),
            ));
        }
        line.push_str(&format!(
            "; decode {}, encode {}, total {}",
            report::seconds(phases.decode),
            report::seconds(phases.encode),
            report::seconds(phases.total)
        ));
        if let Some(c) = &blurred.comparison {
            line.push_str("; ");
            line.push_str(&c.summary());
        }
        line
    }
}

/// Wall-clock seconds of the phases around the kernel: decoding the input,
/// encoding and writing the output, and the whole run.
struct Phases {
    decode: f64,
    encode: f64,
    total: f64,
}

/// Whether progress is shown: not with `--quiet` or `--json`.
fn showing(args: &BlurArgs) -> bool {
    !args.quiet && !args.report.json
}

/// Checks, before any work, that the blur takes planes of this image (the
/// kernels' own rule, `Blur::check`), naming the file if it does not. Any
/// non-empty image passes today, a thin one under `wrap` included (it is read
/// periodically); what is left is a size whose arithmetic overflows. Nothing is
/// checked when nothing will be blurred (no iterations, no channels, an empty
/// image: those are copied through).
fn check_plane_size(raster: &Raster, job: &Job, args: &BlurArgs) -> Result<(), Error> {
    let (w, h) = (raster.width, raster.height);
    if args.iters == 0 || raster.layout.channels == 0 || w == 0 || h == 0 {
        return Ok(());
    }
    Engine::check_blur_plane(w, h, &options(args))
        .map_err(|e| Error::input(&job.input, format!("cannot blur a {w}×{h} image: {e}")))
}

/// What the blur step did.
struct Blurred {
    /// Number of planes blurred (alpha may be left out).
    planes: usize,
    /// Number of planes the input had.
    channels: usize,
    /// How the colours of an image with alpha were blurred, for the report.
    alpha_mode: Option<&'static str>,
    /// The element type the kernel computed in: `f64` for float64 data,
    /// `f32` otherwise.
    precision: &'static str,
    /// Kernel seconds (all planes run in one call).
    seconds: f64,
    /// The serial comparison, with `--compare`.
    comparison: Option<Comparison>,
    /// How the planes went over the ranks of an MPI job.
    rank_run: Option<RankRun>,
}

/// What a blur across MPI ranks did, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankRun {
    /// Exchanges of halos.
    pub passes: usize,
    /// Iterations one exchange covered (the first pass's).
    pub pass_iterations: usize,
    /// Halo depth, rows above and below each band.
    pub halo_rows: usize,
    /// Bytes every rank with two neighbours receives per pass, all planes.
    pub halo_bytes_per_pass: usize,
}

/// Blurs every plane that should be blurred in one kernel call (one team region
/// for all channels), timing only that call. With `--compare`, the serial
/// reference runs first on copies of the same planes.
fn blur_planes(
    raster: &mut Raster,
    index: usize,
    args: &BlurArgs,
    engine: &Engine,
    group: &Group,
    progress: &RunProgress,
) -> Result<Blurred, Error> {
    let (width, height) = (raster.width, raster.height);
    let count = if args.no_alpha && raster.layout.alpha {
        raster.planes.len() - 1
    } else {
        raster.planes.len()
    };
    let alpha_mode = alpha_mode(raster, args);
    let channels = raster.planes.len();
    let (precision, bytes_per_value) = match raster.planes {
        Planes::F32(_) => ("f32", 4),
        Planes::F64(_) => ("f64", 8),
    };
    if args.iters == 0 || count == 0 || width == 0 || height == 0 {
        return Ok(Blurred {
            planes: count,
            channels,
            alpha_mode,
            precision,
            seconds: 0.0,
            comparison: None,
            rank_run: None,
        });
    }
    if args.report.compare {
        // The references are kept until the kernel's result can be compared.
        let bytes = memory::product(&[
            width as u128,
            height as u128,
            count as u128,
            bytes_per_value,
        ]);
        memory::ensure_fits(bytes).map_err(|e| {
            Error::workload(
                "blur",
                format!("--compare: the serial reference copies {e}"),
            )
        })?;
    }
    // Tall, narrow images run as wide, short ones (see `ROW_TRANSPOSE_BELOW`).
    let transposed = transpose_if_narrow(raster);
    let (width, height) = (raster.width, raster.height);
    let premultiplied = premultiply(raster, args);
    // float64 data is blurred in f64 (core's formula lanes), everything else in
    // f32 (the symmetric Gaussian kernels).
    let ran = match &mut raster.planes {
        Planes::F32(planes) => blur_typed(
            &mut planes[..count],
            width,
            height,
            index,
            args,
            engine,
            group,
            progress,
        )?,
        Planes::F64(planes) => blur_typed(
            &mut planes[..count],
            width,
            height,
            index,
            args,
            engine,
            group,
            progress,
        )?,
    };
    if let Some(full) = premultiplied {
        unpremultiply(raster, full);
    }
    if transposed {
        transpose(raster);
    }
    Ok(Blurred {
        planes: count,
        channels,
        alpha_mode,
        precision: ran.precision,
        seconds: ran.seconds,
        comparison: ran.comparison,
        rank_run: ran.rank_run,
    })
}

/// What [`blur_typed`] did: the kernel's time and the comparison.
struct TypedRun {
    precision: &'static str,
    seconds: f64,
    comparison: Option<Comparison>,
    rank_run: Option<RankRun>,
}

/// Blurs `planes` (all of one element type) in one kernel call, timing only
/// that call; with `--compare`, the serial reference first runs on copies.
#[allow(clippy::too_many_arguments)]
fn blur_typed<T: RankSample>(
    planes: &mut [Vec<T>],
    width: usize,
    height: usize,
    index: usize,
    args: &BlurArgs,
    engine: &Engine,
    group: &Group,
    progress: &RunProgress,
) -> Result<TypedRun, Error> {
    let mut planes: Vec<&mut [T]> = planes.iter_mut().map(Vec::as_mut_slice).collect();
    let reference = if args.report.compare {
        Some(serial_reference(&planes, width, height, args)?)
    } else {
        None
    };
    let slot: FileSlot = progress.begin_blur(index, planes.len());
    let report_progress = |done: usize| progress.set(slot, done as u64);
    let start = Instant::now();
    let rank_run = blur_whole(
        engine,
        group,
        &mut planes,
        width,
        height,
        &options(args),
        &report_progress,
    )?;
    let seconds = start.elapsed().as_secs_f64();
    let comparison = match reference {
        Some(reference) => Some(compare(&planes, &reference, seconds)?),
        None => None,
    };
    Ok(TypedRun {
        precision: T::DTYPE.name(),
        seconds,
        comparison,
        rank_run,
    })
}

/// The plane types `accel blur` runs: [`BlurSample`]s that can also travel
/// between MPI ranks (with the `mpi` feature).
#[cfg(feature = "mpi")]
trait RankSample: BlurSample + mpi::datatype::Equivalence + Copy + Default {}
#[cfg(feature = "mpi")]
impl<T: BlurSample + mpi::datatype::Equivalence + Copy + Default> RankSample for T {}
/// The plane types `accel blur` runs.
#[cfg(not(feature = "mpi"))]
trait RankSample: BlurSample {}
#[cfg(not(feature = "mpi"))]
impl<T: BlurSample> RankSample for T {}

/// Blurs whole `width × height` planes in one kernel call: alone on this
/// process's pool; on rank 0 of an MPI job, spread over every rank in row
/// bands (the other ranks take part through `ranks::follow`).
fn blur_whole<T: RankSample>(
    engine: &Engine,
    group: &Group,
    planes: &mut [&mut [T]],
    width: usize,
    height: usize,
    blur: &Blur<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Option<RankRun>, Error> {
    #[cfg(feature = "mpi")]
    if let Some(ranks) = group.ranks() {
        return ranks::lead(ranks, engine, planes, width, height, blur, progress).map(Some);
    }
    let _ = group;
    engine
        .blur_planes(planes, width, height, blur, progress)
        .map(|()| None)
}

/// Images whose rows are shorter than this many pixels, and that are taller than
/// wide, are blurred transposed. The row kernels and the team's row bands pay a
/// fixed cost per row (its setup, its boundary columns, a barrier share), which
/// a row of a few pixels cannot amortise, while a short wide image pays it a few
/// times only. The Gaussian and every boundary mode are symmetric under
/// transposition, so the result is the same blur (its last bits may differ from
/// an untransposed run, as the sums are formed in another order; `--compare`
/// runs its reference on the same transposed planes).
const ROW_TRANSPOSE_BELOW: usize = 64;

/// Transposes `raster` if it is narrow and tall (see [`ROW_TRANSPOSE_BELOW`]);
/// returns whether it did.
fn transpose_if_narrow(raster: &mut Raster) -> bool {
    let narrow = raster.width < ROW_TRANSPOSE_BELOW && raster.height > raster.width;
    if narrow {
        transpose(raster);
    }
    narrow
}

/// Transposes every plane of `raster` and swaps its width and height.
fn transpose(raster: &mut Raster) {
    fn flip<T: Copy + Default>(plane: &[T], width: usize, height: usize) -> Vec<T> {
        let mut out = vec![T::default(); plane.len()];
        for (y, row) in plane.chunks_exact(width.max(1)).enumerate().take(height) {
            for (x, &v) in row.iter().enumerate() {
                out[x * height + y] = v;
            }
        }
        out
    }
    let (w, h) = (raster.width, raster.height);
    match &mut raster.planes {
        Planes::F32(planes) => planes.iter_mut().for_each(|p| *p = flip(p, w, h)),
        Planes::F64(planes) => planes.iter_mut().for_each(|p| *p = flip(p, w, h)),
    }
    raster.width = h;
    raster.height = w;
}

/// Multiplies the colour planes of an image with alpha by alpha (scaled to 0..1),
/// unless `--straight-alpha`: a transparent pixel then weighs nothing in its
/// neighbours' blur, whatever colour it stores. Returns the full-scale alpha value
/// when it did, for [`unpremultiply`].
fn premultiply(raster: &mut Raster, args: &BlurArgs) -> Option<f32> {
    if !raster.layout.alpha || args.straight_alpha || args.iters == 0 {
        return None;
    }
    let full = raster.layout.sample.full_scale();
    let Planes::F32(planes) = &mut raster.planes else {
        return None;
    };
    let (alpha, colours) = planes.split_last_mut()?;
    for plane in colours {
        for (c, &a) in plane.iter_mut().zip(alpha.iter()) {
            *c *= a / full;
        }
    }
    Some(full)
}

/// Undoes [`premultiply`] with the (blurred or kept) alpha plane: colour =
/// premultiplied colour ÷ alpha, 0 where alpha is 0; integer samples are clamped
/// to their type's range (rounding may push a colour a hair past it).
fn unpremultiply(raster: &mut Raster, full: f32) {
    let integer = matches!(raster.layout.sample, SampleType::U8 | SampleType::U16);
    let Planes::F32(planes) = &mut raster.planes else {
        return;
    };
    let Some((alpha, colours)) = planes.split_last_mut() else {
        return;
    };
    for plane in colours {
        for (c, &a) in plane.iter_mut().zip(alpha.iter()) {
            let straight = if a > 0.0 { *c * full / a } else { 0.0 };
            *c = if integer {
                straight.clamp(0.0, full)
            } else {
                straight
            };
        }
    }
}

/// How the colours of an image with alpha were blurred, for the report.
fn alpha_mode(raster: &Raster, args: &BlurArgs) -> Option<&'static str> {
    match (raster.layout.alpha, args.straight_alpha) {
        (false, _) => None,
        (true, true) => Some("straight"),
        (true, false) => Some("premultiplied"),
    }
}

/// The serial reference's result for each plane, and how long it took.
struct Reference<T> {
    planes: Vec<Vec<T>>,
    seconds: f64,
    /// Largest input magnitude (at least 1): the accuracy check's scale.
    scale: f64,
}

/// Runs the plain serial blur on a copy of every plane.
fn serial_reference<T: BlurSample>(
    planes: &[&mut [T]],
    width: usize,
    height: usize,
    args: &BlurArgs,
) -> Result<Reference<T>, Error> {
    let mut reference = Reference {
        planes: Vec::with_capacity(planes.len()),
        seconds: 0.0,
        scale: 1.0,
    };
    for plane in planes {
        let scale = plane.iter().fold(1.0f64, |m, &v| m.max(v.to_f64().abs()));
        reference.scale = reference.scale.max(scale);
        let mut copy = plane.to_vec();
        let start = Instant::now();
        Engine::blur_plane_serial(&mut copy, width, height, &options(args))?;
        reference.seconds += start.elapsed().as_secs_f64();
        reference.planes.push(copy);
    }
    Ok(reference)
}

/// Compares the kernel's planes with the reference; an error if they differ by more
/// than [`BLUR_TOLERANCE`] (relative to the input's largest magnitude).
fn compare<T: BlurSample>(
    planes: &[&mut [T]],
    reference: &Reference<T>,
    seconds: f64,
) -> Result<Comparison, Error> {
    let mut errors = ErrorStats::default();
    for (got, want) in planes.iter().zip(&reference.planes) {
        for (&g, &w) in got.iter().zip(want) {
            errors.add(g.to_f64(), w.to_f64());
        }
    }
    check_accuracy(&errors, reference.scale)?;
    Ok(Comparison {
        serial_seconds: reference.seconds,
        accel_seconds: seconds,
        errors,
    })
}

/// The `--compare` verdict: the largest difference must stay within
/// [`BLUR_TOLERANCE`] × `scale`, and NaN must appear in the same places.
pub fn check_accuracy(errors: &ErrorStats, scale: f64) -> Result<(), Error> {
    let allowed = BLUR_TOLERANCE * scale;
    if errors.nan_mismatch {
        return Err(Error::accuracy(
            "blur",
            "NaN where the serial reference has a number (or the reverse)",
        ));
    }
    if errors.max_abs > allowed {
        return Err(Error::accuracy(
            "blur",
            format!(
                "largest difference from the serial reference is {:.3e}, above the allowed {allowed:.3e}",
                errors.max_abs
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_check_scales_with_the_input_and_catches_nan() {
        let mut errors = ErrorStats::default();
        check_accuracy(&errors, 1.0).unwrap();
        errors.max_abs = 2e-5;
        let e = check_accuracy(&errors, 1.0).unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(
            e.to_string().starts_with("blur: accuracy check failed"),
            "{e}"
        );
        assert!(e.to_string().contains("2.000e-5"), "{e}");
        // A 0..255 image may differ by 255 times more.
        check_accuracy(&errors, 255.0).unwrap();
        errors.max_abs = 0.0;
        errors.nan_mismatch = true;
        assert!(
            check_accuracy(&errors, 1.0)
                .unwrap_err()
                .to_string()
                .contains("NaN")
        );
    }
}
