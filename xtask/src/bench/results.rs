//! What one benchmark run found, and how it is written down: a Markdown table (for
//! people), JSON (every sample, for anyone who wants to re-analyse) and, with
//! `--record`, the generated page `docs/PERFORMANCE.md`.

use super::timing::Samples;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// One contender at one size of one workload.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// `fill`, `blackscholes` or `blur`.
    pub workload: &'static str,
    /// Human-readable size label, e.g. `N=M=500` or `10M options`.
    pub size: String,
    /// The size as a number (block count, options, pixels) for charts.
    pub size_value: f64,
    /// `serial`, `accel`, `rayon` or `naive`.
    pub contender: &'static str,
    /// Threads the contender used.
    pub threads: usize,
    /// The timed runs.
    pub samples: Samples,
    /// The time the machine's memory bandwidth allows, if known (ARCHITECTURE.md §6).
    pub floor_secs: Option<f64>,
}

impl Measurement {
    fn label(&self) -> String {
        match self.contender {
            "serial" | "naive" => self.contender.to_string(),
            c => format!("{c} ×{}", self.threads),
        }
    }
}

/// Memory bandwidth as measured by accel's pool (GB/s, 1e9 bytes).
#[derive(Clone, Copy, Debug)]
pub struct Bandwidth {
    /// `a[i] = b[i]`: 16 B per element.
    pub copy: f64,
    /// `a[i] = b[i] + s·c[i]`: 24 B per element.
    pub triad: f64,
    /// `a[i] = s`: 8 B per element.
    pub write: f64,
    /// Threads used.
    pub threads: usize,
}

/// Everything one run of the suite found.
#[derive(Debug)]
pub struct Report {
    /// A line describing the machine (CPU, cores, SIMD path, toolchain).
    pub machine: Value,
    /// The measured bandwidth.
    pub bandwidth: Bandwidth,
    /// All measurements, grouped by workload and size in run order.
    pub runs: Vec<Measurement>,
    /// One line each, printed under the table: the C contenders' accuracy, or
    /// why they are missing.
    pub notes: Vec<String>,
}

/// How a recorded run was invoked, for the generated page.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// The command line, e.g. `cargo xtask bench --record`.
    pub command: String,
    /// The size preset and what it means.
    pub mode: String,
    /// The thread counts swept.
    pub threads: Vec<usize>,
    /// The workloads run, in order.
    pub workloads: Vec<String>,
    /// Wall time of the whole run, in seconds.
    pub elapsed_secs: f64,
    /// Where the run's files went (results.json with every sample, the charts),
    /// relative to the workspace root where it is inside.
    pub files: String,
}

/// A JSON string's text, `?` when absent.
fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("?")
}

