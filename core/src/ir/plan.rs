//! Compiling a program into an execution plan: one [`Stage`] per loop, each a short
//! register-machine program over chunk-sized blocks.
//!
//! A register is a block of `chunk` elements (a few hundred: all live registers of a
//! stage fit in L1 together). Each instruction applies one operation to whole blocks,
//! so the interpretation cost (one `match` per instruction) is paid once per chunk, not
//! once per element, and each instruction's loop is a plain slice loop that LLVM
//! vectorises. Operands are read where they already are: array inputs straight from the
//! caller's slices (at their offset), constants as scalars. A value that only feeds one
//! output is computed straight into the caller's output slice. Registers are reused as
//! soon as their value is dead (linear scan in program order).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use super::error::IrError;
use super::graph::{ArrayId, Expr, NodeId};
use super::op::{BinOp, LANES, ReduceOp, UnOp};
use super::program::{Program, ReductionId};
use super::real::{DType, Element};

/// Where an instruction reads an operand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Src<T> {
    /// A register block.
    Reg(u32),
    /// A stage input slice at `i + offset`.
    In { slot: u32, offset: isize },
    /// A scalar broadcast to every element (binary operations only).
    Const(T),
}

/// Where an instruction writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dst {
    /// A register block.
    Reg(u32),
    /// The range's slice of a stage output.
    Out(u32),
}

/// One block operation. Invariants (established by [`compile_loop`]): `Un` and
/// `Select` never read a `Const`; `Bin` never reads two; a `Dst::Reg` is never also a
/// source of the same instruction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Instr<T> {
    Fill {
        dst: Dst,
        value: T,
    },
    Iota {
        dst: Dst,
        offset: isize,
    },
    Un {
        op: UnOp,
        dst: Dst,
        a: Src<T>,
    },
    Bin {
        op: BinOp,
        dst: Dst,
        a: Src<T>,
        b: Src<T>,
    },
    Select {
        dst: Dst,
        c: Src<T>,
        a: Src<T>,
        b: Src<T>,
    },
    Store {
        out: u32,
        src: Src<T>,
    },
    Acc {
        red: u32,
        src: Src<T>,
    },
}

/// Options for [`Plan::compile_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Elements per register block; `None` picks one so that a stage's blocks (its
    /// registers, input and output blocks) fill about 8 KiB. Rounded up to a
    /// multiple of [`LANES`].
    pub chunk: Option<usize>,
}

/// The execution plan of one loop: run it over any sub-range of its index range with
/// [`Stage::run_range`], from as many threads at once as there are disjoint ranges.
#[derive(Clone, Debug)]
pub struct Stage<T> {
    pub(crate) domain: Range<usize>,
    pub(crate) chunk: usize,
    pub(crate) nregs: usize,
    pub(crate) inputs: Vec<ArrayId>,
    pub(crate) input_lens: Vec<usize>,
    pub(crate) input_names: Vec<String>,
    pub(crate) outputs: Vec<ArrayId>,
    pub(crate) output_names: Vec<String>,
    pub(crate) reductions: Vec<(ReductionId, ReduceOp)>,
    pub(crate) code: Vec<Instr<T>>,
}

/// A compiled program: its stages, run in order (a stage may read arrays that earlier
/// stages wrote), plus the program's interface.
///
/// `Plan` and [`Stage`] are `Send + Sync`: a parallel runtime shares one plan between
/// threads, gives each thread its own [`Scratch`](crate::ir::Scratch), and calls
/// [`Stage::run_range`] on disjoint ranges; see there for an example.
#[derive(Clone, Debug)]
pub struct Plan<T> {
    pub(crate) dtype: DType,
    pub(crate) stages: Vec<Stage<T>>,
    pub(crate) inputs: Vec<(ArrayId, usize, String)>,
    pub(crate) results: Vec<(ArrayId, usize, String)>,
    pub(crate) temps: Vec<(ArrayId, usize)>,
    pub(crate) reductions: Vec<(String, ReduceOp)>,
}

/// Values the compiler tracks: an operand form, or a virtual register.
#[derive(Clone, Copy)]
enum V<T> {
    Val(usize),
    In { slot: u32, offset: isize },
    Const(T),
}

