//! The readable dump of a program: what it reads and returns, and each loop with its
//! range, the patterns fused into it, its inputs and outputs, and its operations.
//!
//! It answers the question ParallelAccelerator users were left with: "what did my
//! program become?". Print a program before and after [`Program::optimize`] to see the fusion:
//!
//! ```text
//! program f64: 5 inputs, 1 result array, 1 reduction, 1 loop (28 temporaries eliminated)
//!   input   spt[1000], strike[1000], rate[1000], vol[1000], time[1000]
//!   result  put[1000]
//!   reduce  checksum = sum
//! loop 0 over i in 0..1000: map+reduce (fused from 29 maps, 1 reduce), 28 ops
//!   reads   spt, strike, rate, vol, time
//!   writes  put
//!   reduces checksum
//!   %0 = mul 0.5, vol[i]
//!   %1 = mul %0, vol[i]
//!   ...
//!   %27 = add %26, spt[i]
//!   put[i] = %27
//!   checksum = sum over %27
//! ```
//!
//! After the passes the operations are listed in a canonical order (depth first from
//! the loop's results), so equal programs print the same however they were written.
//! Temporaries of array-at-a-time programs are named `$0`, `$1`, ….
//!
//! Operands are printed inline: `x[i]`, `x[i-1]`, constants, `i`; `%k` is the k-th
//! computed value of the loop.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::graph::{Expr, NodeId};
use super::program::{ArrayRole, PatternKind, Program};
use super::real::DType;

fn offset_suffix(off: isize) -> String {
    match off {
        0 => String::new(),
        o if o > 0 => alloc::format!("+{o}"),
        o => alloc::format!("{o}"),
    }
}

impl Program {
    fn operand(&self, id: NodeId, local: &[Option<usize>]) -> String {
        match self.graph.expr(id) {
            Expr::Load { array, offset } => {
                alloc::format!("{}[i{}]", self.array(array).name, offset_suffix(offset))
            }
            Expr::Const { bits } => match self.dtype {
                DType::F64 => alloc::format!("{:?}", f64::from_bits(bits)),
                DType::F32 => alloc::format!("{:?}", f64::from_bits(bits) as f32),
            },
            Expr::Bool(b) => alloc::format!("{b}"),
            Expr::Index { offset } => alloc::format!("i{}", offset_suffix(offset)),
            _ => alloc::format!("%{}", local[id.index()].expect("computed before use")),
        }
    }

    fn fmt_loop(&self, f: &mut fmt::Formatter<'_>, index: usize) -> fmt::Result {
        let l = &self.loops[index];
        let mut kinds: Vec<PatternKind> = l.patterns.clone();
        kinds.sort_unstable();
        kinds.dedup();
        let label: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        let counts = self.op_counts(index);
        write!(
            f,
            "loop {index} over i in {}..{}: {}",
            l.domain.start,
            l.domain.end,
            label.join("+")
        )?;
        if l.patterns.len() > 1 {
            let parts: Vec<String> = kinds
                .iter()
                .map(|&k| {
                    let n = l.patterns.iter().filter(|&&p| p == k).count();
                    alloc::format!("{n} {}{}", k.name(), if n == 1 { "" } else { "s" })
                })
                .collect();
            write!(f, " (fused from {})", parts.join(", "))?;
        }
        writeln!(f, ", {} ops", counts.computing())?;
        let reads: Vec<&str> = self
            .loop_reads(index)
            .into_iter()
            .map(|a| self.array(a).name.as_str())
            .collect();
        if !reads.is_empty() {
            writeln!(f, "  reads   {}", reads.join(", "))?;
        }
        if !l.outputs.is_empty() {
            let w: Vec<&str> = l
                .outputs
                .iter()
                .map(|o| self.array(o.0).name.as_str())
                .collect();
            writeln!(f, "  writes  {}", w.join(", "))?;
        }
        if !l.reductions.is_empty() {
            let r: Vec<&str> = l
                .reductions
                .iter()
                .map(|r| self.reductions[r.0.index()].name.as_str())
                .collect();
            writeln!(f, "  reduces {}", r.join(", "))?;
        }
        let mut local: Vec<Option<usize>> = alloc::vec![None; self.graph.len()];
        let mut next = 0;
        for id in self.loop_nodes(index) {
            let e = self.graph.expr(id);
            let text = match e {
                Expr::Unary(op, a) => alloc::format!("{op} {}", self.operand(a, &local)),
                Expr::Binary(op, a, b) => alloc::format!(
                    "{op} {}, {}",
                    self.operand(a, &local),
                    self.operand(b, &local)
                ),
                Expr::Select(c, a, b) => alloc::format!(
                    "select {}, {}, {}",
                    self.operand(c, &local),
                    self.operand(a, &local),
                    self.operand(b, &local)
                ),
                _ => continue,
            };
            local[id.index()] = Some(next);
            writeln!(f, "  %{next} = {text}")?;
            next += 1;
        }
        let shift = offset_suffix(-(l.domain.start as isize));
        for &(a, n) in &l.outputs {
            writeln!(
                f,
                "  {}[i{shift}] = {}",
                self.array(a).name,
                self.operand(n, &local)
            )?;
        }
        for &(r, n) in &l.reductions {
            let d = &self.reductions[r.index()];
            writeln!(
                f,
                "  {} = {} over {}",
                d.name,
                d.op,
                self.operand(n, &local)
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |role: ArrayRole| -> Vec<String> {
            self.arrays
                .iter()
                .enumerate()
                .filter(|(i, a)| {
                    a.role == role
                        && (role != ArrayRole::Temp
                            || self.producer(super::graph::ArrayId(*i as u32)).is_some())
                })
                .map(|(_, a)| alloc::format!("{}[{}]", a.name, a.len))
                .collect()
        };
        let inputs = list(ArrayRole::Input);
        let results = list(ArrayRole::Result);
        let temps = list(ArrayRole::Temp);
        let all_temps = self
            .arrays
            .iter()
            .filter(|a| a.role == ArrayRole::Temp)
            .count();
        let plural = |n: usize, w: &str| match (n, w) {
            (1, _) => alloc::format!("1 {w}"),
            (_, "temporary") => alloc::format!("{n} temporaries"),
            _ => alloc::format!("{n} {w}s"),
        };
        write!(
            f,
            "program {}: {}, {}, {}, {}",
            self.dtype,
            plural(inputs.len(), "input"),
            plural(results.len(), "result array"),
            plural(self.reductions.len(), "reduction"),
            plural(self.loops.len(), "loop")
        )?;
        if all_temps > temps.len() {
            write!(
                f,
                " ({} eliminated)",
                plural(all_temps - temps.len(), "temporary")
            )?;
        }
        writeln!(f)?;
        for (what, items) in [("input", &inputs), ("result", &results), ("temp", &temps)] {
            if !items.is_empty() {
                writeln!(f, "  {what:<7} {}", items.join(", "))?;
            }
        }
        for r in &self.reductions {
            writeln!(f, "  reduce  {} = {}", r.name, r.op)?;
        }
        for i in 0..self.loops.len() {
            self.fmt_loop(f, i)?;
        }
        Ok(())
    }
}

/// A program's dump before and after [`Program::optimize`], and what the passes did:
/// what a user prints to see what their program became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explained {
    /// The dump before the passes.
    pub before: String,
    /// The dump after the passes.
    pub after: String,
    /// What the passes did.
    pub stats: super::passes::PassStats,
}

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "== before the passes ==")?;
        write!(f, "{}", self.before)?;
        writeln!(f, "== after the passes: {} ==", self.stats)?;
        write!(f, "{}", self.after)
    }
}

