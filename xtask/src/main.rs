//! `cargo xtask`: accel's project automation, in plain Rust rather than shell.
//!
//! - `cargo xtask bench`: the benchmark suite (the project's main job);
//! - `cargo xtask criterion-table`: the medians of the last `cargo bench` run as a
//!   Markdown table, accel, rayon and serial side by side;
//! - `cargo xtask embedded`: builds `accel-core` for a bare-metal Cortex-M target,
//!   with and without `alloc`, then builds a firmware on it and runs it on an
//!   emulated Cortex-M4F, checking its results bit for bit against the host and
//!   its stack against a budget.

mod bench;
mod criterion_table;
mod embedded;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  bench            run accel's benchmark suite
  criterion-table  print the last `cargo bench` run's medians as a Markdown table
  embedded         build accel-core for thumbv7em-none-eabihf (no_std, with and without alloc),
                   run a firmware on it under QEMU (Cortex-M4F) and check it against the host
                   (--build-only: the library builds alone)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("embedded") => embedded::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("criterion-table") => criterion_table::run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprint!("xtask: error: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}
