//! What the command prints on success: one summary line, or one JSON object.
//!
//! Everything goes to stdout through [`emit`], which turns a closed pipe into an
//! ordinary error instead of a panic. Numbers are formatted for people here
//! (seconds with sensible precision, rates with SI prefixes); JSON gets raw values.

use std::io::Write;

use crate::error::Error;

/// Prints one line (or JSON document) to stdout.
///
/// A reader that stopped reading (`accel info | head -3`) is not an error: the
/// work is done and the output file, if any, is already in place, so a broken
/// pipe ends the command quietly, as it does for other Unix tools.
pub fn emit(text: &str) -> Result<(), Error> {
    if silent() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::output(
            std::path::Path::new("<stdout>"),
            crate::error::describe_io(&e),
        )),
        _ => Ok(()),
    }
}

/// [`emit`] for a report that follows a result already written to a file: a
/// summary that cannot be printed (stdout on a full disk, `> /dev/full`) becomes
/// a warning on stderr naming the file, not a failure: the file is there.
pub fn emit_after_output(text: &str, output: &std::path::Path) -> Result<(), Error> {
    if let Err(e) = emit(text) {
        eprintln!(
            "accel: warning: {e}; the summary is lost, but '{}' was written",
            output.display()
        );
    }
    Ok(())
}

/// Prints a JSON value on one line.
pub fn emit_json(value: &serde_json::Value) -> Result<(), Error> {
    emit(&value.to_string())
}

/// Seconds with three significant digits: "1.52 s", "35.1 ms", "812 µs".
pub fn seconds(s: f64) -> String {
    if !s.is_finite() {
        return format!("{s} s");
    }
    let (value, unit) = if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else if s >= 1e-6 {
        (s * 1e6, "µs")
    } else {
        (s * 1e9, "ns")
    };
    format!("{} {unit}", three_digits(value))
}

/// A rate with an SI prefix: `rate(2.5e9, "pixel·iter/s")` → "2.50 Gpixel·iter/s".
pub fn rate(per_second: f64, unit: &str) -> String {
    if !per_second.is_finite() {
        return format!("∞ {unit}");
    }
    let prefixes = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    for (scale, prefix) in prefixes {
        if per_second >= scale {
            return format!("{} {prefix}{unit}", three_digits(per_second / scale));
        }
    }
    format!("{} {unit}", three_digits(per_second))
}

fn three_digits(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The largest differences between a result and its serial reference.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ErrorStats {
    /// Largest absolute difference.
    pub max_abs: f64,
    /// Largest relative difference, `|a − b| / max(|a|, |b|)` (0 where both are 0).
    pub max_rel: f64,
    /// Whether some element differed in being NaN.
    pub nan_mismatch: bool,
}

impl ErrorStats {
    /// Accumulates one pair (result, reference).
    pub fn add(&mut self, got: f64, want: f64) {
        if got.is_nan() || want.is_nan() {
            if got.is_nan() != want.is_nan() {
                self.nan_mismatch = true;
            }
            return;
        }
        let abs = (got - want).abs();
        let scale = got.abs().max(want.abs());
        let rel = if scale > 0.0 { abs / scale } else { 0.0 };
        self.max_abs = self.max_abs.max(abs);
        self.max_rel = self.max_rel.max(rel);
    }
}

/// The outcome of `--compare`: the serial reference's time and the errors against it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// Seconds the serial reference took.
    pub serial_seconds: f64,
    /// Seconds the accel kernel took.
    pub accel_seconds: f64,
    /// Errors of the accel result against the serial one.
    pub errors: ErrorStats,
}

impl Comparison {
    /// Serial seconds ÷ accel seconds.
    pub fn speedup(&self) -> f64 {
        self.serial_seconds / self.accel_seconds
    }

    /// The human part of the summary: "serial 3.1 s, speed-up 12.4×, max error …".
    pub fn summary(&self) -> String {
        format!(
            "serial {}, speed-up {:.2}×, max error {:.2e} abs / {:.2e} rel",
            seconds(self.serial_seconds),
            self.speedup(),
            self.errors.max_abs,
            self.errors.max_rel
        )
    }

    /// [`summary`](Self::summary) where a speed-up would be noise (`why`, e.g.
    /// "nothing to fill"): "serial 40 ns, no speed-up (nothing to fill), max error …".
    pub fn summary_without_speedup(&self, why: &str) -> String {
        format!(
            "serial {}, no speed-up ({why}), max error {:.2e} abs / {:.2e} rel",
            seconds(self.serial_seconds),
            self.errors.max_abs,
            self.errors.max_rel
        )
    }

    /// Adds `serial_seconds`, `speedup`, `max_abs_err`, `max_rel_err` to a JSON object.
    pub fn add_to(&self, json: &mut serde_json::Value) {
        if let Some(obj) = json.as_object_mut() {
            obj.insert("serial_seconds".into(), self.serial_seconds.into());
            obj.insert("speedup".into(), finite_or_null(self.speedup()));
            obj.insert("max_abs_err".into(), self.errors.max_abs.into());
            obj.insert("max_rel_err".into(), self.errors.max_rel.into());
        }
    }
}

/// A JSON number, or null for infinities and NaN (which JSON cannot hold).
pub fn finite_or_null(v: f64) -> serde_json::Value {
    if v.is_finite() {
        v.into()
    } else {
        serde_json::Value::Null
    }
}

/// Whether this process keeps quiet: a rank other than 0 of an MPI job, whose
/// summaries rank 0 prints (see `group`).
static SILENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes [`emit`] (and so every summary and error line) print nothing from now on.
pub fn silence() {
    SILENT.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether [`silence`] was called.
pub fn silent() -> bool {
    SILENT.load(std::sync::atomic::Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_numbers() {
        assert_eq!(seconds(1.5234), "1.52 s");
        assert_eq!(seconds(0.0351), "35.1 ms");
        assert_eq!(seconds(0.000812), "812 µs");
        assert_eq!(rate(2.5e9, "pixel·iter/s"), "2.50 Gpixel·iter/s");
        assert_eq!(rate(12.0, "options/s"), "12.0 options/s");
        assert_eq!(rate(f64::INFINITY, "x/s"), "∞ x/s");
    }

    #[test]
    fn error_stats() {
        let mut s = ErrorStats::default();
        s.add(1.0, 1.0);
        s.add(0.0, 0.0);
        assert_eq!(s, ErrorStats::default());
        s.add(2.0, 1.0);
        assert_eq!((s.max_abs, s.max_rel), (1.0, 0.5));
        s.add(f64::NAN, f64::NAN);
        assert!(!s.nan_mismatch);
        s.add(f64::NAN, 1.0);
        assert!(s.nan_mismatch);
    }

    #[test]
    fn comparison_json() {
        let c = Comparison {
            serial_seconds: 2.0,
            accel_seconds: 0.5,
            errors: ErrorStats::default(),
        };
        let mut json = serde_json::json!({"workload": "x"});
        c.add_to(&mut json);
        assert_eq!(json["speedup"], 4.0);
        assert_eq!(json["max_abs_err"], 0.0);
        assert!(c.summary().contains("4.00×"));
    }
}