#[derive(Clone, Copy)]
enum VInstr<T> {
    Fill(T),
    Iota(isize),
    Un(UnOp, V<T>),
    Bin(BinOp, V<T>, V<T>),
    Select(V<T>, V<T>, V<T>),
    Store(u32, V<T>),
    Acc(u32, V<T>),
}

impl<T: Copy> VInstr<T> {
    fn sources(&self) -> impl Iterator<Item = V<T>> {
        let (s, n) = match *self {
            VInstr::Fill(_) | VInstr::Iota(_) => ([V::Val(0); 3], 0),
            VInstr::Un(_, a) | VInstr::Store(_, a) | VInstr::Acc(_, a) => ([a, a, a], 1),
            VInstr::Bin(_, a, b) => ([a, b, b], 2),
            VInstr::Select(c, a, b) => ([c, a, b], 3),
        };
        s.into_iter().take(n)
    }
    fn defines(&self) -> bool {
        !matches!(self, VInstr::Store(..) | VInstr::Acc(..))
    }
}

/// The default chunk: one chunk's blocks (its registers, and the blocks of
/// the inputs it reads and the outputs it writes) fill about 8 KiB, a
/// quarter of a 32 KiB L1 data cache, between 64 and 1024 elements.
///
/// Every instruction is one pass over blocks, so the blocks must stay in
/// L1 between instructions. Counting registers alone against all of L1
/// (before) gave Black-Scholes 512-element chunks, whose 11 blocks (5
/// registers, 5 inputs, 1 output: 44 KiB) do not fit a 32 KiB L1.
fn auto_chunk(blocks: usize, elem: usize) -> usize {
    let per = 8 * 1024 / (blocks.max(1) * elem);
    let pow = if per == 0 { 1 } else { 1 << per.ilog2() };
    pow.clamp(64, 1024)
}

