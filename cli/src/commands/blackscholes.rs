//! `accel blackscholes`: price the seed's options with the fused kernel.
//!
//! The inputs are the seed's (`OptionBatch::seed(N)`): five f64 streams of N
//! elements. Their size is checked against memory before anything is allocated.

use crate::args::BlackScholesArgs;
use crate::error::Error;
use crate::memory;

/// Bytes the run needs: five input streams, plus two put vectors with `--compare`.
pub fn bytes_needed(options: usize, compare: bool) -> Option<u128> {
    let streams = if compare { 7 } else { 5 };
    memory::product(&[options as u128, streams, 8])
}

/// Runs `accel blackscholes`.
pub fn run(args: &BlackScholesArgs) -> Result<(), Error> {
    memory::ensure_fits(bytes_needed(args.options, args.report.compare))
        .map_err(|e| Error::workload("blackscholes", format!("--options {} {e}", args.options)))?;
    Err(Error::workload(
        "blackscholes",
        "the accel kernels are not available in this build yet",
    ))
}
