//! Running a plan: a stage over one range of its index space, chunk by chunk.
//!
//! [`Stage::run_range`] is the unit a parallel runtime schedules: it reads whole input
//! arrays, writes only the caller's sub-slices of the outputs for that range, and returns
//! the range's reduction partials, so disjoint ranges can run on different threads with
//! no synchronisation and no `unsafe`. Everything below it is `#[inline(always)]`: a
//! caller that wraps the call in a `#[target_feature(enable = "avx2,fma")]` function gets
//! the whole interpreter, every per-op loop included, compiled for that ISA.
//! (Rust never contracts `a * b + c` into an FMA, so results do not depend on the ISA.)
//!
//! See the [`ir`](crate::ir) module docs on speed.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use super::error::IrError;
use super::graph::ArrayId;
use super::op::{BinOp, LANES, UnOp, eval};
use super::plan::{Dst, Instr, Plan, Src, Stage};
use super::real::Element;
use crate::simd::SimdPath;

/// Which elementary functions a run of the executor calls (a const generic
/// of the per-op loops, so each flavour is compiled on its own).
struct Flavour;

impl Flavour {
    /// The scalar functions of `math` (the portable path).
    const PLAIN: u8 = 0;
    /// The FMA flavours of the AVX2 (or NEON) formula lanes.
    const FMA: u8 = 1;
    /// The eight-lane functions of the AVX-512 formula lanes.
    const AVX512: u8 = 2;
}

/// Per-thread working memory for [`Stage::run_range`]: register blocks and reduction
/// lanes. It grows on first use and is then reused without allocating.
#[derive(Clone, Debug, Default)]
pub struct Scratch<T> {
    regs: Vec<T>,
    lanes: Vec<[T; LANES]>,
    partials: Vec<T>,
}

impl<T: Element> Scratch<T> {
    /// Empty scratch space.
    pub fn new() -> Scratch<T> {
        Scratch {
            regs: Vec::new(),
            lanes: Vec::new(),
            partials: Vec::new(),
        }
    }
}

/// An operand resolved for one chunk.
#[derive(Clone, Copy)]
enum Operand<'a, T> {
    Slice(&'a [T]),
    Scalar(T),
}

impl<'a, T: Copy> Operand<'a, T> {
    #[inline(always)]
    fn slice(self) -> &'a [T] {
        match self {
            Operand::Slice(s) => s,
            Operand::Scalar(_) => unreachable!("the compiler gives scalars their own block here"),
        }
    }
}

/// The register file minus the block being written.
struct Regs<'a, T> {
    below: &'a [T],
    above: &'a [T],
    skip: usize,
    chunk: usize,
}

impl<'a, T: Copy> Regs<'a, T> {
    #[inline(always)]
    fn block(&self, r: u32, len: usize) -> &'a [T] {
        let r = r as usize;
        if r < self.skip {
            &self.below[r * self.chunk..][..len]
        } else {
            &self.above[(r - self.skip - 1) * self.chunk..][..len]
        }
    }
}

/// Where one chunk is: absolute start, length, and position in the output sub-slices.
#[derive(Clone, Copy)]
struct Chunk {
    base: usize,
    len: usize,
    out_off: usize,
}

#[inline(always)]
fn operand<'a, T: Copy>(
    s: Src<T>,
    regs: &Regs<'a, T>,
    inputs: &[&'a [T]],
    c: Chunk,
) -> Operand<'a, T> {
    match s {
        Src::Reg(r) => Operand::Slice(regs.block(r, c.len)),
        Src::In { slot, offset } => {
            let start = (c.base as isize + offset) as usize;
            Operand::Slice(&inputs[slot as usize][start..start + c.len])
        }
        Src::Const(v) => Operand::Scalar(v),
    }
}

