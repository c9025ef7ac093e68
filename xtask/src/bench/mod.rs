//! `cargo xtask bench`: the benchmark suite a new user runs first.
//!
//! It measures the machine's memory bandwidth, then runs each workload (fill,
//! Black-Scholes, blur) as the serial reference, as accel at each thread count of a
//! sweep, as rayon doing the same computation the best way rayon allows, as one
//! fused OpenMP loop in C (`csrc/peers.c`, built by `build.rs` with
//! `gcc -O3 -march=native -fopenmp`, and for Black-Scholes also with
//! `-ffast-math`, with and, on x86-64, without AVX-512; skipped with a note
//! where no C compiler with OpenMP is found),
//! and for Black-Scholes also as the naive array-at-a-time version. Every run's result is
//! checked before any time is reported: a wrong answer fails the suite with no table.
//! Results go to stdout (Markdown, or JSON with `--json`) and to
//! `target/accel-bench/<timestamp>/` (results.md, results.json, SVG charts). With
//! `--record` the run also rewrites `docs/PERFORMANCE.md`, the project's one page
//! of measurements: dated, naming the machine and SIMD path, generated in full.

mod c_peers;
mod charts;
mod hand_lanes;
mod machine;
mod mpi;
mod peers;
mod results;
mod stencils;
mod timing;
mod workloads;

use results::{Report, RunInfo};
use std::path::PathBuf;
use std::time::Instant;

const USAGE: &str = "\
usage: cargo xtask bench [options]

Measures accel's workloads against serial code and rayon on this machine.

options:
  --quick                tiny sizes, few samples (seconds; what CI runs)
  --full                 the seed sizes (Black-Scholes 10M/40M/100M, blur 7095x5322x100,
                         heat f64 4000x4000x200,
                         fill N=M in {10,50,100,150,200,300,500})
  --workloads LIST       comma-separated subset of fill,blackscholes,blur,formulas,stencils
                         (default: all)
  --threads LIST         thread counts to sweep, e.g. 1,2,4 (default: 1..=allowed CPUs)
  --out DIR              where to write results.md/results.json/charts
                         (default: target/accel-bench/<timestamp>)
  --json                 print results.json to stdout instead of the Markdown table
  --record               also write docs/PERFORMANCE.md: the dated page of measurements
                         (machine, SIMD path, command, results) the docs point to
  --micro                run the criterion micro-benchmarks of every crate instead
  --mpi LIST             run the workloads across MPI ranks instead, e.g. 1,2,4: builds
                         accel with --features mpi, prints strong- and weak-scaling tables
                         and a cluster model (needs Open MPI; threads per rank: --threads N,
                         one value, default 1)
  -h, --help             this text
";

/// The suite's size preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// CI: seconds.
    Quick,
    /// Default: minutes (the sizes the recorded page uses).
    Default,
    /// The seed sizes.
    Full,
}

impl Mode {
    /// The preset's name and what it means, for the recorded page.
    fn describe(self) -> &'static str {
        match self {
            Mode::Quick => "quick (`--quick`: tiny sizes, few samples)",
            Mode::Default => "default (medium sizes)",
            Mode::Full => "full (`--full`: the seed sizes)",
        }
    }
}

