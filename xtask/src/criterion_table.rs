//! `cargo xtask criterion-table`: the medians of the last `cargo bench` run, one
//! row per benchmark group, contenders side by side.
//!
//! Criterion writes one `new/estimates.json` (and `new/benchmark.json`, which
//! names the group and the function) per measured function under
//! `<target>/criterion/`. Every bench in this workspace measures accel, rayon and
//! a serial loop in one group, so a table of those groups is exactly the
//! side-by-side comparison the project reports: this command prints it as
//! Markdown, with accel's ratio to rayon and its distance from serial.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

const USAGE: &str = "\
usage: cargo xtask criterion-table [--dir DIR] [--filter TEXT]

Prints the medians of the last criterion run (e.g. `cargo bench -p accel-pool`) as
a Markdown table, one row per benchmark group.

  --dir DIR      criterion's output directory (default: $CARGO_TARGET_DIR/criterion,
                 or target/criterion in the workspace)
  --filter TEXT  only groups whose name contains TEXT
";

/// Columns shown first, in this order; other functions follow alphabetically.
const FIRST: [&str; 3] = ["accel", "rayon", "serial"];

/// Runs the command.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut dir: Option<PathBuf> = None;
    let mut filter = String::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--dir" => dir = Some(it.next().ok_or("--dir needs a directory")?.into()),
            "--filter" => filter = it.next().ok_or("--filter needs a text")?.clone(),
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("criterion-table: unknown argument `{other}`")),
        }
    }
    let dir = dir.unwrap_or_else(default_dir);
    if !dir.is_dir() {
        return Err(format!(
            "no criterion results in {} (run `cargo bench` first, or pass --dir)",
            dir.display()
        ));
    }
    let mut groups: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    collect(&dir, &mut groups)?;
    groups.retain(|name, _| name.contains(&filter));
    if groups.is_empty() {
        return Err(format!("no benchmark results under {}", dir.display()));
    }
    print!("{}", table(&groups));
    Ok(())
}

/// `$CARGO_TARGET_DIR/criterion`, or the workspace's `target/criterion`.
fn default_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("criterion")
}

/// Walks `dir` for `new/benchmark.json` + `new/estimates.json` pairs.
fn collect(dir: &Path, groups: &mut BTreeMap<String, BTreeMap<String, f64>>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let (bench, est) = (
            path.join("new/benchmark.json"),
            path.join("new/estimates.json"),
        );
        if bench.is_file() && est.is_file() {
            let bench = read_json(&bench)?;
            let est = read_json(&est)?;
            let group = bench["group_id"].as_str().unwrap_or("?").to_owned();
            let function = bench["function_id"].as_str().unwrap_or("?").to_owned();
            if let Some(median) = est["median"]["point_estimate"].as_f64() {
                groups.entry(group).or_default().insert(function, median);
            }
        } else if path.file_name().is_some_and(|n| n != "report") {
            collect(&path, groups)?;
        }
    }
    Ok(())
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The Markdown table of `groups` (medians in ns).
fn table(groups: &BTreeMap<String, BTreeMap<String, f64>>) -> String {
    let mut columns: Vec<String> = FIRST.iter().map(|s| s.to_string()).collect();
    for functions in groups.values() {
        for name in functions.keys() {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    columns.retain(|c| groups.values().any(|f| f.contains_key(c)));
    let mut out = String::from("| benchmark |");
    for c in &columns {
        out += &format!(" {c} |");
    }
    out += " accel / rayon | accel − serial |\n|---|";
    out += &"---:|".repeat(columns.len() + 2);
    out.push('\n');
    for (group, functions) in groups {
        out += &format!("| {group} |");
        for c in &columns {
            out += &format!(
                " {} |",
                functions.get(c).map_or(String::new(), |&ns| duration(ns))
            );
        }
        let (accel, rayon, serial) = (
            functions.get("accel"),
            functions.get("rayon"),
            functions.get("serial"),
        );
        match (accel, rayon) {
            (Some(a), Some(r)) => out += &format!(" {:.2} |", a / r),
            _ => out += " |",
        }
        match (accel, serial) {
            (Some(a), Some(s)) => {
                let d = a - s;
                let sign = if d < 0.0 { "−" } else { "+" };
                out += &format!(" {sign}{} |", duration(d.abs()));
            }
            _ => out += " |",
        }
        out.push('\n');
    }
    out
}

/// `ns` with a unit that keeps three or four significant digits.
fn duration(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.3} s", ns / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_their_unit() {
        assert_eq!(duration(12.34), "12.3 ns");
        assert_eq!(duration(1_500.0), "1.50 µs");
        assert_eq!(duration(2_345_678.0), "2.35 ms");
        assert_eq!(duration(3.2e9), "3.200 s");
    }

    #[test]
    fn tables_put_contenders_side_by_side() {
        let mut groups = BTreeMap::new();
        groups.insert(
            "join/2_threads".to_owned(),
            BTreeMap::from([
                ("accel".to_owned(), 8.0),
                ("rayon".to_owned(), 16.0),
                ("serial".to_owned(), 1.0),
            ]),
        );
        groups.insert(
            "stencil/2_threads".to_owned(),
            BTreeMap::from([("accel".to_owned(), 2e6), ("rayon_inside".to_owned(), 3e6)]),
        );
        let t = table(&groups);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "| benchmark | accel | rayon | serial | rayon_inside | accel / rayon | accel − serial |"
        );
        assert_eq!(
            lines[2],
            "| join/2_threads | 8.0 ns | 16.0 ns | 1.0 ns |  | 0.50 | +7.0 ns |"
        );
        assert_eq!(
            lines[3],
            "| stencil/2_threads | 2.00 ms |  |  | 3.00 ms | | |"
        );
    }
}