/// The destination block of one instruction, and a view of the other registers
/// (split without `unsafe`: the destination is never also a source).
#[inline(always)]
fn split_dst<'a, T: Copy>(
    dst: Dst,
    regs: &'a mut [T],
    outputs: &'a mut [&mut [T]],
    chunk: usize,
    c: Chunk,
) -> (&'a mut [T], Regs<'a, T>) {
    match dst {
        Dst::Reg(r) => {
            let r = r as usize;
            let (below, rest) = regs.split_at_mut(r * chunk);
            let (block, above) = rest.split_at_mut(chunk);
            let view = Regs {
                below,
                above,
                skip: r,
                chunk,
            };
            (&mut block[..c.len], view)
        }
        Dst::Out(k) => (
            &mut outputs[k as usize][c.out_off..c.out_off + c.len],
            Regs {
                below: regs,
                above: &[],
                skip: usize::MAX,
                chunk,
            },
        ),
    }
}

// The per-op loops. Each is written out by a macro with a direct call to its
// `#[inline(always)]` function in `op::eval`: passing the function as a closure or a
// function item would go through a `Fn::call` shim that LLVM may leave out of line in
// the large `run_chunk`, making the loop scalar.
macro_rules! map1 {
    ($d:expr, $a:expr, $f:path) => {
        for (d, &a) in $d.iter_mut().zip($a) {
            *d = $f(a);
        }
    };
}

macro_rules! map2 {
    ($d:expr, $a:expr, $b:expr, $f:path) => {
        match ($a, $b) {
            (Operand::Slice(a), Operand::Slice(b)) => {
                for ((d, &a), &b) in $d.iter_mut().zip(a).zip(b) {
                    *d = $f(a, b);
                }
            }
            (Operand::Slice(a), Operand::Scalar(b)) => {
                for (d, &a) in $d.iter_mut().zip(a) {
                    *d = $f(a, b);
                }
            }
            (Operand::Scalar(a), Operand::Slice(b)) => {
                for (d, &b) in $d.iter_mut().zip(b) {
                    *d = $f(a, b);
                }
            }
            (Operand::Scalar(a), Operand::Scalar(b)) => $d.fill($f(a, b)),
        }
    };
}

macro_rules! dispatch {
    (un: $($uv:ident => $uf:ident),*; bin: $($bv:ident => $bf:ident),*) => {
        /// # Safety
        /// The CPU must run `FLAVOUR` (see [`Flavour`]).
        #[inline(always)]
        unsafe fn unary<T: Element, const FLAVOUR: u8>(op: UnOp, d: &mut [T], a: &[T]) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the AVX-512 path, by this function's contract.
            if FLAVOUR == Flavour::AVX512 && unsafe { T::map_avx512(op, d, a) } {
                return;
            }
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            // SAFETY: FMA (and AVX2 on x86-64), by this function's contract.
            if FLAVOUR != Flavour::PLAIN && unsafe { T::map_fused(op, d, a) } {
                return;
            }
            match op {
                $(UnOp::$uv => map1!(d, a, eval::$uf::<T>),)*
            }
        }
        #[inline(always)]
        fn binary<T: Element>(op: BinOp, d: &mut [T], a: Operand<'_, T>, b: Operand<'_, T>) {
            match op {
                $(BinOp::$bv => map2!(d, a, b, eval::$bf::<T>),)*
            }
        }
    };
}

dispatch!(
    un: Neg => neg, Abs => abs, Sqrt => sqrt, Exp => exp, Ln => ln, Log10 => log10,
        Erf => erf, Not => not;
    bin: Add => add, Sub => sub, Mul => mul, Div => div, Min => min, Max => max,
        Lt => lt, Le => le, Gt => gt, Ge => ge, Eq => eq, Ne => ne, And => and, Or => or
);

