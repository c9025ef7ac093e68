//! Running core's compiled IR (a [`Plan`]) on the pool.
//!
//! # Protocol
//! ```text
//! for each stage of the plan, in order (core binds its arrays, temporaries included):
//!     cut stage.domain() into fixed pieces of stage_grain(stage) elements
//!     run the pieces in parallel (Pool::reduce): piece p runs Stage::run_range_on(path, p)
//!         on the worker's own Scratch, writing only its own sub-slice of every output
//!     fold the pieces' reduction partials left to right with each ReduceOp
//! ```
//! The pieces depend only on the stage (its chunk and its cost per element), never
//! on the thread count, and [`Pool::reduce`] folds them in index order, so maps are
//! bit-identical to core's serial [`Plan::run_on`] on the same SIMD path and
//! reductions are bit-identical for any number of threads. The path (the active
//! one unless a caller names another) decides how every piece is compiled: each
//! `*_on` entry checks it once, and the pieces run core's AVX build, or its
//! portable one, through [`Stage::run_range_on`]. A stage whose whole domain is one piece runs inline
//! on the caller with no synchronisation. Pieces write disjoint sub-slices, which
//! is the one fact the [`SharedSlice`] accesses below rely on.

use std::ops::Range;
use std::sync::Mutex;

use accel_core::ir::{Element, IrError, Plan, Scratch, Stage};
use accel_core::simd::SimdPath;

use crate::pool::{DEFAULT_COST_GRAIN, Pool};
use crate::shared::SharedSlice;

/// The cost (in [`Stage::cost_per_element`] units, about a nanosecond or less
/// each) of one piece of a stage: four grains, so the per-piece costs (a scratch
/// lookup, the partials' vector) stay under a few per cent.
///
/// ```
/// assert_eq!(accel_pool::PLAN_PIECE_COST, 4 * accel_pool::DEFAULT_COST_GRAIN);
/// ```
pub const PLAN_PIECE_COST: u64 = 4 * DEFAULT_COST_GRAIN;

/// The elements per piece [`Pool::run_plan`] cuts `stage`'s domain into: a multiple
/// of the stage's chunk costing about [`PLAN_PIECE_COST`]. It depends only on the
/// stage, which is what makes the reductions independent of the thread count.
///
/// ```
/// use accel_core::ir::{Builder, DType, Plan};
/// let b = Builder::new(DType::F64);
/// let x = b.input("x", 1 << 20)?;
/// b.output("y", x * 2.0 + 1.0)?;
/// let mut program = b.finish()?;
/// program.optimize();
/// let plan = Plan::<f64>::compile(&program)?;
/// let stage = &plan.stages()[0];
/// let grain = accel_pool::stage_grain(stage);
/// assert_eq!(grain % stage.chunk(), 0);
/// assert!(grain as u64 * stage.cost_per_element() as u64 >= accel_pool::PLAN_PIECE_COST);
/// # Ok::<(), accel_core::ir::IrError>(())
/// ```
pub fn stage_grain<T>(stage: &Stage<T>) -> usize {
    let chunk = stage.chunk().max(1);
    let cost = stage.cost_per_element().max(1) as u64;
    let elements = PLAN_PIECE_COST.div_ceil(cost) as usize;
    elements.div_ceil(chunk).max(1) * chunk
}

impl Pool {
    /// Runs a compiled IR program in parallel: every stage in order, each over fixed
    /// pieces of its domain (see [`stage_grain`]) shared among the workers with static
    /// shares and stealing. `inputs` and `outputs` are whole arrays in
    /// [`Plan::inputs`] / [`Plan::results`] order; the reduction values come back in
    /// [`Plan::reductions`] order.
    ///
    /// It runs on the active SIMD path ([`SimdPath::active`]): every per-op loop
    /// compiled for that path, with its elementary functions (see
    /// [`Stage::run_range_on`]); [`run_plan_on`](Self::run_plan_on) names a path.
    /// The outputs are bit-identical to [`Plan::run_on`] on the same path (core's
    /// serial executor), and the reductions are bit-identical for any thread count
    /// (they may differ from the serial executor's in the last bits, which folds
    /// one piece).
    ///
    /// # Errors
    /// [`IrError::ArgumentCount`] or [`IrError::ArgumentLength`] when the arguments do
    /// not match the plan; nothing is written then.
    ///
    /// ```
    /// use accel_core::ir::{Builder, DType, Plan, exp};
    /// use accel_pool::{Pool, PoolConfig};
    ///
    /// // y = exp(-x²), s = Σ y: a map fused with a reduction, one loop.
    /// let n = 100_000;
    /// let b = Builder::new(DType::F64);
    /// let x = b.input("x", n)?;
    /// let y = b.output("y", exp(-(x * x)))?;
    /// b.sum("s", y)?;
    /// let mut program = b.finish()?;
    /// program.optimize();
    /// let plan = Plan::<f64>::compile(&program)?;
    ///
    /// let xs: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    /// let run = |threads| -> Result<(Vec<f64>, f64), accel_core::ir::IrError> {
    ///     let pool = Pool::new(PoolConfig::new().threads(threads)).unwrap();
    ///     let mut ys = vec![0.0; n];
    ///     let sums = pool.run_plan(&plan, &[&xs], &mut [&mut ys])?;
    ///     Ok((ys, sums[0]))
    /// };
    /// let (y1, s1) = run(1)?;
    /// let (y3, s3) = run(3)?;
    /// assert_eq!(y1, y3);
    /// assert_eq!(s1.to_bits(), s3.to_bits()); // deterministic reduction
    /// assert!((s1 - 74_682.4).abs() < 1.0);    // ≈ n·∫₀¹ e^(−x²) dx
    /// # Ok::<(), accel_core::ir::IrError>(())
    /// ```
    pub fn run_plan<T: Element>(
        &self,
        plan: &Plan<T>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
    ) -> Result<Vec<T>, IrError> {
        self.run_plan_on(SimdPath::active(), plan, inputs, outputs)
    }