/// `1, 2, 4`.
fn join(values: &[usize]) -> String {
    values
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Seconds with a unit that keeps three or four significant digits.
pub(super) fn fmt_secs(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else if s >= 1e-6 {
        format!("{:.2} µs", s * 1e6)
    } else {
        format!("{:.0} ns", s * 1e9)
    }
}

impl Report {
    /// Groups of measurements that share workload and size, in run order.
    pub fn groups(&self) -> Vec<Vec<&Measurement>> {
        let mut groups: Vec<Vec<&Measurement>> = Vec::new();
        for m in &self.runs {
            match groups.last_mut() {
                Some(g) if g[0].workload == m.workload && g[0].size == m.size => g.push(m),
                _ => groups.push(vec![m]),
            }
        }
        groups
    }

    /// The Markdown summary (`results.md`): the machine, its bandwidth, and the
    /// results table.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "# accel benchmark\n");
        let _ = writeln!(
            out,
            "{} · {} · {} CPUs allowed · SIMD path: {} · {} · {}\n",
            text(&m["date"]),
            text(&m["cpu"]),
            m["allowed_cpus"],
            self.simd_paths(),
            text(&m["rustc"]),
            text(&m["profile"]),
        );
        let _ = writeln!(out, "Memory bandwidth: {}\n", self.bandwidth_text());
        out.push_str(&self.table());
        out
    }

    /// The SIMD path every workload ran (core's one detection, or the one
    /// `ACCEL_SIMD` forced), as Markdown.
    fn simd_paths(&self) -> String {
        format!("`{}`", text(&self.machine["simd"]))
    }

    /// The measured bandwidth in one line.
    fn bandwidth_text(&self) -> String {
        let b = self.bandwidth;
        format!(
            "copy {:.1} GB/s, triad {:.1} GB/s, write {:.1} GB/s ({} threads, accel pool)",
            b.copy, b.triad, b.write, b.threads
        )
    }

    /// The generated page `docs/PERFORMANCE.md` (`cargo xtask bench --record`):
    /// a do-not-edit notice, the UTC date, the machine and the SIMD path, how
    /// the run was invoked, and the results table of [`Report::markdown`].
    pub fn performance_page(&self, run: &RunInfo) -> String {
        let m = &self.machine;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<!-- Generated by `cargo xtask bench --record`: do not edit by hand; run the command again to update it. -->\n"
        );
        let _ = writeln!(out, "# Performance\n");
        let _ = writeln!(
            out,
            "Generated by `cargo xtask bench --record` on {}; do not edit by hand. \
             Every figure on this page comes from that one run on the machine below. \
             The module docs keep the design decisions and their reasoning; the \
             measurements live here, so that they name the machine and the date they \
             belong to. Run the command again on your machine to compare.\n",
            text(&m["date"]),
        );
        let _ = writeln!(out, "## Machine\n");
        let _ = writeln!(out, "| | |\n|---|---|");
        let _ = writeln!(out, "| CPU | {} |", text(&m["cpu"]));
        let _ = writeln!(
            out,
            "| CPUs | {} allowed to the run, {} logical CPUs online |",
            m["allowed_cpus"], m["logical_cpus"]
        );
        let _ = writeln!(out, "| Memory | {} GiB |", m["memory_gib"]);
        let _ = writeln!(out, "| Memory bandwidth | {} |", self.bandwidth_text());
        let _ = writeln!(out, "| SIMD path | {} |", self.simd_paths());
        let _ = writeln!(
            out,
            "| Build | {}, {}, {} |",
            text(&m["rustc"]),
            text(&m["profile"]),
            text(&m["os"])
        );
        let _ = writeln!(out, "\n## Run\n");
        let _ = writeln!(out, "- Command: `{}`", run.command);
        let _ = writeln!(out, "- Mode: {}", run.mode);
        let _ = writeln!(out, "- Thread counts: {}", join(&run.threads));
        let _ = writeln!(out, "- Workloads: {}", run.workloads.join(", "));
        let _ = writeln!(out, "- Wall time of the run: {:.0} s", run.elapsed_secs);
        let _ = writeln!(
            out,
            "- Files of the run (results.json with every sample, SVG charts): `{}`",
            run.files
        );
        let _ = writeln!(out, "\n## Results\n");
        out.push_str(&self.table());
        out
    }

    /// The results table, one row per contender and size, and its legend.
    fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| workload | size | contender | median | min | max | vs serial | vs rayon | floor / median |"
        );
        let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|---:|");
        let mut noisiest: f64 = 1.0;
        for group in self.groups() {
            let serial = group
                .iter()
                .find(|m| m.contender == "serial")
                .map(|m| m.samples.median());
            let rayon = group
                .iter()
                .filter(|m| m.contender == "rayon")
                .map(|m| m.samples.median())
                .reduce(f64::min);
            for m in &group {
                let med = m.samples.median();
                noisiest = noisiest.max(m.samples.spread());
                let ratio = |base: Option<f64>| {
                    base.map_or("–".to_string(), |b| format!("{:.2}×", b / med))
                };
                let floor = m
                    .floor_secs
                    .map_or("–".to_string(), |f| format!("{:.0} %", 100.0 * f / med));
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    m.workload,
                    m.size,
                    m.label(),
                    fmt_secs(med),
                    fmt_secs(m.samples.min()),
                    fmt_secs(m.samples.max()),
                    ratio(serial),
                    ratio(rayon),
                    floor,
                );
            }
        }
        let _ = writeln!(
            out,
            "\n\"vs serial\" and \"vs rayon\" are speed-ups (their median ÷ this median; > 1 means faster). \
             \"floor / median\" is the share of the bandwidth floor reached (100 % = at the floor). \
             Noise: the largest max/min spread of any contender was {noisiest:.2}."
        );
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }

    /// Every sample as JSON.
    pub fn json(&self) -> Value {
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|m| {
                json!({
                    "workload": m.workload,
                    "size": m.size,
                    "size_value": m.size_value,
                    "contender": m.contender,
                    "threads": m.threads,
                    "median_s": m.samples.median(),
                    "min_s": m.samples.min(),
                    "max_s": m.samples.max(),
                    "floor_s": m.floor_secs,
                    "samples_s": m.samples.secs,
                })
            })
            .collect();
        let b = self.bandwidth;
        json!({
            "machine": self.machine,
            "bandwidth_gbs": { "copy": b.copy, "triad": b.triad, "write": b.write, "threads": b.threads },
            "runs": runs,
            "notes": self.notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let run = |contender, threads, secs: &[f64]| Measurement {
            workload: "fill",
            size: "N=M=500".into(),
            size_value: 500.0,
            contender,
            threads,
            samples: Samples {
                secs: secs.to_vec(),
            },
            floor_secs: Some(0.001),
        };
        Report {
            machine: json!({
                "date": "2031-02-03 04:05 UTC",
                "cpu": "Test CPU 9000",
                "allowed_cpus": 2,
                "logical_cpus": 4,
                "memory_gib": 7.5,
                "simd": "avx2",
                "rustc": "rustc 1.95.0",
                "profile": "release build",
                "os": "linux",
            }),
            bandwidth: Bandwidth {
                copy: 12.5,
                triad: 13.3,
                write: 9.0,
                threads: 2,
            },
            runs: vec![
                run("serial", 1, &[0.004, 0.005, 0.006]),
                run("accel", 2, &[0.002, 0.002, 0.003]),
            ],
            notes: vec!["C fast-math: largest error 1e-15".into()],
        }
    }

    fn info() -> RunInfo {
        RunInfo {
            command: "cargo xtask bench --record".into(),
            mode: "default (medium sizes)".into(),
            threads: vec![1, 2],
            workloads: vec!["fill".into()],
            elapsed_secs: 61.4,
            files: "xtask/sample".into(),
        }
    }

    #[test]
    fn the_page_says_it_is_generated_and_names_date_machine_paths_and_run() {
        let page = report().performance_page(&info());
        assert!(
            page.starts_with("<!-- Generated by `cargo xtask bench --record`: do not edit"),
            "{page}"
        );
        for needle in [
            "2031-02-03 04:05 UTC",
            "| CPU | Test CPU 9000 |",
            "2 allowed to the run, 4 logical CPUs online",
            "| Memory | 7.5 GiB |",
            "copy 12.5 GB/s, triad 13.3 GB/s, write 9.0 GB/s (2 threads, accel pool)",
            "| SIMD path | `avx2` |",
            "- C fast-math: largest error 1e-15",
            "rustc 1.95.0, release build, linux",
            "- Command: `cargo xtask bench --record`",
            "- Mode: default (medium sizes)",
            "- Thread counts: 1, 2",
            "- Workloads: fill",
            "- Wall time of the run: 61 s",
            "`xtask/sample`",
        ] {
            assert!(page.contains(needle), "missing {needle:?} in\n{page}");
        }
    }

    #[test]
    fn the_page_holds_the_results_table_of_results_md() {
        let r = report();
        let page = r.performance_page(&info());
        let table = r.table();
        assert!(
            table.contains("| fill | N=M=500 | serial | 5.000 ms |"),
            "{table}"
        );
        assert!(
            table.contains("| fill | N=M=500 | accel ×2 | 2.000 ms |"),
            "{table}"
        );
        assert!(page.ends_with(&table), "{page}");
        assert!(r.markdown().ends_with(&table));
        // The table comes after the machine and run sections.
        let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("no {s:?}"));
        assert!(at("## Machine") < at("## Run") && at("## Run") < at("## Results"));
    }
}