impl<T: Element> Stage<T> {
    /// Checks the arguments of a run over the whole [`Stage::domain`]: `inputs` are
    /// the whole arrays of [`Stage::inputs`], `outputs` hold `domain().len()`
    /// elements each. A parallel runtime calls this once before it cuts the
    /// outputs into sub-slices for [`Stage::run_range`].
    ///
    /// ```
    /// use accel_core::ir::{Builder, DType, IrError, Plan};
    /// let b = Builder::new(DType::F64);
    /// let x = b.input("x", 4)?;
    /// b.output("y", x + 1.0)?;
    /// let plan = Plan::<f64>::compile(&b.finish()?)?;
    /// let stage = &plan.stages()[0];
    /// let mut short = [0.0; 3];
    /// let err = stage.check_arguments(&[&[1.0; 4]], &[&mut short]).unwrap_err();
    /// assert!(matches!(err, IrError::ArgumentLength { what: "output", expected: 4, found: 3, .. }));
    /// # Ok::<(), IrError>(())
    /// ```
    ///
    /// # Errors
    /// [`IrError::ArgumentCount`] or [`IrError::ArgumentLength`], as
    /// [`Stage::run_range`] would return them.
    pub fn check_arguments(&self, inputs: &[&[T]], outputs: &[&mut [T]]) -> Result<(), IrError> {
        self.check(&self.domain, inputs, outputs)
    }

    fn check(
        &self,
        range: &Range<usize>,
        inputs: &[&[T]],
        outputs: &[&mut [T]],
    ) -> Result<(), IrError> {
        if range.start > range.end || range.start < self.domain.start || range.end > self.domain.end
        {
            return Err(IrError::RangeOutsideDomain {
                range: range.clone(),
                domain: self.domain.clone(),
            });
        }
        for (what, expected, found) in [
            ("inputs", self.inputs.len(), inputs.len()),
            ("outputs", self.outputs.len(), outputs.len()),
        ] {
            if expected != found {
                return Err(IrError::ArgumentCount {
                    what,
                    expected,
                    found,
                });
            }
        }
        for (k, x) in inputs.iter().enumerate() {
            if x.len() != self.input_lens[k] {
                return Err(IrError::ArgumentLength {
                    what: "input",
                    array: self.input_names[k].clone(),
                    expected: self.input_lens[k],
                    found: x.len(),
                });
            }
        }
        for (k, y) in outputs.iter().enumerate() {
            if y.len() != range.len() {
                return Err(IrError::ArgumentLength {
                    what: "output",
                    array: self.output_names[k].clone(),
                    expected: range.len(),
                    found: y.len(),
                });
            }
        }
        Ok(())
    }

