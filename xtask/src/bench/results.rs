//! What one benchmark run found, and how it is written down: a Markdown table (for
//! people and the README) and JSON (every sample, for anyone who wants to re-analyse).

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
}

fn fmt_secs(s: f64) -> String {
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

    /// The Markdown summary: the machine, its bandwidth, and one table per workload.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "# accel benchmark\n");
        let _ = writeln!(
            out,
            "{} · {} · {} CPUs allowed · SIMD path `{}` · {} · {}\n",
            m["date"].as_str().unwrap_or("?"),
            m["cpu"].as_str().unwrap_or("?"),
            m["allowed_cpus"],
            m["simd"].as_str().unwrap_or("?"),
            m["rustc"].as_str().unwrap_or("?"),
            m["profile"].as_str().unwrap_or("?"),
        );
        let b = self.bandwidth;
        let _ = writeln!(
            out,
            "Memory bandwidth ({} threads, accel pool): copy {:.1} GB/s, triad {:.1} GB/s, write {:.1} GB/s\n",
            b.threads, b.copy, b.triad, b.write
        );
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
        })
    }
}
