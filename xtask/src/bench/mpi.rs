//! `cargo xtask bench --mpi 1,2,4`: the workloads across MPI ranks, measured
//! on this machine and modelled for a cluster.
//!
//! It builds the `accel` command with the `mpi` feature (into `target/mpi`,
//! so the default build is untouched), then runs it under `mpirun` for each
//! rank count:
//!
//! - **strong scaling**: the same total size on 1, 2, 4 … ranks;
//! - **weak scaling**: the same size *per rank* (the blur's plane grows by
//!   rows, Black-Scholes by options, the fill by block rows and columns).
//!
//! Each cell is the median of the kernel times `accel --json` reports (the
//! slowest rank's, from a start all ranks share), so start-up and file
//! input/output are left out. On a machine with few cores the ranks share
//! them: the tables then show what the decomposition costs (messages,
//! recomputed halo rows), not a speed-up, and the page says so.
//!
//! The **cluster model** takes the blur at the seed size (7095 × 5322 f32,
//! 100 iterations, radius 2) and Black-Scholes at 400 M options onto
//! 36-core nodes joined by 100 Gb/s: per pass of `k` iterations each node
//! receives `2 · k · r` rows from its neighbours and computes its band plus
//! the recomputed rows, at 36 × the per-thread rate measured here on one
//! rank. It is a model (stated assumptions, no overlap credited), printed
//! next to the measurements, not mixed with them.

use std::path::{Path, PathBuf};
use std::process::Command;

use accel_core::partition::{RowBands, halo_iterations};
use serde_json::Value;

use super::Mode;
use super::results::fmt_secs;

/// The cluster the model assumes: cores per node, link bandwidth (bytes/s)
/// and the latency of one message (seconds).
const NODE_CORES: f64 = 36.0;
const LINK_BYTES_PER_S: f64 = 100e9 / 8.0;
const MESSAGE_LATENCY_S: f64 = 2e-6;
/// The blur's most iterations per exchange (the `accel` command's).
const PASS_CAP: usize = 16;

/// One workload's size, total or per rank.
#[derive(Clone, Copy, Debug)]
enum Size {
    /// A plane of `width × height` f32, `iters` iterations.
    Blur {
        width: usize,
        height: usize,
        iters: usize,
    },
    /// Options.
    BlackScholes { options: usize },
    /// A fill of `blocks × blocks` blocks (the command's default block shape).
    Fill { blocks: usize },
}

impl Size {
    fn name(self) -> &'static str {
        match self {
            Size::Blur { .. } => "blur",
            Size::BlackScholes { .. } => "blackscholes",
            Size::Fill { .. } => "fill",
        }
    }

    fn text(self) -> String {
        match self {
            Size::Blur {
                width,
                height,
                iters,
            } => format!("{width}×{height} f32, {iters} iterations"),
            Size::BlackScholes { options } => format!("{options} options"),
            Size::Fill { blocks } => format!("{blocks}×{blocks} blocks of 500×500"),
        }
    }

    /// The size `ranks` ranks share when each holds `self` (weak scaling).
    fn times(self, ranks: usize) -> Size {
        match self {
            Size::Blur {
                width,
                height,
                iters,
            } => Size::Blur {
                width,
                height: height * ranks,
                iters,
            },
            Size::BlackScholes { options } => Size::BlackScholes {
                options: options * ranks,
            },
            Size::Fill { blocks } => Size::Fill {
                blocks: blocks * ranks,
            },
        }
    }
}

/// What one `mpirun` measurement gave.
#[derive(Clone, Debug)]
struct Measured {
    seconds: f64,
    json: Value,
}