    /// Runs the loop for the indices in `range` (a sub-range of [`Stage::domain`]) and
    /// returns the reduction partials for that range, in [`Stage::reductions`] order
    /// (combine partials of consecutive ranges with [`ReduceOp::combine`](crate::ir::ReduceOp::combine)).
    ///
    /// `inputs` are the whole arrays of [`Stage::inputs`]; `outputs` are, for each array of
    /// [`Stage::outputs`], the sub-slice for `range` (`range.len()` elements: element `i`
    /// of the loop goes to `outputs[k][i - range.start]`). The partial of a range is
    /// a function of the range and the data only (lane order of
    /// [`ReduceOp`](crate::ir::ReduceOp)), never of the chunk size.
    ///
    /// ```
    /// use accel_core::ir::{Builder, DType, Plan, Scratch, ReduceOp};
    /// let b = Builder::new(DType::F64);
    /// let x = b.input("x", 10)?;
    /// let y = b.output("y", x * 2.0)?;
    /// b.sum("s", y)?;
    /// let mut p = b.finish()?;
    /// p.optimize();
    /// let plan = Plan::<f64>::compile(&p)?;
    /// let stage = &plan.stages()[0];
    /// let xs: Vec<f64> = (0..10).map(f64::from).collect();
    /// let mut ys = vec![0.0; 10];
    /// // What a parallel runtime does: disjoint ranges, one scratch per thread.
    /// let (lo, hi) = ys.split_at_mut(4);
    /// let mut scratch = Scratch::new();
    /// let a = stage.run_range(0..4, &[&xs], &mut [lo], &mut scratch)?[0];
    /// let b = stage.run_range(4..10, &[&xs], &mut [hi], &mut scratch)?[0];
    /// assert_eq!(ReduceOp::Sum.combine(a, b), 90.0);
    /// assert_eq!(ys[9], 18.0);
    /// # Ok::<(), accel_core::ir::IrError>(())
    /// ```
    ///
    /// This runs the portable path: the plain functions of [`crate::math`], compiled
    /// for the build's baseline, bit-identical to [`Plan::run`] and to core's
    /// interpreter. [`Stage::run_range_on`] runs a SIMD path.
    ///
    /// # Errors
    /// [`IrError::RangeOutsideDomain`], [`IrError::ArgumentCount`] or
    /// [`IrError::ArgumentLength`]; nothing is written then.
    #[inline(always)]
    pub fn run_range<'s>(
        &self,
        range: Range<usize>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        scratch: &'s mut Scratch<T>,
    ) -> Result<&'s [T], IrError> {
        // SAFETY: the plain flavour asks nothing of the CPU.
        unsafe { self.run_range_flavoured::<{ Flavour::PLAIN }>(range, inputs, outputs, scratch) }
    }

    /// [`Stage::run_range`] on the SIMD path `path`: the same register machine,
    /// with every per-op loop compiled for the path's instruction set and the
    /// elementary functions (`exp`, `ln`, `log10`, `erf`) of the AVX2 and NEON
    /// formula lanes on the FMA paths (`avx2`, `neon`, `avx512`): on x86-64 the
    /// f64 table functions `exp` and `erf_step` of [`math::fast`](crate::math::fast),
    /// elsewhere [`math::fma`](crate::math::fma)'s; `ln` and `log10` from
    /// `math::fast`'s one-division flavours on both.
    ///
    /// On the `avx2` and `neon` paths those are the functions a
    /// [`Formula`](crate::ir::Formula) gets from [`simd::map`](crate::simd::map) on
    /// the same path, so a program built from a formula's source gives the
    /// formula's bits. (On `avx512` the formula's lanes use the table functions of
    /// [`math::fast`](crate::math::fast); the plan keeps the ≤ 1 ulp ones.) The
    /// portable path is [`Stage::run_range`] itself. Results never depend on how
    /// the domain is cut into ranges.
    ///
    /// ```
    /// use accel_core::ir::{Builder, DType, Plan, Scratch, exp};
    /// use accel_core::simd::SimdPath;
    /// let b = Builder::new(DType::F64);
    /// let x = b.input("x", 5)?;
    /// b.output("y", exp(x) * 2.0)?;
    /// let plan = Plan::<f64>::compile(&b.finish()?)?;
    /// let xs = [0.0, 0.5, 1.0, 1.5, 2.0];
    /// let mut ys = [0.0; 5];
    /// plan.stages()[0].run_range_on(SimdPath::active(), 0..5, &[&xs], &mut [&mut ys], &mut Scratch::new())?;
    /// assert!((ys[2] - 2.0 * std::f64::consts::E).abs() < 1e-15);
    /// # Ok::<(), accel_core::ir::IrError>(())
    /// ```
    ///
    /// # Errors
    /// [`IrError::Simd`] if this CPU cannot run `path`, and the errors of
    /// [`Stage::run_range`]; nothing is written then.
    #[inline]
    pub fn run_range_on<'s>(
        &self,
        path: SimdPath,
        range: Range<usize>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        scratch: &'s mut Scratch<T>,
    ) -> Result<&'s [T], IrError> {
        match path.checked()? {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `checked` confirmed the CPU runs the AVX-512 path, every
            // feature the wrapper enables (FMA included).
            SimdPath::Avx512 => unsafe { x86::run_avx512(self, range, inputs, outputs, scratch) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above, for AVX2 and FMA.
            SimdPath::Avx2 => unsafe { x86::run_avx2(self, range, inputs, outputs, scratch) },
            #[cfg(target_arch = "aarch64")]
            // SAFETY: FMA is in the aarch64 baseline.
            SimdPath::Neon => unsafe {
                self.run_range_flavoured::<{ Flavour::FMA }>(range, inputs, outputs, scratch)
            },
            _ => self.run_range(range, inputs, outputs, scratch),
        }
    }

    /// [`Stage::run_range`] with the elementary functions of `FLAVOUR`.
    ///
    /// # Safety
    /// The CPU must run `FLAVOUR`: nothing for [`Flavour::PLAIN`]; FMA, and
    /// AVX2 on x86-64, for [`Flavour::FMA`]; the AVX-512 path for
    /// [`Flavour::AVX512`].
    #[inline(always)]
    unsafe fn run_range_flavoured<'s, const FLAVOUR: u8>(
        &self,
        range: Range<usize>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        scratch: &'s mut Scratch<T>,
    ) -> Result<&'s [T], IrError> {
        self.check(&range, inputs, outputs)?;
        let nred = self.reductions.len();
        let need = self.nregs * self.chunk;
        if scratch.regs.len() < need {
            scratch.regs.resize(need, T::ZERO);
        }
        scratch.lanes.clear();
        scratch
            .lanes
            .extend(self.reductions.iter().map(|&(_, op)| op.new_lanes::<T>()));
        let mut base = range.start;
        while base < range.end {
            let len = self.chunk.min(range.end - base);
            let c = Chunk {
                base,
                len,
                out_off: base - range.start,
            };
            // SAFETY: the CPU runs `FLAVOUR`, by this function's contract.
            unsafe {
                self.run_chunk::<FLAVOUR>(
                    c,
                    inputs,
                    outputs,
                    &mut scratch.regs,
                    &mut scratch.lanes,
                );
            }
            base += len;
        }
        scratch.partials.clear();
        scratch.partials.extend(
            self.reductions
                .iter()
                .zip(&scratch.lanes)
                .map(|(&(_, op), &l)| op.finish_lanes(l)),
        );
        Ok(&scratch.partials[..nred])
    }

    /// # Safety
    /// The CPU must run `FLAVOUR` (see [`Stage::run_range_flavoured`]).
    #[inline(always)]
    unsafe fn run_chunk<const FLAVOUR: u8>(
        &self,
        c: Chunk,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        regs: &mut [T],
        lanes: &mut [[T; LANES]],
    ) {
        let chunk = self.chunk;
        for ins in &self.code {
            match *ins {
                Instr::Fill { dst, value } => {
                    let (d, _) = split_dst(dst, regs, outputs, chunk, c);
                    d.fill(value);
                }
                Instr::Iota { dst, offset } => {
                    let (d, _) = split_dst(dst, regs, outputs, chunk, c);
                    let first = c.base as i64 + offset as i64;
                    for (j, d) in d.iter_mut().enumerate() {
                        *d = T::from_index(first + j as i64);
                    }
                }
                Instr::Un { op, dst, a } => {
                    let (d, r) = split_dst(dst, regs, outputs, chunk, c);
                    // SAFETY: the CPU runs `FLAVOUR`, by this function's contract.
                    unsafe { unary::<T, FLAVOUR>(op, d, operand(a, &r, inputs, c).slice()) };
                }
                Instr::Bin { op, dst, a, b } => {
                    let (d, r) = split_dst(dst, regs, outputs, chunk, c);
                    binary(op, d, operand(a, &r, inputs, c), operand(b, &r, inputs, c));
                }
                Instr::Select { dst, c: cs, a, b } => {
                    let (d, r) = split_dst(dst, regs, outputs, chunk, c);
                    let cv = operand(cs, &r, inputs, c).slice();
                    let av = operand(a, &r, inputs, c).slice();
                    let bv = operand(b, &r, inputs, c).slice();
                    for (((d, &x), &y), &z) in d.iter_mut().zip(cv).zip(av).zip(bv) {
                        *d = eval::select(x, y, z);
                    }
                }
                Instr::Store { out, src } => {
                    let r = Regs {
                        below: regs,
                        above: &[],
                        skip: usize::MAX,
                        chunk,
                    };
                    let s = operand(src, &r, inputs, c);
                    let d = &mut outputs[out as usize][c.out_off..c.out_off + c.len];
                    match s {
                        Operand::Slice(s) => d.copy_from_slice(s),
                        Operand::Scalar(v) => d.fill(v),
                    }
                }
                Instr::Acc { red, src } => {
                    let r = Regs {
                        below: regs,
                        above: &[],
                        skip: usize::MAX,
                        chunk,
                    };
                    let s = operand(src, &r, inputs, c).slice();
                    let (_, op) = self.reductions[red as usize];
                    op.fold_lanes(&mut lanes[red as usize], s);
                }
            }
        }
    }
}

