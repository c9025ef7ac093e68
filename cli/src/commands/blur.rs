//! `accel blur`: read an image, blur each channel plane, write it back atomically.
//!
//! The order matters for the user contract: everything that can be refused cheaply
//! (output extension, input existence, output directory) is refused before the
//! input is decoded, and the colour type is checked against the output format before
//! the kernel runs, so a failure never costs the user the blur time and never leaves
//! a partial file behind.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

use crate::args::BlurArgs;
use crate::engine::Engine;
use crate::error::{Error, describe_io};
use crate::formats::{self, FileFormat};
use crate::image_file::ImageKind;
use crate::output::PendingOutput;
use crate::progress::IterationProgress;
use crate::raster::{Planes, Raster};
use crate::report::{self, Comparison, ErrorStats};

/// Relative accuracy the parallel blur must reach against the serial reference,
/// scaled by the largest magnitude in the input plane (DESIGN §5.3 allows 1e-5 on
/// a 0..1 image against a float64 reference, after 100 iterations).
pub const BLUR_TOLERANCE: f64 = 1e-5;

/// Runs `accel blur`.
pub fn run(args: &BlurArgs) -> Result<(), Error> {
    let out_format = FileFormat::for_output(&args.output)?;
    formats::probe_input(&args.input)?;
    let mut pending = PendingOutput::prepare(&args.output)?;
    let (mut raster, in_format) = formats::read(&args.input)?;
    formats::check_writable(&raster, out_format, &args.output)?;
    let engine = Engine::new(&args.pool)?;

    let blurred = blur_planes(&mut raster, args, &engine)?;

    // JPEG is the one format whose re-encoding changes pixels, so an unchanged JPEG
    // written as JPEG is copied byte for byte; everything else is re-encoded exactly.
    let jpeg = FileFormat::Image(ImageKind::Jpeg);
    let copy_bytes = args.iters == 0 && in_format == jpeg && out_format == jpeg;
    write_result(&raster, out_format, copy_bytes, args, &mut pending)?;
    pending.commit()?;

    if args.quiet && !args.report.json {
        return Ok(());
    }
    let channels = raster.layout.channels;
    let plane_pixels = (raster.width * raster.height * blurred.planes) as f64;
    let throughput = plane_pixels * args.iters as f64 / blurred.seconds;
    if args.report.json {
        let mut json = serde_json::json!({
            "workload": "blur",
            "input": args.input.display().to_string(),
            "output": args.output.display().to_string(),
            "width": raster.width,
            "height": raster.height,
            "channels": channels,
            "blurred_channels": blurred.planes,
            "colour": raster.layout.to_string(),
            "iters": args.iters,
            "boundary": args.boundary.name(),
            "threads": engine.threads(),
            "pinned": engine.pinned(),
            "pinning": engine.pinning(),
            "seconds": blurred.seconds,
            "gpixel_iters_per_second": report::finite_or_null(throughput / 1e9),
        });
        if let Some(c) = &blurred.comparison {
            c.add_to(&mut json);
        }
        return report::emit_json(&json);
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut line = format!(
        "blur {} ({}): {}×{} {}, {channels} channel{}{}, ",
        args.output.display(),
        out_format.name(),
        raster.width,
        raster.height,
        raster.layout,
        plural(channels),
        if blurred.planes < channels {
            " (alpha untouched)"
        } else {
            ""
        },
    );
    if args.iters == 0 {
        line.push_str("0 iterations (copied through unchanged)");
    } else {
        line.push_str(&format!(
            "{} iteration{}, boundary {}, {} thread{} ({}): kernel {}, {}",
            args.iters,
            plural(args.iters),
            args.boundary.name(),
            engine.threads(),
            plural(engine.threads()),
            engine.pinning(),
            report::seconds(blurred.seconds),
            report::rate(throughput, "pixel·iter/s"),
        ));
    }
    if let Some(c) = &blurred.comparison {
        line.push_str("; ");
        line.push_str(&c.summary());
    }
    report::emit(&line)
}

/// What the blur step did.
struct Blurred {
    /// Number of planes blurred (alpha may be left out).
    planes: usize,
    /// Kernel seconds, summed over planes.
    seconds: f64,
    /// The serial comparison, with `--compare`.
    comparison: Option<Comparison>,
}

/// Blurs every plane that should be blurred, timing only the kernel calls.
fn blur_planes(raster: &mut Raster, args: &BlurArgs, engine: &Engine) -> Result<Blurred, Error> {
    let (width, height) = (raster.width, raster.height);
    let count = if args.no_alpha && raster.layout.alpha {
        raster.planes.len() - 1
    } else {
        raster.planes.len()
    };
    if args.iters == 0 {
        return Ok(Blurred {
            planes: count,
            seconds: 0.0,
            comparison: None,
        });
    }
    let progress = IterationProgress::new(
        (count * args.iters) as u64,
        !args.quiet && !args.report.json,
    );
    let mut totals = PlaneTotals::default();
    for index in 0..count {
        let done_before = (index * args.iters) as u64;
        let report_progress = |done: usize| progress.set(done_before + done as u64);
        let mut job = PlaneJob {
            width,
            height,
            args,
            engine,
            progress: &report_progress,
            totals: &mut totals,
        };
        match &mut raster.planes {
            Planes::F32(planes) => job.run(&mut planes[index])?,
            Planes::F64(planes) => {
                // The kernels work in f32; float64 data goes through an f32 copy.
                let mut plane: Vec<f32> = planes[index].iter().map(|&v| v as f32).collect();
                job.run(&mut plane)?;
                planes[index] = plane.into_iter().map(f64::from).collect();
            }
        }
    }
    progress.finish();
    let comparison = args.report.compare.then_some(Comparison {
        serial_seconds: totals.serial_seconds,
        accel_seconds: totals.seconds,
        errors: totals.errors,
    });
    if let Some(c) = &comparison {
        let allowed = BLUR_TOLERANCE * totals.scale;
        if c.errors.nan_mismatch || c.errors.max_abs > allowed {
            return Err(Error::workload(
                "blur",
                format!(
                    "accuracy check failed: largest difference from the serial reference is {:.3e}, above the allowed {allowed:.3e}",
                    c.errors.max_abs
                ),
            ));
        }
    }
    Ok(Blurred {
        planes: count,
        seconds: totals.seconds,
        comparison,
    })
}

/// Times and errors summed over planes.
#[derive(Default)]
struct PlaneTotals {
    seconds: f64,
    serial_seconds: f64,
    errors: ErrorStats,
    /// Largest input magnitude seen (at least 1): the accuracy check's scale.
    scale: f64,
}

/// Blurring one plane (and, with `--compare`, its serial reference).
struct PlaneJob<'a> {
    width: usize,
    height: usize,
    args: &'a BlurArgs,
    engine: &'a Engine,
    progress: &'a (dyn Fn(usize) + Sync),
    totals: &'a mut PlaneTotals,
}

