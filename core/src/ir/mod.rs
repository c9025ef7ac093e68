//! The parallel-pattern IR: pointwise expressions and the Map, Reduce, Comprehension
//! and Stencil patterns, their passes and the serial executors.
//!
//! # The pieces
//! - **Expressions** ([`graph`]): a hash-consed DAG of pointwise operations over array
//!   reads, constants and the loop index: `+ − × ÷`, neg, abs, min, max, sqrt, exp, ln,
//!   log10, erf, comparisons, `and`/`or`/`not` and select ([`op`]).
//! - **Handles** ([`Ex`], [`Cond`]): `Copy` values with Rust operators that add nodes to a
//!   [`Builder`]'s graph, so a formula reads like its source and yields a graph.
//! - **Patterns** ([`Program`]): `Map` (n outputs from k same-length inputs), `Reduce`
//!   (sum, prod, min, max, any, all), `Comprehension` (an index range, reads at constant
//!   offsets checked when built); Stencils live in [`stencil`].
//! - **Passes** ([`Program::optimize`]): fusion (map∘map, map→reduce, sibling loops),
//!   CSE, constant folding, dead-output removal; none reassociates.
//! - **Dump**: `Display` on [`Program`] lists each loop with its range, its fused
//!   patterns, what it reads and writes, and its operations.
//! - **Execution**: [`Plan`] compiles each loop to a [`Stage`], a register machine over
//!   L1-sized blocks; [`Stage::run_range`] runs any sub-range and is what a parallel
//!   runtime calls from many threads. [`Program::evaluate`] is the simple
//!   one-index-at-a-time reference.
//!
//! # Staging: one formula, two executions
//! Graphs are for analysis, the dump and the general interpreter. For speed, the same
//! formula source is also compiled: written once generically over [`Real`] (usually as
//! a [`Formula`]), it builds a graph when called with handles and is plain, fully fused
//! scalar code when called with `f64`/`f32`, or vector code when called with [`Lanes`]
//! by [`map_formula`] / [`map_reduce_formula`] (which need no heap, for embedded use).
//! All executions compute bit-identical values: every operation has one scalar
//! definition ([`op::eval`]) and reductions have one fixed lane order ([`ReduceOp`]).
//!
//! ```
//! use accel_core::ir::{Builder, DType, Formula, Plan, Real, ReduceOp, erf, exp, log10};
//! use accel_core::ir::{map_reduce_formula, sqrt};
//!
//! #[inline(always)]
//! fn cndf2<T: Real>(x: T) -> T {
//!     let c = T::lit;
//!     c(0.5) + c(0.5) * erf(c(0.707106781) * x)
//! }
//!
//! /// Black-Scholes put price, line for line as the Julia benchmark.
//! struct Put;
//! impl Formula<5, 1> for Put {
//!     #[inline(always)]
//!     fn eval<T: Real>(&self, [spt, strike, rate, vol, time]: [T; 5]) -> [T; 1] {
//!         let c = T::lit;
//!         let logterm = log10(spt / strike);
//!         let powterm = c(0.5) * vol * vol;
//!         let den = vol * sqrt(time);
//!         let d1 = ((rate + powterm) * time + logterm) / den;
//!         let d2 = d1 - den;
//!         let fv = strike * exp(-rate * time);
//!         let call = spt * cndf2(d1) - fv * cndf2(d2);
//!         [call - fv + spt]
//!     }
//! }
//!
//! let n = 1000;
//! let strike: Vec<f64> = (1..=n).map(|i| 40.0 + i as f64 / n as f64).collect();
//! let [spt, rate, vol, time] = [42.0, 0.5, 0.2, 0.5].map(|v| vec![v; n]);
//!
//! // (a) As a graph: build, optimise, inspect, interpret.
//! let b = Builder::new(DType::F64);
//! let h = ["spt", "strike", "rate", "vol", "time"].map(|s| b.input(s, n).unwrap());
//! let [put] = Put.eval(h);
//! let p = b.output("put", put)?;
//! b.sum("checksum", p)?;
//! let mut prog = b.finish()?;
//! prog.optimize();
//! assert_eq!(prog.loops().len(), 1);
//! let plan = Plan::<f64>::compile(&prog)?;
//! let mut out = vec![0.0; n];
//! let sums = plan.run(&[&spt, &strike, &rate, &vol, &time], &mut [&mut out])?;
//!
//! // (b) Staged: the same source, compiled to vector code over blocks of lanes.
//! let mut fast = vec![0.0; n];
//! let sum = map_reduce_formula(ReduceOp::Sum, 0, [&spt, &strike, &rate, &vol, &time],
//!     [&mut fast], &Put).unwrap();
//! assert_eq!(out, fast); // bit-identical
//! assert_eq!(sums[0], sum);
//! # Ok::<(), accel_core::ir::IrError>(())
//! ```
//!
//! # Speed
//! The staged [`map_reduce_formula`] is faster than the plan's interpreter, which
//! keeps one buffer per graph node, and both gain from being compiled for a wider
//! instruction set (wrap the call in a `#[target_feature]` function). For
//! Black-Scholes, `erf`, `exp` and `log10` dominate either way. Recorded timings
//! are in `docs/PERFORMANCE.md`.

pub mod lanes;
pub mod op;
pub mod real;
pub mod slices;
pub mod stencil;

#[cfg(feature = "alloc")]
pub mod builder;
#[cfg(feature = "alloc")]
pub mod dump;
#[cfg(feature = "alloc")]
pub mod error;
#[cfg(feature = "alloc")]
pub mod exec;
#[cfg(feature = "alloc")]
pub mod graph;
#[cfg(feature = "alloc")]
pub mod handle;
#[cfg(feature = "alloc")]
pub mod passes;
#[cfg(feature = "alloc")]
pub mod plan;
#[cfg(feature = "alloc")]
pub mod program;
#[cfg(feature = "alloc")]
pub mod reference;

pub use lanes::{LaneMask, Lanes};
pub use op::{BinOp, LANES, ReduceOp, UnOp, ValueKind};
pub use real::{DType, Element, Real, abs, erf, exp, ln, log10, max, min, select, sqrt};
pub use slices::{
    BLOCK_LANES, Formula, SliceError, SliceRole, map_formula, map_reduce_formula,
    map_reduce_slices, map_slices, padded_block, reduce_formula, reduce_slices,
};

#[cfg(feature = "alloc")]
pub use builder::{Builder, Style};
#[cfg(feature = "alloc")]
pub use dump::{Explained, dump_formula};
#[cfg(feature = "alloc")]
pub use error::IrError;
#[cfg(feature = "alloc")]
pub use exec::Scratch;
#[cfg(feature = "alloc")]
pub use graph::{ArrayId, Expr, Graph, NodeId};
#[cfg(feature = "alloc")]
pub use handle::{Cond, Ex};
#[cfg(feature = "alloc")]
pub use passes::PassStats;
#[cfg(feature = "alloc")]
pub use plan::{Plan, PlanOptions, Stage};
#[cfg(feature = "alloc")]
pub use program::{
    ArrayDecl, ArrayRole, Loop, OpCounts, OpKind, PatternKind, Program, ReductionDecl, ReductionId,
};
#[cfg(feature = "alloc")]
pub use reference::Evaluation;