/// Each argument slice has its array's declared length.
fn check_lengths(
    what: &'static str,
    decls: &[(ArrayId, usize, String)],
    found: impl Iterator<Item = usize>,
) -> Result<(), IrError> {
    for ((_, n, name), len) in decls.iter().zip(found) {
        if *n != len {
            return Err(IrError::ArgumentLength {
                what,
                array: name.clone(),
                expected: *n,
                found: len,
            });
        }
    }
    Ok(())
}

impl<T: Element> Plan<T> {
    /// Runs the whole program serially: `inputs` and `outputs` (the result arrays, whole)
    /// in [`Plan::inputs`] / [`Plan::results`] order; temporaries are allocated here.
    /// Returns the reduction values in [`Plan::reductions`] order.
    ///
    /// It runs the portable path (see [`Stage::run_range`]); [`Plan::run_on`] runs
    /// a SIMD path.
    ///
    /// # Errors
    /// [`IrError::ArgumentCount`] or [`IrError::ArgumentLength`].
    pub fn run(&self, inputs: &[&[T]], outputs: &mut [&mut [T]]) -> Result<Vec<T>, IrError> {
        self.run_on(SimdPath::Portable, inputs, outputs)
    }

    /// [`Plan::run`] on the SIMD path `path` (see [`Stage::run_range_on`]).
    ///
    /// # Errors
    /// [`IrError::Simd`] if this CPU cannot run `path`, and the errors of
    /// [`Plan::run`].
    pub fn run_on(
        &self,
        path: SimdPath,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
    ) -> Result<Vec<T>, IrError> {
        path.checked()?;
        let mut scratch = Scratch::new();
        self.run_with(inputs, outputs, |stage, ins, outs, reductions| {
            let partials = stage.run_range_on(path, stage.domain(), ins, outs, &mut scratch)?;
            reductions.copy_from_slice(partials);
            Ok(())
        })
    }

