//! `accel blur` across the ranks of an MPI job (`mpirun -np N accel blur …`).
//!
//! Two ways to share the work, chosen by rank 0 and announced to all:
//!
//! - **Bands straight from the file** (`npy_bands`): one `.npy` in, one
//!   `.npy` out, nothing but the blur asked for. Each rank reads its own rows
//!   at their offset in the input, blurs its band with halos from its
//!   neighbours (accel-pool's `ranks` protocol), and writes its rows at their
//!   offset in the output's temporary file, which rank 0 created with the
//!   header and renames into place once every rank has written. No plane
//!   passes through rank 0.
//! - **Rank 0 leads** (everything else: images, several files, `--compare`,
//!   conversions, a narrow plane that one process would blur transposed):
//!   rank 0 runs the one-process command (decoding, alpha, conversions,
//!   encoding, the summary), and at each kernel call it announces the planes'
//!   shape, scatters them in row bands, every rank blurs its band, and rank 0
//!   gathers the result (`lead`); the other ranks wait for announcements
//!   (`follow`) until rank 0 says it is done.
//!
//! Either way the result has the same bits as one process's: the banded
//! protocol is exact, and every rank runs the same kernel.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use accel_core::partition::RowBands;
use accel_kernels::blur::Blur;
use accel_pool::ranks::{BandedStats, Ranks};

use super::jobs::{self, Job};
use super::{Blurred, FileReport, Phases, RankRun, RankSample, Team, options};
use crate::args::BlurArgs;
use crate::engine::Engine;
use crate::error::{Error, describe_io};
use crate::formats::FileFormat;
use crate::group::Group;
use crate::input::is_stdio;
use crate::memory;
use crate::npy;
use crate::output::CheckedOutput;
use crate::raster::{Planes, Raster};

/// Rank 0's announcements to the following ranks.
const DONE: u64 = 0;
const PLANES_F32: u64 = 1;
const PLANES_F64: u64 = 2;

/// Runs `accel blur` on every rank of `ranks`.
pub fn run(args: &BlurArgs, group: &Group, ranks: &Ranks, engine: &Engine) -> Result<(), Error> {
    let bands = if ranks.is_root() {
        u8::from(npy_bands_fit(args))
    } else {
        0
    };
    if ranks.broadcast_bytes(vec![bands]) == [1]
        && let Some(input) = every_rank_reads(args, ranks)
    {
        return npy_bands(args, group, ranks, engine, input);
    }
    // Rank 0's outcome is everyone's: the others agree once it says it is done.
    if ranks.is_root() {
        let result = super::run_jobs(args, group, engine);
        ranks.broadcast_bytes(announcement(DONE, 0, 0, 0));
        group.agree(result)
    } else {
        follow(args, ranks, engine)?;
        group.agree(Ok(()))
    }
}

/// Whether the command is one `.npy` blurred into one `.npy` with nothing
/// else asked, so each rank can read and write its own rows; anything the
/// bands path would not handle exactly as one process does goes to rank 0.
fn npy_bands_fit(args: &BlurArgs) -> bool {
    let Ok(jobs) = jobs::jobs(args) else {
        return false; // rank 0 reports the error
    };
    let [job] = &jobs[..] else { return false };
    if is_stdio(&job.input)
        || is_stdio(&job.output)
        || job.format != FileFormat::Npy
        || args.report.compare
        || args.depth.is_some()
        || args.iters == 0
    {
        return false;
    }
    match read_header(&job.input) {
        Ok((header, _, _)) => {
            let (h, w, c) = header.dims();
            // One process blurs a narrow, tall plane transposed (its bits differ).
            h > 0 && w > 0 && c > 0 && !(w < super::ROW_TRANSPOSE_BELOW && h > w)
        }
        Err(_) => false,
    }
}

/// The one job of the bands path, and its input's header as this rank read it.
struct BandsInput {
    job: Job,
    header: npy::Header,
    /// Where the data starts in the file.
    data_start: u64,
    file_len: u64,
}

/// Collective: the job and this rank's reading of the input's header if
/// every rank can open the input and read its header (the ranks of other
/// nodes may not see rank 0's files); `None` if one cannot, and rank 0
/// leads instead.
fn every_rank_reads(args: &BlurArgs, ranks: &Ranks) -> Option<BandsInput> {
    let read = jobs::jobs(args)
        .map_err(|e| e.to_string())
        .and_then(|mut jobs| {
            let job = jobs.remove(0);
            read_header(&job.input).map(|(header, data_start, file_len)| BandsInput {
                job,
                header,
                data_start,
                file_len,
            })
        });
    ranks.agree(read).ok()
}

