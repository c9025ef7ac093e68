//! A program: named arrays, and a sequence of loops that read and write them.
//!
//! Every array is written by at most one loop (inputs by none), and a loop only reads
//! arrays that exist before it: arrays are single-assignment, which is what makes the
//! passes' reorderings safe. Each pattern a user builds is one [`Loop`]:
//!
//! - a **Map** is a loop over `0..n` whose outputs have length `n`;
//! - a **Reduce** is a loop whose only products are reductions;
//! - a **Comprehension** is a loop over an explicit index range `lo..hi` whose outputs
//!   have length `hi - lo` (`out[i - lo]`), reading arrays at constant offsets.
//!
//! Fusion merges loops, so an optimised loop may carry several patterns at once; it
//! remembers which ([`Loop::patterns`]). Stencils are a separate node kind with their
//! own executor, in [`ir::stencil`](crate::ir::stencil).

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use super::graph::{ArrayId, Expr, Graph, NodeId};
use super::op::{BinOp, ReduceOp, UnOp, ValueKind};
use super::real::DType;

/// What an array is to the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArrayRole {
    /// Given by the caller, never written.
    Input,
    /// An intermediate: computed by one loop, read by later ones, not returned.
    /// Fusion usually eliminates these.
    Temp,
    /// A program result, written into a caller-provided slice.
    Result,
}

/// A declared array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrayDecl {
    pub(crate) name: String,
    pub(crate) len: usize,
    pub(crate) kind: ValueKind,
    pub(crate) role: ArrayRole,
}

impl ArrayDecl {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its length.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True if it has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Numbers, or booleans stored as `1.0`/`0.0`.
    pub fn kind(&self) -> ValueKind {
        self.kind
    }
    /// Input, temporary or result.
    pub fn role(&self) -> ArrayRole {
        self.role
    }
}

/// A reduction result of a [`Program`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReductionId(pub(crate) u32);

impl ReductionId {
    /// Position in [`Program::reductions`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A declared reduction: a named scalar result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReductionDecl {
    pub(crate) name: String,
    pub(crate) op: ReduceOp,
}

impl ReductionDecl {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its operation.
    pub fn op(&self) -> ReduceOp {
        self.op
    }
}

/// The pattern a user wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatternKind {
    /// n outputs from k same-length inputs.
    Map,
    /// A scalar reduction over an expression.
    Reduce,
    /// Outputs over an index range, reading at constant offsets.
    Comprehension,
}

impl PatternKind {
    /// The name used in dumps.
    pub fn name(self) -> &'static str {
        match self {
            PatternKind::Map => "map",
            PatternKind::Reduce => "reduce",
            PatternKind::Comprehension => "comprehension",
        }
    }
}

/// One loop over an index range: at each index `i` it evaluates its roots, writes
/// `output[i - domain.start]` and folds its reduction values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loop {
    pub(crate) domain: Range<usize>,
    pub(crate) outputs: Vec<(ArrayId, NodeId)>,
    pub(crate) reductions: Vec<(ReductionId, NodeId)>,
    pub(crate) patterns: Vec<PatternKind>,
}

impl Loop {
    /// The index range.
    pub fn domain(&self) -> Range<usize> {
        self.domain.clone()
    }
    /// The arrays written, each with the node whose value it receives.
    pub fn outputs(&self) -> &[(ArrayId, NodeId)] {
        &self.outputs
    }
    /// The reductions folded, each with the node reduced.
    pub fn reductions(&self) -> &[(ReductionId, NodeId)] {
        &self.reductions
    }
    /// The patterns merged into this loop, in program order.
    pub fn patterns(&self) -> &[PatternKind] {
        &self.patterns
    }
    /// All root nodes: outputs then reductions.
    pub fn roots(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.outputs
            .iter()
            .map(|o| o.1)
            .chain(self.reductions.iter().map(|r| r.1))
    }
}

/// The kind of a node, for counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// An array read.
    Load,
    /// A numeric or boolean constant.
    Const,
    /// The loop index.
    Index,
    /// A unary operation.
    Unary(UnOp),
    /// A binary operation.
    Binary(BinOp),
    /// A select.
    Select,
}

impl OpKind {
    /// The kind of `e`.
    pub fn of(e: Expr) -> OpKind {
        match e {
            Expr::Load { .. } => OpKind::Load,
            Expr::Const { .. } | Expr::Bool(_) => OpKind::Const,
            Expr::Index { .. } => OpKind::Index,
            Expr::Unary(op, _) => OpKind::Unary(op),
            Expr::Binary(op, _, _) => OpKind::Binary(op),
            Expr::Select(..) => OpKind::Select,
        }
    }