/// Parsed command line.
#[derive(Debug)]
pub struct Options {
    /// Size preset.
    pub mode: Mode,
    /// Workloads to run, in order.
    pub workloads: Vec<workloads::Workload>,
    /// Thread counts to sweep.
    pub threads: Vec<usize>,
    out: Option<PathBuf>,
    json: bool,
    micro: bool,
    record: bool,
    /// Rank counts for `--mpi`.
    mpi: Option<Vec<usize>>,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let allowed = accel_pool::allowed_cpus().len().max(1);
    let mut opts = Options {
        mode: Mode::Default,
        workloads: workloads::Workload::ALL.to_vec(),
        threads: (1..=allowed).collect(),
        out: None,
        json: false,
        micro: false,
        record: false,
        mpi: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            "--quick" => opts.mode = Mode::Quick,
            "--full" => opts.mode = Mode::Full,
            "--json" => opts.json = true,
            "--micro" => opts.micro = true,
            "--record" => opts.record = true,
            "--out" => opts.out = Some(PathBuf::from(value("--out")?)),
            "--workloads" => {
                opts.workloads = value("--workloads")?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
            }
            "--mpi" => {
                let list = value("--mpi")?;
                opts.mpi = Some(
                    list.split(',')
                        .map(|t| match t.trim().parse::<usize>() {
                            Ok(0) | Err(_) => {
                                Err(format!("--mpi: `{t}` is not a positive rank count"))
                            }
                            Ok(n) => Ok(n),
                        })
                        .collect::<Result<_, _>>()?,
                );
            }
            "--threads" => {
                let list = value("--threads")?;
                opts.threads = list
                    .split(',')
                    .map(|t| match t.trim().parse::<usize>() {
                        Ok(0) | Err(_) => {
                            Err(format!("--threads: `{t}` is not a positive integer"))
                        }
                        Ok(n) => Ok(n),
                    })
                    .collect::<Result<_, _>>()?;
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` (see `cargo xtask bench --help`)"
                ));
            }
        }
    }
    if opts.workloads.is_empty() {
        return Err("--workloads: no workload named".into());
    }
    if opts.record && opts.micro {
        return Err("--record records the suite's run, not the criterion micro-benchmarks".into());
    }
    Ok(Some(opts))
}

/// Runs the suite with the command-line arguments after `bench`.
pub fn run(args: &[String]) -> Result<(), String> {
    let Some(opts) = parse(args)? else {
        return Ok(());
    };
    if opts.micro {
        return micro();
    }
    if let Some(ranks) = &opts.mpi {
        let threads = match opts.threads[..] {
            [one] if args.iter().any(|a| a == "--threads") => one,
            _ => 1,
        };
        let (_, stamp) = utc_timestamp();
        let dir = opts.out.clone().unwrap_or_else(|| {
            workspace_root()
                .join("target")
                .join("accel-bench")
                .join(format!("mpi-{stamp}"))
        });
        let md = mpi::run(ranks, threads, opts.mode, &dir)?;
        write(&dir.join("mpi.md"), &md)?;
        print!("{md}");
        eprintln!("bench: wrote {}", dir.join("mpi.md").display());
        return Ok(());
    }
    if cfg!(debug_assertions) {
        eprintln!("bench: warning: this is a debug build; run it as `cargo xtask bench` (release)");
    }
    // A forced path the CPU lacks is refused here, before any measurement.
    accel_core::simd::force_from_env().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let date = utc_timestamp();
    let machine = machine::describe(&date.0);
    let max_threads = *opts.threads.iter().max().unwrap_or(&1);
    let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(max_threads))
        .map_err(|e| format!("could not start the pool: {e}"))?;
    let bw_len = match opts.mode {
        Mode::Quick => 1 << 24,
        _ => 1 << 25,
    };
    eprintln!("bench: measuring memory bandwidth ({max_threads} threads)…");
    let bandwidth = machine::bandwidth(&pool, bw_len, opts.mode == Mode::Quick);
    let mut report = Report {
        machine,
        bandwidth,
        runs: Vec::new(),
        notes: Vec::new(),
    };
    if let Err(why) = c_peers::available() {
        report
            .notes
            .push(format!("The C OpenMP contenders are skipped: {why}."));
    }
    for w in &opts.workloads {
        let (runs, notes) = workloads::run(*w, &opts, &report.bandwidth)?;
        report.runs.extend(runs);
        report.notes.extend(notes);
    }
    let dir = opts.out.clone().unwrap_or_else(|| {
        workspace_root()
            .join("target")
            .join("accel-bench")
            .join(&date.1)
    });
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let md = report.markdown();
    let json = serde_json::to_string_pretty(&report.json()).map_err(|e| e.to_string())?;
    write(&dir.join("results.md"), &md)?;
    write(&dir.join("results.json"), &json)?;
    let charts = charts::write_all(&report, &dir)?;
    if opts.record {
        let run = RunInfo {
            command: command_line(args),
            mode: opts.mode.describe().to_string(),
            threads: opts.threads.clone(),
            workloads: opts
                .workloads
                .iter()
                .map(|w| w.name().to_string())
                .collect(),
            elapsed_secs: started.elapsed().as_secs_f64(),
            files: dir
                .strip_prefix(workspace_root())
                .unwrap_or(&dir)
                .display()
                .to_string(),
        };
        let page = workspace_root().join("docs").join("PERFORMANCE.md");
        write(&page, &report.performance_page(&run))?;
        eprintln!("bench: recorded {}", page.display());
    }
    if opts.json {
        println!("{json}");
    } else {
        print!("{md}");
    }
    eprintln!(
        "bench: wrote {} (+{} charts) in {:.0} s",
        dir.join("results.md").display(),
        charts.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The command line as a user would type it again.
fn command_line(args: &[String]) -> String {
    let mut line = String::from("cargo xtask bench");
    for a in args {
        line.push(' ');
        line.push_str(a);
    }
    line
}

fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn micro() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "bench",
            "-p",
            "accel-core",
            "-p",
            "accel-pool",
            "-p",
            "accel-kernels",
        ])
        .status()
        .map_err(|e| format!("could not run cargo bench: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo bench failed: {status}"))
    }
}

pub(crate) fn workspace_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Now in UTC as (`2026-11-21 06:16 UTC`, `20261121-061600`), from the system clock
/// (civil-from-days, so no date crate is needed).
fn utc_timestamp() -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Howard Hinnant's days-to-civil algorithm, shifted so years start in March.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    (
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02} UTC"),
        format!("{y:04}{mo:02}{d:02}-{h:02}{m:02}{s:02}"),
    )
}