    /// Runs the program with a caller-supplied executor for each stage: the plan checks
    /// the arguments, allocates temporaries, binds each stage's arrays, and collects the
    /// reductions; `run_stage(stage, inputs, outputs, reductions)` must run the whole of
    /// `stage.domain()` (for example split into ranges on a thread pool, each range
    /// writing its part of `outputs`) and store the stage's reduction values, in
    /// [`Stage::reductions`] order, into `reductions`. `inputs` and `outputs` are whole
    /// arrays in [`Stage::inputs`] / [`Stage::outputs`] order. Stages run in order.
    ///
    /// ```
    /// use accel_core::ir::{Builder, DType, Plan, Scratch};
    /// let b = Builder::new(DType::F64);
    /// let x = b.input("x", 6)?;
    /// let y = b.output("y", x * x)?;
    /// b.sum("s", y)?;
    /// let mut p = b.finish()?;
    /// p.optimize();
    /// let plan = Plan::<f64>::compile(&p)?;
    /// let mut y = [0.0; 6];
    /// // Two halves, as two workers would run them; partials combined in index order.
    /// let sums = plan.run_with(&[&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]], &mut [&mut y], |stage, ins, outs, red| {
    ///     let (lo, hi) = outs[0].split_at_mut(3);
    ///     let mut scratch = Scratch::new();
    ///     let a = stage.run_range(0..3, ins, &mut [lo], &mut scratch)?.to_vec();
    ///     let b = stage.run_range(3..6, ins, &mut [hi], &mut scratch)?;
    ///     for (k, &(_, op)) in stage.reductions().iter().enumerate() {
    ///         red[k] = op.combine(a[k], b[k]);
    ///     }
    ///     Ok(())
    /// })?;
    /// assert_eq!((y[5], sums[0]), (36.0, 91.0));
    /// # Ok::<(), accel_core::ir::IrError>(())
    /// ```
    ///
    /// # Errors
    /// [`IrError::ArgumentCount`] or [`IrError::ArgumentLength`], or the first error
    /// `run_stage` returns.
    pub fn run_with(
        &self,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        mut run_stage: impl FnMut(&Stage<T>, &[&[T]], &mut [&mut [T]], &mut [T]) -> Result<(), IrError>,
    ) -> Result<Vec<T>, IrError> {
        for (what, expected, found) in [
            ("inputs", self.inputs.len(), inputs.len()),
            ("outputs", self.results.len(), outputs.len()),
        ] {
            if expected != found {
                return Err(IrError::ArgumentCount {
                    what,
                    expected,
                    found,
                });
            }
        }
        check_lengths("input", &self.inputs, inputs.iter().map(|x| x.len()))?;
        check_lengths("output", &self.results, outputs.iter().map(|x| x.len()))?;
        let mut temps: Vec<Vec<T>> = self
            .temps
            .iter()
            .map(|&(_, n)| alloc::vec![T::ZERO; n])
            .collect();
        let mut results: Vec<T> = self
            .reductions
            .iter()
            .map(|&(_, op)| op.identity())
            .collect();
        let mut stage_red: Vec<T> = Vec::new();
        for stage in &self.stages {
            let mut ins: Vec<Option<&[T]>> = alloc::vec![None; stage.inputs.len()];
            let mut outs: Vec<Option<&mut [T]>> = (0..stage.outputs.len()).map(|_| None).collect();
            let pos_in = |a| stage.inputs.iter().position(|&x| x == a);
            let pos_out = |a| stage.outputs.iter().position(|&x| x == a);
            for ((a, _, _), x) in self.inputs.iter().zip(inputs) {
                if let Some(p) = pos_in(*a) {
                    ins[p] = Some(x);
                }
            }
            let arrays = self
                .results
                .iter()
                .map(|r| r.0)
                .zip(outputs.iter_mut().map(|o| &mut **o))
                .chain(
                    self.temps
                        .iter()
                        .map(|t| t.0)
                        .zip(temps.iter_mut().map(|t| &mut t[..])),
                );
            for (a, x) in arrays {
                if let Some(p) = pos_in(a) {
                    ins[p] = Some(&*x);
                } else if let Some(p) = pos_out(a) {
                    outs[p] = Some(x);
                }
            }
            let ins: Vec<&[T]> = ins
                .into_iter()
                .map(|x| x.expect("plan arrays cover stage inputs"))
                .collect();
            let mut outs: Vec<&mut [T]> = outs
                .into_iter()
                .map(|x| x.expect("plan arrays cover stage outputs"))
                .collect();
            stage_red.clear();
            stage_red.extend(stage.reductions.iter().map(|&(_, op)| op.identity::<T>()));
            run_stage(stage, &ins, &mut outs, &mut stage_red)?;
            for (&(r, _), &v) in stage.reductions.iter().zip(&stage_red) {
                results[r.index()] = v;
            }
        }
        Ok(results)
    }
}