    /// [`run_plan`](Self::run_plan) on the SIMD path `path`.
    ///
    /// # Errors
    /// [`IrError::Simd`] if this CPU cannot run `path` (nothing runs), and the
    /// errors of [`run_plan`](Self::run_plan).
    pub fn run_plan_on<T: Element>(
        &self,
        path: SimdPath,
        plan: &Plan<T>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
    ) -> Result<Vec<T>, IrError> {
        path.checked()?;
        plan.run_with(inputs, outputs, |stage, ins, outs, reductions| {
            self.run_stage_on(path, stage, ins, outs, reductions)
        })
    }

    /// Runs one stage of a plan over its whole domain in parallel, as
    /// [`run_plan`](Self::run_plan) does for each stage: `inputs` and `outputs` are
    /// whole arrays in [`Stage::inputs`] / [`Stage::outputs`] order (each output
    /// holds `stage.domain().len()` elements), and the stage's reduction values are
    /// stored into `reductions` ([`Stage::reductions`] order). Use it with
    /// [`Plan::run_with`] to run some stages on the pool and others elsewhere.
    ///
    /// # Errors
    /// [`IrError::ArgumentCount`] when `reductions` does not hold one value per
    /// stage reduction, or the arguments do not match the stage;
    /// [`IrError::ArgumentLength`] for a slice of the wrong length. Nothing is
    /// written then.
    ///
    /// ```
    /// use accel_core::ir::{Builder, DType, Plan, ReduceOp};
    /// let pool = accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))?;
    /// let b = Builder::new(DType::F64);
    /// let x = b.input("x", 1000)?;
    /// b.reduce("m", ReduceOp::Max, x * 3.0)?;
    /// let mut program = b.finish()?;
    /// program.optimize();
    /// let plan = Plan::<f64>::compile(&program)?;
    /// let xs: Vec<f64> = (0..1000).map(f64::from).collect();
    /// let mut m = [0.0];
    /// pool.run_stage(&plan.stages()[0], &[&xs], &mut [], &mut m)?;
    /// assert_eq!(m[0], 2997.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_stage<T: Element>(
        &self,
        stage: &Stage<T>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        reductions: &mut [T],
    ) -> Result<(), IrError> {
        self.run_stage_on(SimdPath::active(), stage, inputs, outputs, reductions)
    }

    /// [`run_stage`](Self::run_stage) on the SIMD path `path`.
    ///
    /// # Errors
    /// [`IrError::Simd`] if this CPU cannot run `path`, and the errors of
    /// [`run_stage`](Self::run_stage).
    pub fn run_stage_on<T: Element>(
        &self,
        path: SimdPath,
        stage: &Stage<T>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        reductions: &mut [T],
    ) -> Result<(), IrError> {
        path.checked()?;
        let domain = stage.domain();
        let ops: Vec<_> = stage.reductions().iter().map(|&(_, op)| op).collect();
        if reductions.len() != ops.len() {
            return Err(IrError::ArgumentCount {
                what: "reductions",
                expected: ops.len(),
                found: reductions.len(),
            });
        }
        // Checked once here: the sub-slicing below relies on the output lengths.
        stage.check_arguments(inputs, outputs)?;
        let shared: Vec<SharedSlice<'_, T>> =
            outputs.iter_mut().map(|o| SharedSlice::new(o)).collect();
        let scratches: Vec<Mutex<Scratch<T>>> = (0..self.num_threads())
            .map(|_| Mutex::new(Scratch::new()))
            .collect();
        let run_piece = |piece: Range<usize>| -> Result<Vec<T>, IrError> {
            let local = piece.start - domain.start..piece.end - domain.start;
            let mut outs: Vec<&mut [T]> = shared
                .iter()
                // SAFETY: `reduce` hands every piece to exactly one call, and pieces
                // are disjoint sub-ranges of the domain, so these sub-slices of the
                // outputs are disjoint from every other call's; nothing else reads
                // or writes the outputs until `reduce` returns.
                .map(|o| unsafe { o.slice_mut(local.clone()) })
                .collect();
            let seat = self.current_worker().unwrap_or(0) % scratches.len();
            match scratches[seat].try_lock() {
                Ok(mut scratch) => stage
                    .run_range_on(path, piece, inputs, &mut outs, &mut scratch)
                    .map(<[T]>::to_vec),
                // A nested call on the same worker holds its scratch: use a fresh one.
                Err(_) => stage
                    .run_range_on(path, piece, inputs, &mut outs, &mut Scratch::new())
                    .map(<[T]>::to_vec),
            }
        };
        let folded = self.reduce(
            domain.clone(),
            stage_grain(stage),
            || Ok(ops.iter().map(|op| op.identity()).collect::<Vec<T>>()),
            run_piece,
            |acc, piece| match (acc, piece) {
                (Ok(mut acc), Ok(piece)) => {
                    for ((a, p), op) in acc.iter_mut().zip(piece).zip(&ops) {
                        *a = op.combine(*a, p);
                    }
                    Ok(acc)
                }
                // The leftmost error wins, whatever ran first.
                (Err(e), _) | (Ok(_), Err(e)) => Err(e),
            },
        )?;
        reductions.copy_from_slice(&folded);
        Ok(())
    }
}
