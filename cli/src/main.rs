//! The `accel` command: runs accel's workloads on the user's own data.
//!
//! `accel blur` blurs images and `.npy` arrays, `accel blackscholes` prices options,
//! `accel fill` fills block-banded matrices and `accel info` describes the machine.
//! Library crates never print, so all user-facing text lives here, under one rule:
//! success prints one summary line (or one JSON object) on stdout; failure prints
//! exactly one line, `accel: error: …`, on stderr and exits with status 2 for a bad
//! command line or 1 for anything else — never a panic message or a backtrace.

mod args;
mod commands;
mod convert;
mod density;
mod engine;
mod error;
mod formats;
mod group;
mod image_file;
mod input;
mod interrupt;
mod memory;
mod npy;
mod output;
mod progress;
mod raster;
mod report;
mod system;
mod tiff_file;

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;

use crate::args::{ClapOutcome, Cli};
use crate::error::{EXIT_FAILURE, Error, one_line};
use crate::group::Group;

fn main() -> ExitCode {
    install_panic_hook();
    interrupt::install();
    let group = match Group::join() {
        Ok(group) => group,
        Err(err) => {
            print_error(&err.to_string());
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(1));
        }
    };
    if !group.is_root() {
        // Rank 0 prints for the whole MPI job.
        report::silence();
    }
    // Unwinding (rather than exiting from the hook) lets destructors run, so a
    // half-written temporary output file is removed even after a bug.
    let status = match panic::catch_unwind(AssertUnwindSafe(|| run(&group))) {
        Ok(status) => status,
        Err(_) => {
            // The other ranks may be waiting for this one: end them all.
            group.abort_on_bug();
            EXIT_FAILURE
        }
    };
    ExitCode::from(u8::try_from(status).unwrap_or(1))
}

/// Parses the command line, runs the subcommand, and reports a failure in one line.
fn run(group: &Group) -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            return match args::condense_clap_error(&err) {
                ClapOutcome::Print => match err.print() {
                    Ok(()) => 0,
                    Err(_) => EXIT_FAILURE,
                },
                ClapOutcome::Fail(line) => {
                    let err = Error::CommandLine(line);
                    print_error(&err.to_string());
                    err.exit_code()
                }
            };
        }
    };
    match commands::run(&cli.command, group) {
        Ok(()) => 0,
        Err(err) => {
            print_error(&err.to_string());
            err.exit_code()
        }
    }
}

/// Prints `accel: error: <message>` on one line of stderr.
fn print_error(message: &str) {
    if report::silent() {
        return;
    }
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "accel: error: {}", one_line(message));
}

/// Replaces Rust's panic message and backtrace with one line naming the bug.
fn install_panic_hook() {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    panic::set_hook(Box::new(|info| {
        if REPORTED.swap(true, Ordering::SeqCst) {
            return; // one line per run, even if several threads panic
        }
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        // Printed whatever the rank: the rank with the bug is the one that
        // knows it, and it ends the other ranks next.
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(
            stderr,
            "accel: error: {}",
            one_line(&format!(
                "internal error: {what}{place} (this is a bug in accel; please report it)"
            ))
        );
    }));
}
