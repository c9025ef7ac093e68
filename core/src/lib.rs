//! # accel-core: the model, with no threads and no I/O
//!
//! accel splits *what* is computed from *how* it is scheduled. This crate owns the
//! "what" and the arithmetic of the "how", and nothing else, so that it builds for
//! embedded targets (`#![no_std]`) and can be tested in isolation:
//!
//! - [`banded`]: the BlockBandedMatrices.jl storage layout of a banded-block-banded
//!   matrix (block sizes, bands, offsets, per-block costs);
//! - [`partition`]: exact balanced and weighted splits of index ranges, 2-D tiles with
//!   halos, and the grain-size rule that keeps tiny work serial;
//! - `ir`: the parallel-pattern IR (map, reduce, comprehension, stencil), its fusion
//!   passes and the serial reference executor that runs one chunk or tile;
//! - `math`: branch-free, vectorisable `exp`, `ln`, `log10`, `erf` with stated error bounds;
//! - [`simd`]: which SIMD path the vectorised kernels run, detected once and forceable
//!   (`ACCEL_SIMD`).
//!
//! `accel-pool` runs this crate's IR in parallel; `accel-kernels` writes the workloads
//! in it. Without the default `alloc` feature, sizes, partitions and the executors over
//! caller-provided slices still work, with no heap.
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod banded;
pub mod ir;
pub mod math;
pub mod partition;
pub mod simd;