/// The dump of a [`Formula`](super::Formula): the one fused loop the compiled
/// executors run for it over arrays of `len` elements (named `inputs` and
/// `outputs`), with its reads, writes and operations, as [`Program`]'s dump
/// prints a loop. Built by calling the formula with expression handles, so it
/// shows exactly the operations the lanes compute, after the passes (common
/// subexpressions merged, constants folded).
///
/// # Errors
/// [`IrError`](super::IrError) for names the builder refuses (empty, repeated).
///
/// ```
/// use accel_core::ir::{DType, Formula, Real, dump_formula};
/// struct Hypot;
/// impl Formula<2, 1> for Hypot {
///     fn eval<R: Real>(&self, [x, y]: [R; 2]) -> [R; 1] {
///         [(x * x + y * y).sqrt()]
///     }
/// }
/// let dump = dump_formula(&Hypot, DType::F64, ["x", "y"], ["h"], 1000)?;
/// assert!(dump.contains("loop 0 over i in 0..1000"));
/// assert!(dump.contains("sqrt"));
/// assert_eq!(dump.lines().filter(|l| l.starts_with("loop")).count(), 1);
/// # Ok::<(), accel_core::ir::IrError>(())
/// ```
pub fn dump_formula<F: super::Formula<K, M>, const K: usize, const M: usize>(
    f: &F,
    dtype: DType,
    inputs: [&str; K],
    outputs: [&str; M],
    len: usize,
) -> Result<String, super::IrError> {
    let b = super::Builder::new(dtype);
    let mut xs = Vec::with_capacity(K);
    for name in inputs {
        xs.push(b.input(name, len)?);
    }
    let xs: [super::Ex<'_>; K] = core::array::from_fn(|k| xs[k]);
    let ys = f.eval(xs);
    let outs: [(&str, super::Ex<'_>); M] = core::array::from_fn(|m| (outputs[m], ys[m]));
    b.outputs(outs)?;
    let mut p = b.finish()?;
    p.optimize();
    Ok(alloc::string::ToString::to_string(&p))
}

impl Program {
    /// [`Program::optimize`], returning the dumps before and after.
    ///
    /// ```
    /// use accel_core::ir::{Builder, DType, exp};
    /// let b = Builder::array_at_a_time(DType::F64);
    /// let x = b.input("x", 8)?;
    /// b.output("y", exp(-x))?;
    /// let mut p = b.finish()?;
    /// let e = p.optimize_explained();
    /// assert_eq!(e.before.lines().filter(|l| l.starts_with("loop")).count(), 3);
    /// assert_eq!(e.after.lines().filter(|l| l.starts_with("loop")).count(), 1);
    /// assert!(e.to_string().contains("3 loops -> 1"));
    /// # Ok::<(), accel_core::ir::IrError>(())
    /// ```
    pub fn optimize_explained(&mut self) -> Explained {
        let before = alloc::string::ToString::to_string(self);
        let stats = self.optimize();
        Explained {
            before,
            after: alloc::string::ToString::to_string(self),
            stats,
        }
    }
}