fn compile_loop<T: Element>(prog: &Program, index: usize, opts: PlanOptions) -> Stage<T> {
    let l = &prog.loops[index];
    let g = &prog.graph;
    let inputs = prog.loop_reads(index);
    let slot: BTreeMap<ArrayId, u32> = inputs
        .iter()
        .enumerate()
        .map(|(i, &a)| (a, i as u32))
        .collect();
    let mut roots: BTreeMap<NodeId, Vec<(bool, u32)>> = BTreeMap::new();
    for (k, &(_, n)) in l.outputs.iter().enumerate() {
        roots.entry(n).or_default().push((true, k as u32));
    }
    for (k, &(_, n)) in l.reductions.iter().enumerate() {
        roots.entry(n).or_default().push((false, k as u32));
    }

    // 1. Virtual code: one value per computed node, operands where they live.
    let mut code: Vec<VInstr<T>> = Vec::new();
    let mut def_of: Vec<usize> = Vec::new(); // value -> instruction index
    let mut value: BTreeMap<NodeId, V<T>> = BTreeMap::new();
    let emit = |code: &mut Vec<VInstr<T>>, def_of: &mut Vec<usize>, i: VInstr<T>| -> V<T> {
        code.push(i);
        def_of.push(code.len() - 1);
        V::Val(def_of.len() - 1)
    };
    // Constants an instruction cannot take as a scalar get their own block.
    let reg = |code: &mut Vec<VInstr<T>>, def_of: &mut Vec<usize>, v: V<T>| match v {
        V::Const(c) => emit(code, def_of, VInstr::Fill(c)),
        v => v,
    };
    for id in prog.loop_nodes(index) {
        let v = match g.expr(id) {
            Expr::Load { array, offset } => V::In {
                slot: slot[&array],
                offset,
            },
            Expr::Const { bits } => V::Const(T::from_f64(f64::from_bits(bits))),
            Expr::Bool(b) => V::Const(T::truth(b)),
            Expr::Index { offset } => emit(&mut code, &mut def_of, VInstr::Iota(offset)),
            Expr::Unary(op, a) => {
                let a = reg(&mut code, &mut def_of, value[&a]);
                emit(&mut code, &mut def_of, VInstr::Un(op, a))
            }
            Expr::Binary(op, a, b) => {
                let (mut a, b) = (value[&a], value[&b]);
                if matches!((a, b), (V::Const(_), V::Const(_))) {
                    a = reg(&mut code, &mut def_of, a);
                }
                emit(&mut code, &mut def_of, VInstr::Bin(op, a, b))
            }
            Expr::Select(c, a, b) => {
                let c = reg(&mut code, &mut def_of, value[&c]);
                let a = reg(&mut code, &mut def_of, value[&a]);
                let b = reg(&mut code, &mut def_of, value[&b]);
                emit(&mut code, &mut def_of, VInstr::Select(c, a, b))
            }
        };
        value.insert(id, v);
        for &(is_out, k) in roots.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
            if is_out {
                match v {
                    V::Const(c) => {
                        // A constant output: fill the output block directly.
                        let f = emit(&mut code, &mut def_of, VInstr::Fill(c));
                        code.push(VInstr::Store(k, f));
                    }
                    v => code.push(VInstr::Store(k, v)),
                }
            } else {
                let v = reg(&mut code, &mut def_of, v);
                code.push(VInstr::Acc(k, v));
            }
        }
    }

    // 2. Uses and last uses of each value.
    let nvals = def_of.len();
    let mut uses = alloc::vec![0usize; nvals];
    let mut last = alloc::vec![usize::MAX; nvals];
    for (pos, ins) in code.iter().enumerate() {
        for s in ins.sources() {
            if let V::Val(v) = s {
                uses[v] += 1;
                last[v] = pos;
            }
        }
    }

    // 3. A value whose only use is one store is computed into the output directly.
    let mut dst_out: Vec<Option<u32>> = alloc::vec![None; nvals];
    let mut dropped = alloc::vec![false; code.len()];
    for (pos, ins) in code.iter().enumerate() {
        if let VInstr::Store(k, V::Val(v)) = *ins
            && uses[v] == 1
        {
            dst_out[v] = Some(k);
            dropped[pos] = true;
        }
    }

    // 4. Linear-scan register allocation; a destination is taken before the sources
    // it replaces are freed, so it never aliases them.
    let mut reg_of: Vec<u32> = alloc::vec![u32::MAX; nvals];
    let mut free: Vec<u32> = Vec::new();
    let mut nregs = 0u32;
    let mut out_code: Vec<Instr<T>> = Vec::with_capacity(code.len());
    let mut val_at = 0usize;
    for (pos, ins) in code.iter().enumerate() {
        let dst = if ins.defines() {
            let v = val_at;
            val_at += 1;
            debug_assert_eq!(def_of[v], pos);
            Some(match dst_out[v] {
                Some(k) => Dst::Out(k),
                None => {
                    free.sort_unstable_by(|a, b| b.cmp(a));
                    let r = free.pop().unwrap_or_else(|| {
                        nregs += 1;
                        nregs - 1
                    });
                    reg_of[v] = r;
                    if uses[v] == 0 {
                        free.push(r);
                    }
                    Dst::Reg(r)
                }
            })
        } else {
            None
        };
        let src = |v: V<T>| match v {
            V::Val(v) => Src::Reg(reg_of[v]),
            V::In { slot, offset } => Src::In { slot, offset },
            V::Const(c) => Src::Const(c),
        };
        if !dropped[pos] {
            out_code.push(match (*ins, dst) {
                (VInstr::Fill(c), Some(d)) => Instr::Fill { dst: d, value: c },
                (VInstr::Iota(o), Some(d)) => Instr::Iota { dst: d, offset: o },
                (VInstr::Un(op, a), Some(d)) => Instr::Un {
                    op,
                    dst: d,
                    a: src(a),
                },
                (VInstr::Bin(op, a, b), Some(d)) => Instr::Bin {
                    op,
                    dst: d,
                    a: src(a),
                    b: src(b),
                },
                (VInstr::Select(c, a, b), Some(d)) => Instr::Select {
                    dst: d,
                    c: src(c),
                    a: src(a),
                    b: src(b),
                },
                (VInstr::Store(k, a), None) => Instr::Store {
                    out: k,
                    src: src(a),
                },
                (VInstr::Acc(k, a), None) => Instr::Acc {
                    red: k,
                    src: src(a),
                },
                _ => unreachable!("defining instructions have a destination"),
            });
        }
        let mut seen: [usize; 3] = [usize::MAX; 3];
        for (k, s) in ins.sources().enumerate() {
            if let V::Val(v) = s {
                if last[v] == pos && !seen.contains(&v) && dst_out[v].is_none() {
                    free.push(reg_of[v]);
                }
                seen[k] = v;
            }
        }
    }

    let nregs = nregs as usize;
    let chunk = opts
        .chunk
        .unwrap_or_else(|| {
            let blocks = nregs + inputs.len() + l.outputs.len();
            auto_chunk(blocks, core::mem::size_of::<T>())
        })
        .max(1)
        .next_multiple_of(LANES);
    let name = |a: &ArrayId| prog.array(*a).name.clone();
    Stage {
        domain: l.domain.clone(),
        chunk,
        nregs,
        input_lens: inputs.iter().map(|a| prog.array(*a).len).collect(),
        input_names: inputs.iter().map(name).collect(),
        inputs,
        outputs: l.outputs.iter().map(|o| o.0).collect(),
        output_names: l.outputs.iter().map(|o| name(&o.0)).collect(),
        reductions: l
            .reductions
            .iter()
            .map(|&(r, _)| (r, prog.reductions[r.index()].op))
            .collect(),
        code: out_code,
    }
}

