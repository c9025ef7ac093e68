//! # accel-pool: the runtime
//!
//! A work-stealing pool of worker threads pinned to cores (crossbeam deques,
//! core_affinity). It will own `join`, `scope`, OpenMP-style parallel loops and
//! reductions, team regions with a barrier for iterated stencils, and the parallel
//! execution of `accel-core`'s IR. Kernels never spawn threads: they hand work here.