impl PlaneJob<'_> {
    fn run(&mut self, plane: &mut [f32]) -> Result<(), Error> {
        let (w, h, iters, boundary) =
            (self.width, self.height, self.args.iters, self.args.boundary);
        let reference = if self.args.report.compare {
            let scale = plane.iter().fold(1.0f64, |m, &v| m.max(f64::from(v).abs()));
            self.totals.scale = self.totals.scale.max(scale);
            let mut copy = plane.to_vec();
            let start = Instant::now();
            Engine::blur_plane_serial(&mut copy, w, h, iters, boundary)?;
            self.totals.serial_seconds += start.elapsed().as_secs_f64();
            Some(copy)
        } else {
            None
        };
        let start = Instant::now();
        self.engine
            .blur_plane(plane, w, h, iters, boundary, self.progress)?;
        self.totals.seconds += start.elapsed().as_secs_f64();
        if let Some(reference) = reference {
            for (&got, &want) in plane.iter().zip(&reference) {
                self.totals.errors.add(f64::from(got), f64::from(want));
            }
        }
        Ok(())
    }
}

/// Writes the result into the pending output: the input's own bytes when `copy_bytes`
/// (an unchanged JPEG), else the raster encoded in `format`.
fn write_result(
    raster: &Raster,
    format: FileFormat,
    copy_bytes: bool,
    args: &BlurArgs,
    pending: &mut PendingOutput,
) -> Result<(), Error> {
    let output = args.output.clone();
    let fail = |reason: String| Error::output(&output, reason);
    if copy_bytes {
        let mut input =
            File::open(&args.input).map_err(|e| Error::input(&args.input, describe_io(&e)))?;
        std::io::copy(&mut input, pending.file()).map_err(|e| fail(describe_io(&e)))?;
        return Ok(());
    }
    let mut writer = BufWriter::new(pending.file());
    formats::write(raster, format, &mut writer).map_err(fail)?;
    writer.flush().map_err(|e| fail(describe_io(&e)))
}