/// The AVX builds of the register machine: [`Stage::run_range_on`]'s wrappers,
/// everything below them inlined and compiled with the path's features.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::ops::Range;

    use super::{Flavour, IrError, Scratch, Stage};
    use crate::ir::Element;

    /// # Safety
    /// The CPU must run the AVX-512 path (F, DQ, VL, AVX2, FMA).
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
    pub(super) unsafe fn run_avx512<'s, T: Element>(
        stage: &Stage<T>,
        range: Range<usize>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        scratch: &'s mut Scratch<T>,
    ) -> Result<&'s [T], IrError> {
        // SAFETY: AVX-512F, AVX2 and FMA are among this function's features,
        // which the caller promised.
        unsafe { stage.run_range_flavoured::<{ Flavour::AVX512 }>(range, inputs, outputs, scratch) }
    }

    /// # Safety
    /// The CPU must run the AVX2 path (AVX2, FMA).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn run_avx2<'s, T: Element>(
        stage: &Stage<T>,
        range: Range<usize>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        scratch: &'s mut Scratch<T>,
    ) -> Result<&'s [T], IrError> {
        // SAFETY: FMA and AVX2 are among this function's features, which the
        // caller promised.
        unsafe { stage.run_range_flavoured::<{ Flavour::FMA }>(range, inputs, outputs, scratch) }
    }
}