/// The header of a `.npy` file, where its data starts, and its length.
fn read_header(path: &Path) -> Result<(npy::Header, u64, u64), String> {
    let mut file = File::open(path).map_err(|e| describe_io(&e))?;
    let len = file.metadata().map_err(|e| describe_io(&e))?.len();
    let mut reader = std::io::BufReader::new(&mut file);
    let header = npy::read_header(&mut reader)?;
    let start = reader.stream_position().map_err(|e| describe_io(&e))?;
    Ok((header, start, len))
}

/// The bands-from-the-file path (module docs). Every fallible step ends in an
/// agreement, so all ranks stop at the same step.
fn npy_bands(
    args: &BlurArgs,
    group: &Group,
    ranks: &Ranks,
    engine: &Engine,
    input: BandsInput,
) -> Result<(), Error> {
    let started = Instant::now();
    let BandsInput {
        job,
        header,
        data_start,
        file_len,
    } = input;
    let input_error = |reason: String| Error::input(&job.input, reason);
    let (height, width, channels) = header.dims();
    let bands = RowBands::new(height, ranks.size());
    let rows = bands.band(ranks.rank());
    // The band, its working copy and the strips of a pass, in the planes' type.
    let value_bytes = if header.dtype == npy::Dtype::F64 {
        8
    } else {
        4
    };
    group.agree(
        memory::ensure_fits(memory::product(&[
            (rows.len() + 4) as u128,
            width as u128,
            channels as u128,
            value_bytes,
            4,
        ]))
        .map_err(|e| input_error(format!("array {} {e}", header.shape_text()))),
    )?;
    let checked = if ranks.is_root() {
        group.agree(CheckedOutput::check(&job.output).map(Some))?
    } else {
        group.agree(Ok(None))?
    };
    let decode_start = Instant::now();
    let mut band = group.agree(
        File::open(&job.input)
            .map_err(|e| describe_io(&e))
            .and_then(|mut file| {
                npy::read_rows(&mut file, &header, data_start, file_len, rows.clone())
            })
            .map_err(input_error),
    )?;
    let decode_seconds = ranks.max_f64(decode_start.elapsed().as_secs_f64());

    let blur = options(args);
    ranks.barrier();
    let start = Instant::now();
    let stats = match &mut band.planes {
        Planes::F32(planes) => blur_band(engine, ranks, planes, width, height, &blur)?,
        Planes::F64(planes) => blur_band(engine, ranks, planes, width, height, &blur)?,
    };
    let seconds = ranks.max_f64(start.elapsed().as_secs_f64());

    // Rank 0 creates the temporary output with the header and its full length;
    // every rank writes its rows at their offset; rank 0 renames it into place.
    let encode_start = Instant::now();
    let header_bytes = npy::header_for(&band, height);
    let row_bytes = (width * channels * header.dtype.size()) as u64;
    let pending = match checked {
        Some(checked) => group.agree(checked.create().and_then(|mut pending| {
            let total = header_bytes.len() as u64 + row_bytes * height as u64;
            let file = pending.file();
            file.write_all(&header_bytes)
                .and_then(|()| file.set_len(total))
                .map_err(|e| Error::output(&job.output, describe_io(&e)))?;
            Ok(Some(pending))
        }))?,
        None => group.agree(Ok(None))?,
    };
    let temp = ranks.broadcast_bytes(
        pending
            .as_ref()
            .map(|p| path_bytes(p.temp_path()))
            .unwrap_or_default(),
    );
    let temp = path_from_bytes(temp);
    let offset = header_bytes.len() as u64 + rows.start as u64 * row_bytes;
    group.agree(
        write_rows(&temp, offset, &band).map_err(|e| Error::output(&job.output, describe_io(&e))),
    )?;
    let committed = match pending {
        Some(pending) => pending.commit(),
        None => Ok(()),
    };
    group.agree(committed)?;
    let encode_seconds = ranks.max_f64(encode_start.elapsed().as_secs_f64());

    // The summary: the band's layout is the file's; its size is the whole's.
    let layout = band.layout;
    let precision = match band.planes {
        Planes::F32(_) => "f32",
        Planes::F64(_) => "f64",
    };
    let report = FileReport {
        raster: Raster {
            width,
            height,
            layout,
            planes: Planes::F32(Vec::new()), // the summary reads no samples
            icc_profile: None,
            density: None,
        },
        input_layout: layout,
        blurred: Blurred {
            planes: channels,
            channels,
            alpha_mode: None,
            precision,
            seconds,
            comparison: None,
            rank_run: Some(rank_run(&stats, width, channels, value_bytes as usize)),
        },
        team: Team::of(engine, group),
        phases: Phases {
            decode: decode_seconds,
            encode: encode_seconds,
            total: ranks.max_f64(started.elapsed().as_secs_f64()),
        },
        to_stdout: false,
    };
    group.agree(report.emit(&job, args))
}