/// Runs the MPI benchmark: `ranks` rank counts, `threads` threads per rank.
pub fn run(ranks: &[usize], threads: usize, mode: Mode, out: &Path) -> Result<String, String> {
    let version = Command::new("mpirun")
        .arg("--version")
        .output()
        .map_err(|_| "--mpi needs Open MPI's mpirun (Debian: apt-get install libopenmpi-dev openmpi-bin libclang-dev)".to_string())?;
    let version = String::from_utf8_lossy(&version.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let accel = build_accel()?;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let (strong, weak, repeats): ([Size; 3], [Size; 3], usize) = match mode {
        Mode::Quick => (
            [
                Size::Blur {
                    width: 512,
                    height: 384,
                    iters: 10,
                },
                Size::BlackScholes { options: 2_000_000 },
                Size::Fill { blocks: 60 },
            ],
            [
                Size::Blur {
                    width: 512,
                    height: 192,
                    iters: 10,
                },
                Size::BlackScholes { options: 1_000_000 },
                Size::Fill { blocks: 30 },
            ],
            1,
        ),
        Mode::Default => (
            [
                Size::Blur {
                    width: 2048,
                    height: 1536,
                    iters: 50,
                },
                Size::BlackScholes {
                    options: 10_000_000,
                },
                Size::Fill { blocks: 200 },
            ],
            [
                Size::Blur {
                    width: 2048,
                    height: 768,
                    iters: 50,
                },
                Size::BlackScholes { options: 5_000_000 },
                Size::Fill { blocks: 100 },
            ],
            3,
        ),
        Mode::Full => (
            [
                Size::Blur {
                    width: 7095,
                    height: 5322,
                    iters: 100,
                },
                Size::BlackScholes {
                    options: 40_000_000,
                },
                Size::Fill { blocks: 500 },
            ],
            [
                Size::Blur {
                    width: 7095,
                    height: 2661,
                    iters: 100,
                },
                Size::BlackScholes {
                    options: 20_000_000,
                },
                Size::Fill { blocks: 250 },
            ],
            3,
        ),
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut md = format!(
        "## accel across MPI ranks\n\n{version}; {threads} thread(s) per rank; this machine has {cpus} CPUs.{}\n\
         Kernel seconds (the slowest rank's, medians of {repeats}), from `mpirun -np R accel … --json`.\n",
        if ranks.iter().any(|&r| r * threads > cpus) {
            format!(
                " **Ranks × threads exceed the {cpus} CPUs here: the ranks share cores, so these tables show \
                 what splitting the work costs (messages, recomputed halo rows), not speed-up.**"
            )
        } else {
            String::new()
        }
    );
    md.push_str("\n### Strong scaling (the same total size)\n\n| workload | size | ranks | time | vs 1 rank | halo per pass |\n|---|---|---:|---:|---:|---|\n");
    let mut blur_rate = None;
    let mut bs_rate = None;
    let mut simd = None;
    for size in strong {
        let mut base = None;
        for &r in ranks {
            let m = measure(&accel, out, size, r, threads, repeats)?;
            let base_s = *base.get_or_insert(m.seconds);
            simd.get_or_insert_with(|| m.json["simd"].as_str().unwrap_or("?").to_string());
            match (size, r) {
                (
                    Size::Blur {
                        width,
                        height,
                        iters,
                    },
                    1,
                ) => {
                    blur_rate = Some((width * height * iters) as f64 / m.seconds / threads as f64);
                }
                (Size::BlackScholes { options }, 1) => {
                    bs_rate = Some(options as f64 / m.seconds / threads as f64);
                }
                _ => {}
            }
            md.push_str(&format!(
                "| {} | {} | {r} | {} | {:.2}× | {} |\n",
                size.name(),
                size.text(),
                fmt_secs(m.seconds),
                base_s / m.seconds,
                halo_text(&m.json),
            ));
        }
    }
    md.push_str(&format!(
        "\nSIMD path in every rank: {} (`ACCEL_SIMD` forces another).\n",
        simd.unwrap_or_default()
    ));
    md.push_str("\n### Weak scaling (the same size per rank)\n\n| workload | size per rank | ranks | time | efficiency (t₁ / t_R) |\n|---|---|---:|---:|---:|\n");
    for size in weak {
        let mut base = None;
        for &r in ranks {
            let m = measure(&accel, out, size.times(r), r, threads, repeats)?;
            let base_s = *base.get_or_insert(m.seconds);
            md.push_str(&format!(
                "| {} | {} | {r} | {} | {:.0} % |\n",
                size.name(),
                size.text(),
                fmt_secs(m.seconds),
                100.0 * base_s / m.seconds
            ));
        }
    }
    if let (Some(blur), Some(bs)) = (blur_rate, bs_rate) {
        md.push_str(&cluster_model(blur, bs));
    }
    Ok(md)
}

/// Builds `accel` with the `mpi` feature into `target/mpi`; its path.
fn build_accel() -> Result<PathBuf, String> {
    let root = super::workspace_root();
    let target = root.join("target").join("mpi");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("bench: building accel with --features mpi (target/mpi)…");
    let status = Command::new(cargo)
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", &target)
        .args([
            "build",
            "--release",
            "-q",
            "-p",
            "accel-cli",
            "--features",
            "mpi",
        ])
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !status.success() {
        return Err(
            "building accel with --features mpi failed (it needs libopenmpi-dev and libclang-dev)"
                .into(),
        );
    }
    Ok(target.join("release").join("accel"))
}

/// Runs `size` on `ranks` ranks `repeats` times; the median kernel time.
fn measure(
    accel: &Path,
    dir: &Path,
    size: Size,
    ranks: usize,
    threads: usize,
    repeats: usize,
) -> Result<Measured, String> {
    let mut args: Vec<String> = Vec::new();
    match size {
        Size::Blur {
            width,
            height,
            iters,
        } => {
            let input = dir.join(format!("plane-{width}x{height}.npy"));
            if !input.exists() {
                write_plane(&input, width, height)?;
            }
            args.extend(["blur".into(), input.display().to_string()]);
            args.push(dir.join("blurred.npy").display().to_string());
            args.extend(["--iters".into(), iters.to_string(), "-q".into()]);
        }
        Size::BlackScholes { options } => {
            args.extend([
                "blackscholes".into(),
                "--options".into(),
                options.to_string(),
            ]);
        }
        Size::Fill { blocks } => {
            args.extend([
                "fill".into(),
                "--block-rows".into(),
                blocks.to_string(),
                "--block-cols".into(),
                blocks.to_string(),
                "--repeat".into(),
                "1".into(),
            ]);
        }
    }
    args.extend(["--threads".into(), threads.to_string(), "--json".into()]);
    eprintln!("bench: mpirun -np {ranks} accel {}", args.join(" "));
    let mut runs = Vec::new();
    for _ in 0..repeats.max(1) {
        let output = Command::new("mpirun")
            .args([
                "-q",
                "--allow-run-as-root",
                "--oversubscribe",
                "-np",
                &ranks.to_string(),
            ])
            .arg(accel)
            .args(&args)
            .output()
            .map_err(|e| format!("could not run mpirun: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "mpirun -np {ranks} accel {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let json: Value = serde_json::from_str(text.trim())
            .map_err(|e| format!("accel's --json output did not parse ({e}): {text}"))?;
        let seconds = json["seconds"]
            .as_f64()
            .ok_or("accel's JSON has no seconds")?;
        runs.push(Measured { seconds, json });
    }
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    Ok(runs.swap_remove(runs.len() / 2))
}

/// The bench's test image (`workloads::test_image`) as a row-major f32 `.npy`.
fn write_plane(path: &Path, width: usize, height: usize) -> Result<(), String> {
    let mut dict =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({height}, {width}), }}");
    let pad = (64 - (10 + dict.len() + 1) % 64) % 64;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    let mut bytes = Vec::with_capacity(10 + dict.len() + width * height * 4);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    for v in super::workloads::test_image(width, height) {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The blur's halo figures from its JSON, or "—".
fn halo_text(json: &Value) -> String {
    match (
        json["halo_rows"].as_u64(),
        json["pass_iterations"].as_u64(),
        json["halo_bytes_per_pass"].as_u64(),
    ) {
        (Some(rows), Some(k), Some(bytes)) => format!(
            "{rows} rows ({k} iterations), {} in",
            bytes_text(bytes as f64)
        ),
        _ => "—".into(),
    }
}

/// The cluster model (module docs), from this machine's blur rate per thread.
fn cluster_model(rate_per_thread: f64, options_per_thread: f64) -> String {
    let (width, height, iters, radius) = (7095usize, 5322usize, 100usize, 2usize);
    let node_rate = rate_per_thread * NODE_CORES;
    let mut md = format!(
        "\n### Cluster model: the seed blur on 36-core nodes at 100 Gb/s\n\n\
         {width}×{height} f32, {iters} iterations, radius {radius}; a node computes {} point·iterations/s \
         (36 × the per-thread rate measured above on one rank: optimistic for a memory-bound node, which makes \
         the network's share look larger, not smaller); a message costs {} µs plus its bytes at {} GB/s; \
         no overlap of messages and compute is credited.\n\n\
         | nodes | rows per node | iterations per pass | halo rows | bytes in per pass | network per pass | compute per pass | network / compute | modelled time | speed-up |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        si(node_rate),
        MESSAGE_LATENCY_S * 1e6,
        LINK_BYTES_PER_S / 1e9
    );
    let one = model_blur(1, width, height, iters, radius, node_rate).time;
    for nodes in [1usize, 2, 4, 8, 16, 32, 64] {
        let m = model_blur(nodes, width, height, iters, radius, node_rate);
        md.push_str(&format!(
            "| {nodes} | {} | {} | {} | {} | {} | {} | {:.3} | {} | {:.1}× |\n",
            m.rows,
            m.k,
            m.k * radius,
            bytes_text(m.bytes_per_pass),
            fmt_secs(m.network_per_pass),
            fmt_secs(m.compute_per_pass),
            m.network_per_pass / m.compute_per_pass,
            fmt_secs(m.time),
            one / m.time
        ));
    }
    let options = 400e6;
    let chunks = (options / accel_pool::FORMULA_CHUNK as f64).ceil();
    let price = |nodes: f64| options / nodes / (options_per_thread * NODE_CORES);
    let gather = MESSAGE_LATENCY_S + chunks * 8.0 / LINK_BYTES_PER_S;
    md.push_str(&format!(
        "\nBlack-Scholes at 400 M options exchanges no halo: each node prices its block ({} on 1 node, {} on 64, \
         at 36 × the per-thread rate measured above) and rank 0 gathers one f64 per chunk of {} options \
         ({} in all, about {} on the link), so it scales with the nodes until they run out of chunks ({chunks}).\n",
        fmt_secs(price(1.0)),
        fmt_secs(price(64.0)),
        accel_pool::FORMULA_CHUNK,
        bytes_text(chunks * 8.0),
        fmt_secs(gather),
    ));
    md
}

/// One row of the blur's cluster model.
struct BlurModel {
    rows: usize,
    k: usize,
    bytes_per_pass: f64,
    network_per_pass: f64,
    compute_per_pass: f64,
    time: f64,
}

/// The model of the blur on `nodes` nodes (module docs).
fn model_blur(
    nodes: usize,
    width: usize,
    height: usize,
    iters: usize,
    radius: usize,
    node_rate: f64,
) -> BlurModel {
    let bands = RowBands::new(height, nodes);
    let rows = bands.band(0).len();
    let k = halo_iterations(bands.min_band(), radius, iters, PASS_CAP);
    let depth = k * radius;
    let (bytes, network) = if nodes == 1 {
        (0.0, 0.0)
    } else {
        let bytes = (2 * depth * width * 4) as f64;
        (bytes, 2.0 * MESSAGE_LATENCY_S + bytes / LINK_BYTES_PER_S)
    };
    // The band and, with neighbours, its two edge strips of 3d rows each.
    let computed = if nodes == 1 { rows } else { rows + 6 * depth };
    let compute = (computed * width * k) as f64 / node_rate;
    let passes = iters.div_ceil(k) as f64;
    BlurModel {
        rows,
        k,
        bytes_per_pass: bytes,
        network_per_pass: network,
        compute_per_pass: compute,
        time: passes * (compute + network),
    }
}

fn bytes_text(b: f64) -> String {
    if b >= 1e6 {
        format!("{:.2} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b:.0} B")
    }
}

fn si(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.2} G", x / 1e9)
    } else {
        format!("{:.1} M", x / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_counts_halo_bytes_and_recomputed_rows() {
        // 4 nodes: bands of 1331 rows, 16 iterations per pass (1331 / 48 ≥ 16), depth 32.
        let m = model_blur(4, 7095, 5322, 100, 2, 1e9);
        assert_eq!((m.rows, m.k), (1331, 16));
        assert_eq!(m.bytes_per_pass, (2 * 32 * 7095 * 4) as f64);
        let compute = ((1331 + 6 * 32) * 7095 * 16) as f64 / 1e9;
        assert!((m.compute_per_pass - compute).abs() < 1e-12);
        assert!((m.time - 7.0 * (compute + m.network_per_pass)).abs() < 1e-9);
        // One node: nothing on the network.
        let one = model_blur(1, 7095, 5322, 100, 2, 1e9);
        assert_eq!(one.bytes_per_pass, 0.0);
        assert!(one.time > m.time);
    }
}
