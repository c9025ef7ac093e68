//! # accel-kernels: the three workloads
//!
//! Each kernel is written against `accel-core`'s IR and executed by `accel-pool`, and
//! each has a plain serial reference in this crate that the tests compare against:
//! filling a banded-block-banded matrix block by block, the fused Black-Scholes
//! option pricer, and the iterated 5×5 Gaussian blur.

pub mod blackscholes;
pub mod blur;
pub mod fill;