    /// True for operations that compute (not loads, constants or the index).
    pub fn computes(self) -> bool {
        matches!(self, OpKind::Unary(_) | OpKind::Binary(_) | OpKind::Select)
    }
}

/// How many nodes of each kind a loop evaluates per index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpCounts {
    counts: alloc::collections::BTreeMap<OpKind, usize>,
}

impl OpCounts {
    /// The number of nodes of `kind`.
    pub fn get(&self, kind: OpKind) -> usize {
        self.counts.get(&kind).copied().unwrap_or(0)
    }
    /// The number of computing nodes (everything but loads, constants, the index).
    pub fn computing(&self) -> usize {
        self.counts
            .iter()
            .filter(|(k, _)| k.computes())
            .map(|(_, n)| n)
            .sum()
    }
    /// Every kind present, with its count, in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = (OpKind, usize)> + '_ {
        self.counts.iter().map(|(&k, &n)| (k, n))
    }
}

/// A validated program over one element type. Build one with
/// [`Builder`](crate::ir::Builder), optimise it with [`Program::optimize`], print it with
/// `Display`, and run it with a [`Plan`](crate::ir::Plan).
#[derive(Clone, Debug)]
pub struct Program {
    pub(crate) dtype: DType,
    pub(crate) graph: Graph,
    pub(crate) arrays: Vec<ArrayDecl>,
    pub(crate) loops: Vec<Loop>,
    pub(crate) reductions: Vec<ReductionDecl>,
}

impl Program {
    /// The element type of every array and value.
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    /// The expression arena shared by all loops.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }
    /// Every declared array, indexed by [`ArrayId::index`] (eliminated temporaries too).
    pub fn arrays(&self) -> &[ArrayDecl] {
        &self.arrays
    }
    /// One array's declaration.
    pub fn array(&self, id: ArrayId) -> &ArrayDecl {
        &self.arrays[id.index()]
    }
    /// The array called `name`.
    pub fn array_id(&self, name: &str) -> Option<ArrayId> {
        self.arrays
            .iter()
            .position(|a| a.name == name)
            .map(|i| ArrayId(i as u32))
    }
    /// The loops, in execution order.
    pub fn loops(&self) -> &[Loop] {
        &self.loops
    }
    /// The reductions, indexed by [`ReductionId::index`].
    pub fn reductions(&self) -> &[ReductionDecl] {
        &self.reductions
    }
    /// The reduction called `name`.
    pub fn reduction_id(&self, name: &str) -> Option<ReductionId> {
        self.reductions
            .iter()
            .position(|r| r.name == name)
            .map(|i| ReductionId(i as u32))
    }
    /// The input arrays, in declaration order: the order [`Plan::run`](crate::ir::Plan::run)
    /// takes them in.
    pub fn inputs(&self) -> Vec<ArrayId> {
        self.ids_with(ArrayRole::Input)
    }
    /// The result arrays, in declaration order: the order [`Plan::run`](crate::ir::Plan::run)
    /// takes their slices in.
    pub fn results(&self) -> Vec<ArrayId> {
        self.ids_with(ArrayRole::Result)
    }
    fn ids_with(&self, role: ArrayRole) -> Vec<ArrayId> {
        (0..self.arrays.len() as u32)
            .map(ArrayId)
            .filter(|&a| self.array(a).role == role)
            .collect()
    }
    /// The loop that writes `array`, if any (inputs and eliminated temporaries: none).
    pub fn producer(&self, array: ArrayId) -> Option<usize> {
        self.loops
            .iter()
            .position(|l| l.outputs.iter().any(|o| o.0 == array))
    }
    /// The nodes loop `index` evaluates per index, in topological order.
    pub fn loop_nodes(&self, index: usize) -> Vec<NodeId> {
        self.graph.reachable(self.loops[index].roots())
    }
    /// The arrays loop `index` reads, ascending, without repeats.
    pub fn loop_reads(&self, index: usize) -> Vec<ArrayId> {
        let mut reads: Vec<ArrayId> = self
            .loop_nodes(index)
            .into_iter()
            .filter_map(|n| match self.graph.expr(n) {
                Expr::Load { array, .. } => Some(array),
                _ => None,
            })
            .collect();
        reads.sort_unstable();
        reads.dedup();
        reads
    }
    /// What loop `index` evaluates per index, by kind.
    pub fn op_counts(&self, index: usize) -> OpCounts {
        let mut c = OpCounts::default();
        for n in self.loop_nodes(index) {
            *c.counts.entry(OpKind::of(self.graph.expr(n))).or_insert(0) += 1;
        }
        c
    }
}