impl<T: Element> Plan<T> {
    /// Compiles `program` (optimised or not) with default options.
    ///
    /// # Errors
    /// [`IrError::DTypeMismatch`] if `T` is not the program's element type.
    pub fn compile(program: &Program) -> Result<Plan<T>, IrError> {
        Plan::compile_with(program, PlanOptions::default())
    }

    /// Compiles `program` with explicit options.
    ///
    /// # Errors
    /// [`IrError::DTypeMismatch`] if `T` is not the program's element type.
    pub fn compile_with(program: &Program, opts: PlanOptions) -> Result<Plan<T>, IrError> {
        if T::DTYPE != program.dtype {
            return Err(IrError::DTypeMismatch {
                program: program.dtype,
                requested: T::DTYPE,
            });
        }
        let decl = |a: ArrayId| (a, program.array(a).len, program.array(a).name.clone());
        Ok(Plan {
            dtype: program.dtype,
            stages: (0..program.loops.len())
                .map(|i| compile_loop(program, i, opts))
                .collect(),
            inputs: program.inputs().into_iter().map(decl).collect(),
            results: program.results().into_iter().map(decl).collect(),
            temps: (0..program.arrays.len() as u32)
                .map(ArrayId)
                .filter(|&a| {
                    program.array(a).role == super::program::ArrayRole::Temp
                        && program.producer(a).is_some()
                })
                .map(|a| (a, program.array(a).len))
                .collect(),
            reductions: program
                .reductions
                .iter()
                .map(|r| (r.name.clone(), r.op))
                .collect(),
        })
    }

    /// The stages, in the order they must run.
    pub fn stages(&self) -> &[Stage<T>] {
        &self.stages
    }

    /// The program inputs (id, length, name), in the order [`Plan::run`] takes them.
    pub fn inputs(&self) -> impl Iterator<Item = (ArrayId, usize, &str)> {
        self.inputs.iter().map(|(a, n, s)| (*a, *n, s.as_str()))
    }

    /// The result arrays (id, length, name), in the order [`Plan::run`] takes them.
    pub fn results(&self) -> impl Iterator<Item = (ArrayId, usize, &str)> {
        self.results.iter().map(|(a, n, s)| (*a, *n, s.as_str()))
    }

    /// The temporary arrays a caller running the stages itself must provide (id, length).
    pub fn temps(&self) -> impl Iterator<Item = (ArrayId, usize)> + '_ {
        self.temps.iter().copied()
    }

    /// The reductions (name, operation), in [`ReductionId`] order.
    pub fn reductions(&self) -> impl Iterator<Item = (&str, ReduceOp)> {
        self.reductions.iter().map(|(s, op)| (s.as_str(), *op))
    }
}

