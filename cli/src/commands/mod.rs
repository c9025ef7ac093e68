//! The subcommands: each module turns parsed arguments into work and a report.

pub mod blackscholes;
pub mod blur;
pub mod fill;
pub mod info;

use crate::args::Command;
use crate::error::Error;

/// Runs the chosen subcommand.
pub fn run(command: &Command) -> Result<(), Error> {
    match command {
        Command::Blur(args) => blur::run(args),
        Command::Blackscholes(args) => blackscholes::run(args),
        Command::Fill(args) => fill::run(args),
        Command::Info(args) => info::run(args),
    }
}
