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
    match result {
        // Every failure a user can meet is agreed among the ranks where it
        // happens (an `Error::Rank` on every rank). One that was not leaves the
        // other ranks waiting for this one: it is a bug, and ends them all.
        Err(e) if group.distributed() && !matches!(e, Error::Rank { .. }) => {
            eprintln!(
                "accel: error: {} (rank {} failed outside an agreement; this is a bug in accel, ending every rank)",
                crate::error::one_line(&e.to_string()),
                group.rank()
            );
            group.abort_on_bug();
            Err(e)
        }
        other => other,
    }
}
