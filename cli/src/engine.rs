//! The bridge to the runtime and the kernels (`accel-pool`, `accel-kernels`).
//!
//! Every call the command makes into the parallel machinery goes through here, so
//! the rest of the binary deals only in planes, seconds and [`Error`]s. While the
//! kernel crates are still being built, the workload entry points answer with a
//! clear "not available in this build" error; `--iters 0` and everything around the
//! kernels (I/O, validation, reporting) already work.

use crate::args::{BoundaryArg, PoolArgs};
use crate::error::Error;
use crate::system;

/// The thread team a workload runs on.
#[derive(Debug)]
pub struct Engine {
    threads: usize,
    pin: bool,
    cpus: usize,
}

impl Engine {
    /// A team as `--threads`/`--no-pin` ask (default: one thread per allowed CPU).
    pub fn new(args: &PoolArgs) -> Result<Self, Error> {
        let threads = match args.threads {
            Some(n) => n,
            None => system::default_threads().count(),
        };
        Ok(Engine {
            threads,
            pin: !args.no_pin,
            cpus: system::allowed_cpus().0.len(),
        })
    }

    /// Number of threads in the team.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Whether (some) workers are pinned to CPUs.
    pub fn pinned(&self) -> bool {
        self.pin
    }

    /// How the workers are placed, for the summary line.
    pub fn pinning(&self) -> String {
        match (self.pin, self.threads > self.cpus) {
            (false, _) => "unpinned (--no-pin)".to_string(),
            (true, false) => format!("pinned to {} CPUs", self.threads),
            (true, true) => {
                let extra = self.threads - self.cpus;
                let s = if extra == 1 { "" } else { "s" };
                format!(
                    "pinned to {} CPUs, {extra} thread{s} beyond the CPU count unpinned",
                    self.cpus
                )
            }
        }
    }

    /// Blurs one plane in place, calling `progress(iterations_done)` as it goes.
    pub fn blur_plane(
        &self,
        _plane: &mut [f32],
        _width: usize,
        _height: usize,
        _iters: usize,
        _boundary: BoundaryArg,
        _progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(), Error> {
        Err(unavailable("blur"))
    }

    /// Blurs one plane in place with the plain serial reference.
    pub fn blur_plane_serial(
        _plane: &mut [f32],
        _width: usize,
        _height: usize,
        _iters: usize,
        _boundary: BoundaryArg,
    ) -> Result<(), Error> {
        Err(unavailable("blur"))
    }
}

fn unavailable(workload: &'static str) -> Error {
    Error::workload(
        workload,
        "the accel kernels are not available in this build yet",
    )
}

/// Which SIMD code path the fused kernels use on this CPU.
pub fn simd_path() -> Option<&'static str> {
    None
}
