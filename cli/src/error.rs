//! The one error type of the `accel` binary.
//!
//! Every failure the user can meet ends up as an [`Error`], which knows two things
//! the user cares about: the one line that explains it (naming the file or value and
//! the reason) and the exit status (2 for a bad command line, 3 for a failed
//! `--compare` accuracy check, 1 for everything else). `main` prints it as `accel: error: <line>` and exits; nothing else in the
//! binary prints errors.

use std::fmt;
use std::io;
use std::path::Path;

/// Exit status for command-line (usage) errors.
pub const EXIT_USAGE: i32 = 2;
/// Exit status for every other failure.
pub const EXIT_FAILURE: i32 = 1;
/// Exit status for a failed `--compare` accuracy check: the run worked, but its
/// result disagrees with the serial reference.
pub const EXIT_ACCURACY: i32 = 3;

/// A failure of the `accel` command, ready to be shown to the user.
#[derive(Debug)]
pub enum Error {
    /// A command-line value that cannot work, caught before touching any file.
    Usage {
        /// What the value is for, e.g. `--threads` or `output extension`.
        what: String,
        /// The offending value as the user typed it.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A clap parse error, already condensed to one line.
    CommandLine(String),
    /// The input file could not be read or understood.
    Input {
        /// The input path as given.
        path: String,
        /// Why it failed.
        reason: String,
    },
    /// The output file could not be prepared or written.
    Output {
        /// The output path as given.
        path: String,
        /// Why it failed.
        reason: String,
    },
    /// The workload's result disagrees with the serial reference (`--compare`).
    Accuracy {
        /// Which workload.
        workload: &'static str,
        /// The check that failed, with its numbers.
        reason: String,
    },
    /// Some files of a batch failed (each was reported as it failed).
    Batch {
        /// How many failed.
        failed: usize,
        /// How many files the batch had.
        total: usize,
        /// The exit status of the first failure.
        code: i32,
    },
    /// The workload could not run.
    Workload {
        /// Which workload (`blur`, `blackscholes`, `fill`).
        workload: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// An error that one rank of an MPI job met, which every rank returns
    /// (see `group::Group::agree`).
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    Rank {
        /// The lowest rank that failed.
        rank: usize,
        /// Its exit status.
        code: i32,
        /// Its one line.
        message: String,
    },
}

impl Error {
    /// A usage error about `what` having the value `value`.
    pub fn usage(
        what: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::Usage {
            what: what.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }

    /// An error reading the input file `path`.
    pub fn input(path: &Path, reason: impl Into<String>) -> Self {
        Error::Input {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }

    /// An error about the output file `path`.
    pub fn output(path: &Path, reason: impl Into<String>) -> Self {
        Error::Output {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }

    /// A failed `--compare` accuracy check of `workload`; the line reads
    /// "`workload`: accuracy check failed: `reason`".
    pub fn accuracy(workload: &'static str, reason: impl Into<String>) -> Self {
        Error::Accuracy {
            workload,
            reason: reason.into(),
        }
    }

    /// A failure inside a workload (a kernel error).
    pub fn workload(workload: &'static str, reason: impl Into<String>) -> Self {
        Error::Workload {
            workload,
            reason: reason.into(),
        }
    }

    /// The process exit status this error stands for.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. } | Error::CommandLine(_) => EXIT_USAGE,
            Error::Accuracy { .. } => EXIT_ACCURACY,
            Error::Batch { code, .. } | Error::Rank { code, .. } => *code,
            _ => EXIT_FAILURE,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage {
                what,
                value,
                reason,
            } => {
                write!(f, "invalid {what} '{value}': {reason}")
            }
            Error::CommandLine(line) => f.write_str(line),
            Error::Input { path, reason } => write!(f, "input '{path}': {reason}"),
            Error::Output { path, reason } => write!(f, "output '{path}': {reason}"),
            Error::Accuracy { workload, reason } => {
                write!(f, "{workload}: accuracy check failed: {reason}")
            }
            Error::Workload { workload, reason } => write!(f, "{workload}: {reason}"),
            Error::Rank {
                rank: 0, message, ..
            } => f.write_str(message),
            Error::Rank { rank, message, .. } => write!(f, "{message} (on rank {rank})"),
            Error::Batch { failed, total, .. } => write!(
                f,
                "blur: {failed} of {total} files failed (each is reported above); the others \
                 were written"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Describes an I/O error in a few plain words, without the `(os error N)` noise.
pub fn describe_io(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::UnexpectedEof => "file is truncated (unexpected end of file)".to_string(),
        io::ErrorKind::IsADirectory => "is a directory".to_string(),
        io::ErrorKind::StorageFull => "no space left on device".to_string(),
        io::ErrorKind::ReadOnlyFilesystem => "read-only file system".to_string(),
        _ => {
            let text = err.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
    }
}

/// Squeezes a message onto one line: the user contract is one line per failure.
pub fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for (i, part) in text
        .lines()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        if i > 0 {
            line.push_str("; ");
        }
        line.push_str(part);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_exit_2_and_others_exit_1() {
        assert_eq!(
            Error::usage("--threads", "0", "must be at least 1").exit_code(),
            2
        );
        assert_eq!(Error::CommandLine("x".into()).exit_code(), 2);
        assert_eq!(
            Error::input(Path::new("a.png"), "no such file").exit_code(),
            1
        );
        assert_eq!(Error::output(Path::new("b.png"), "nope").exit_code(), 1);
        assert_eq!(Error::workload("blur", "bad").exit_code(), 1);
        let accuracy = Error::accuracy("blur", "largest difference 1e-3");
        assert_eq!(accuracy.exit_code(), 3);
        assert_eq!(
            accuracy.to_string(),
            "blur: accuracy check failed: largest difference 1e-3"
        );
    }

    #[test]
    fn messages_name_the_value() {
        let e = Error::usage("--threads", "0", "must be at least 1");
        assert_eq!(e.to_string(), "invalid --threads '0': must be at least 1");
        let e = Error::input(Path::new("dir/a.png"), "no such file or directory");
        assert_eq!(
            e.to_string(),
            "input 'dir/a.png': no such file or directory"
        );
    }

    #[test]
    fn one_line_joins_lines() {
        assert_eq!(one_line("a\n\n  b  \nc"), "a; b; c");
        assert_eq!(one_line("single"), "single");
    }

    #[test]
    fn io_errors_lose_os_error_suffix() {
        let e = io::Error::from_raw_os_error(5); // EIO
        assert!(!describe_io(&e).contains("os error"));
        let e = io::Error::from(io::ErrorKind::NotFound);
        assert_eq!(describe_io(&e), "no such file or directory");
    }
}