impl<T> Stage<T> {
    /// The loop's index range; [`Stage::run_range`] takes sub-ranges of it.
    pub fn domain(&self) -> Range<usize> {
        self.domain.clone()
    }
    /// The arrays read, in the order of `run_range`'s `inputs` (whole arrays).
    pub fn inputs(&self) -> &[ArrayId] {
        &self.inputs
    }
    /// The arrays written, in the order of `run_range`'s `outputs`. Element `i` of the
    /// loop goes to `array[i - domain().start]`.
    pub fn outputs(&self) -> &[ArrayId] {
        &self.outputs
    }
    /// The reductions folded, in the order of `run_range`'s partials.
    pub fn reductions(&self) -> &[(ReductionId, ReduceOp)] {
        &self.reductions
    }
    /// Elements per register block.
    pub fn chunk(&self) -> usize {
        self.chunk
    }
    /// Number of register blocks.
    pub fn registers(&self) -> usize {
        self.nregs
    }
    /// Number of block instructions run per chunk.
    pub fn instructions(&self) -> usize {
        self.code.len()
    }
    /// A rough cost per element in units of one simple operation (add = 1, divide or
    /// square root = 4, exp/ln/log10/erf = 20), for grain-size decisions.
    pub fn cost_per_element(&self) -> usize {
        self.code
            .iter()
            .map(|i| match i {
                Instr::Un { op, .. } => match op {
                    UnOp::Exp | UnOp::Ln | UnOp::Log10 | UnOp::Erf => 20,
                    UnOp::Sqrt => 4,
                    _ => 1,
                },
                Instr::Bin { op: BinOp::Div, .. } => 4,
                _ => 1,
            })
            .sum()
    }
}

fn fmt_src<T: fmt::Debug>(s: &Src<T>, names: &[String]) -> String {
    match s {
        Src::Reg(r) => alloc::format!("r{r}"),
        Src::In { slot, offset } => match *offset {
            0 => alloc::format!("{}[i]", names[*slot as usize]),
            o => alloc::format!("{}[i{o:+}]", names[*slot as usize]),
        },
        Src::Const(c) => alloc::format!("{c:?}"),
    }
}

impl<T: fmt::Debug> fmt::Display for Stage<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "stage over {}..{}: {} registers x {} elements, {} instructions",
            self.domain.start,
            self.domain.end,
            self.nregs,
            self.chunk,
            self.code.len()
        )?;
        let d = |d: &Dst| match d {
            Dst::Reg(r) => alloc::format!("r{r}"),
            Dst::Out(k) => alloc::format!("{}[..]", self.output_names[*k as usize]),
        };
        let s = |s: &Src<T>| fmt_src(s, &self.input_names);
        for ins in &self.code {
            match ins {
                Instr::Fill { dst, value } => writeln!(f, "  {} = fill {value:?}", d(dst))?,
                Instr::Iota { dst, offset } => writeln!(f, "  {} = index {offset:+}", d(dst))?,
                Instr::Un { op, dst, a } => writeln!(f, "  {} = {op} {}", d(dst), s(a))?,
                Instr::Bin { op, dst, a, b } => {
                    writeln!(f, "  {} = {op} {}, {}", d(dst), s(a), s(b))?
                }
                Instr::Select { dst, c, a, b } => {
                    writeln!(f, "  {} = select {}, {}, {}", d(dst), s(c), s(a), s(b))?
                }
                Instr::Store { out, src } => {
                    writeln!(f, "  {}[..] = {}", self.output_names[*out as usize], s(src))?
                }
                Instr::Acc { red, src } => {
                    let (_, op) = self.reductions[*red as usize];
                    writeln!(f, "  reduction {red} {op}= {}", s(src))?
                }
            }
        }
        Ok(())
    }
}

impl<T: fmt::Debug> fmt::Display for Plan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.stages.len();
        writeln!(
            f,
            "plan {}: {n} stage{}",
            self.dtype,
            if n == 1 { "" } else { "s" }
        )?;
        for s in &self.stages {
            write!(f, "{s}")?;
        }
        Ok(())
    }
}