/// A path as bytes, to travel between ranks (any bytes on Unix).
fn path_bytes(path: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned().into_bytes()
    }
}

/// The path [`path_bytes`] sent.
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Writes `band`'s samples into `path` at byte `offset`.
fn write_rows(path: &Path, offset: u64, band: &Raster) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    npy::write_data(band, &mut writer)?;
    writer.flush()
}

/// Blurs this rank's band of every plane (`planes`, each the band's rows).
fn blur_band<T>(
    engine: &Engine,
    ranks: &Ranks,
    planes: &mut [Vec<T>],
    width: usize,
    height: usize,
    blur: &Blur<'_>,
) -> Result<BandedStats, Error>
where
    T: RankSample,
{
    let mut views: Vec<&mut [T]> = planes.iter_mut().map(Vec::as_mut_slice).collect();
    engine.blur_bands(ranks, &mut views, width, height, blur)
}

/// The report's view of a banded run.
fn rank_run(stats: &BandedStats, width: usize, planes: usize, value_bytes: usize) -> RankRun {
    RankRun {
        passes: stats.passes,
        pass_iterations: stats.pass_iterations,
        halo_rows: stats.halo_depth,
        halo_bytes_per_pass: 2 * stats.halo_depth * width * planes * value_bytes,
    }
}

/// Rank 0's announcement: what kind of planes come next and their shape.
fn announcement(kind: u64, width: usize, height: usize, planes: usize) -> Vec<u8> {
    [kind, width as u64, height as u64, planes as u64]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

/// Rank 0's side of one kernel call (module docs, "rank 0 leads"): announce,
/// scatter the bands, blur, gather the bands back into `planes`.
pub(super) fn lead<T>(
    ranks: &Ranks,
    engine: &Engine,
    planes: &mut [&mut [T]],
    width: usize,
    height: usize,
    blur: &Blur<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<RankRun, Error>
where
    T: RankSample,
{
    let kind = if size_of::<T>() == 8 {
        PLANES_F64
    } else {
        PLANES_F32
    };
    ranks.broadcast_bytes(announcement(kind, width, height, planes.len()));
    let count = planes.len();
    let stats = scattered_planes(ranks, engine, Some(planes), count, width, height, blur)?;
    progress(blur.stencil().iterations() * count);
    Ok(rank_run(&stats, width, count, size_of::<T>()))
}

/// The other ranks' side: take part in each kernel call rank 0 announces,
/// until it announces that it is done. Their errors are rank 0's too (the
/// banded run agrees on them), so rank 0 reports them.
fn follow(args: &BlurArgs, ranks: &Ranks, engine: &Engine) -> Result<(), Error> {
    let blur = options(args);
    loop {
        let words: Vec<u64> = ranks
            .broadcast_bytes(Vec::new())
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect();
        let [kind, width, height, planes] = words[..] else {
            return Err(Error::workload(
                "blur",
                "rank 0 sent a malformed announcement",
            ));
        };
        let (width, height, planes) = (width as usize, height as usize, planes as usize);
        // Errors are agreed with rank 0, which reports them; keep following.
        let _ = match kind {
            DONE => return Ok(()),
            PLANES_F32 => {
                scattered_planes::<f32>(ranks, engine, None, planes, width, height, &blur)
            }
            PLANES_F64 => {
                scattered_planes::<f64>(ranks, engine, None, planes, width, height, &blur)
            }
            _ => {
                return Err(Error::workload(
                    "blur",
                    "rank 0 sent an unknown announcement",
                ));
            }
        };
    }
}

/// Every rank: receive the bands of rank 0's `count` planes (`planes` on
/// rank 0, `None` elsewhere), blur them, send them back.
fn scattered_planes<T>(
    ranks: &Ranks,
    engine: &Engine,
    mut planes: Option<&mut [&mut [T]]>,
    count: usize,
    width: usize,
    height: usize,
    blur: &Blur<'_>,
) -> Result<BandedStats, Error>
where
    T: RankSample,
{
    let bands = RowBands::new(height, ranks.size());
    let rows = bands.band(ranks.rank()).len();
    let mut band: Vec<Vec<T>> = (0..count)
        .map(|_| vec![T::default(); rows * width])
        .collect();
    for (index, mine) in band.iter_mut().enumerate() {
        let whole = planes.as_ref().map(|p| &p[index][..]);
        ranks.scatter_bands(bands, width, whole, mine);
    }
    let stats = blur_band(engine, ranks, &mut band, width, height, blur);
    // Gathered whatever happened, so rank 0 never waits alone.
    for (index, mine) in band.iter().enumerate() {
        let whole = planes.as_mut().map(|p| &mut p[index][..]);
        ranks.gather_bands(bands, width, mine, whole);
    }
    stats
}
