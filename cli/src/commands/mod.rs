//! The subcommands: each module turns parsed arguments into work and a report.

pub mod blackscholes;
pub mod blur;
pub mod fill;
pub mod info;

use crate::args::Command;
use crate::error::Error;
use crate::group::Group;

/// Runs the chosen subcommand.
/// Under MPI every rank runs the same subcommand on its share (see `group`).
pub fn run(command: &Command, group: &Group) -> Result<(), Error> {
    let result = match command {
        Command::Blur(args) => blur::run(args, group),
        Command::Blackscholes(args) => blackscholes::run(args, group),
        Command::Fill(args) => fill::run(args, group),
        Command::Info(args) => info::run(args, group),
    };
    // The last agreement: a rank that failed alone stops every rank here.
    group.agree(result)
}
