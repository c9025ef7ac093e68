//! The optimisation passes: fusion, constant folding, dead-output removal, CSE.
//!
//! No pass changes any computed value, and none reassociates: fusion only substitutes an
//! array read by the expression that produced the element read, folding evaluates
//! constant subexpressions with the same scalar functions the executors use (in the
//! program's element type), and the algebraic rewrites it makes are exact identities
//! (`x*1`, `1*x`, `x/1`, `x-(+0)`, `x+(-0)`, `-0+x`, `-(-x)`, `not(not b)`, `b and
//! true`, `b or false`, `select` on a constant or with equal branches). The only
//! difference those rewrites can make is a NaN's payload or signalling bit.
//!
//! [`Program::optimize`] runs them in the order that makes each one most effective.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use super::graph::{ArrayId, Expr, Graph, NodeId};
use super::op::{BinOp, UnOp, ValueKind, select_value};
use super::program::{ArrayRole, Loop, Program};
use super::real::DType;

/// What [`Program::optimize`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassStats {
    /// Loops before.
    pub loops_before: usize,
    /// Loops after.
    pub loops_after: usize,
    /// Loops merged into earlier loops by fusion.
    pub fused: usize,
    /// Nodes replaced by constant folding or an exact identity.
    pub folded: usize,
    /// Array outputs removed because nothing reads them and they are not results.
    pub dead_outputs: usize,
    /// Nodes dropped from the arena by CSE/compaction.
    pub nodes_removed: usize,
}

impl fmt::Display for PassStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} loops -> {}: {} fused, {} nodes folded, {} dead outputs removed, {} nodes compacted away",
            self.loops_before,
            self.loops_after,
            self.fused,
            self.folded,
            self.dead_outputs,
            self.nodes_removed
        )
    }
}

/// A constant node's value (booleans as `1.0`/`0.0`).
fn const_of(g: &Graph, id: NodeId) -> Option<f64> {
    match g.expr(id) {
        Expr::Const { bits } => Some(f64::from_bits(bits)),
        Expr::Bool(b) => Some(f64::from(u8::from(b))),
        _ => None,
    }
}

fn is_const(g: &Graph, id: NodeId, v: f64) -> bool {
    matches!(g.expr(id), Expr::Const { bits } if bits == v.to_bits())
}

fn is_bool(g: &Graph, id: NodeId, v: bool) -> bool {
    g.expr(id) == Expr::Bool(v)
}

fn fold_un(dtype: DType, op: UnOp, x: f64) -> f64 {
    match dtype {
        DType::F64 => op.apply(x),
        DType::F32 => f64::from(op.apply(x as f32)),
    }
}

fn fold_bin(dtype: DType, op: BinOp, a: f64, b: f64) -> f64 {
    match dtype {
        DType::F64 => op.apply(a, b),
        DType::F32 => f64::from(op.apply(a as f32, b as f32)),
    }
}

/// The outcome of simplifying one node whose operands are already simplified.
enum Simplified {
    /// Replaced by an existing node.
    Node(NodeId),
    /// Replaced by a constant of the node's kind.
    Value(f64),
    /// Unchanged.
    Keep,
}

fn simplify(g: &Graph, e: Expr, dtype: DType) -> Simplified {
    use Simplified::*;
    match e {
        Expr::Unary(op, a) => {
            if let Some(x) = const_of(g, a) {
                return Value(fold_un(dtype, op, x));
            }
            match (op, g.expr(a)) {
                (UnOp::Neg, Expr::Unary(UnOp::Neg, y)) | (UnOp::Not, Expr::Unary(UnOp::Not, y)) => {
                    Node(y)
                }
                _ => Keep,
            }
        }
        Expr::Binary(op, a, b) => {
            if let (Some(x), Some(y)) = (const_of(g, a), const_of(g, b)) {
                return Value(fold_bin(dtype, op, x, y));
            }
            match op {
                BinOp::Mul if is_const(g, b, 1.0) => Node(a),
                BinOp::Mul if is_const(g, a, 1.0) => Node(b),
                BinOp::Div if is_const(g, b, 1.0) => Node(a),
                BinOp::Sub if is_const(g, b, 0.0) => Node(a),
                BinOp::Add if is_const(g, b, -0.0) => Node(a),
                BinOp::Add if is_const(g, a, -0.0) => Node(b),
                BinOp::And if is_bool(g, b, true) => Node(a),
                BinOp::And if is_bool(g, a, true) => Node(b),
                BinOp::And if is_bool(g, a, false) || is_bool(g, b, false) => Value(0.0),
                BinOp::Or if is_bool(g, b, false) => Node(a),
                BinOp::Or if is_bool(g, a, false) => Node(b),
                BinOp::Or if is_bool(g, a, true) || is_bool(g, b, true) => Value(1.0),
                _ => Keep,
            }
        }
        Expr::Select(c, a, b) => {
            if let (Some(cv), Some(x), Some(y)) = (const_of(g, c), const_of(g, a), const_of(g, b)) {
                return Value(select_value(cv, x, y));
            }
            match const_of(g, c) {
                Some(cv) => Node(if cv != 0.0 { a } else { b }),
                None if a == b => Node(a),
                None => Keep,
            }
        }
        _ => Keep,
    }
}

impl Program {
    /// Interns `e` into this program's graph (loads take their array's kind).
    pub(crate) fn intern(&mut self, e: Expr) -> NodeId {
        let kind = match e {
            Expr::Load { array, .. } => self.arrays[array.index()].kind,
            _ => ValueKind::Num,
        };
        self.graph.intern(e, kind)
    }

    fn all_roots(&self) -> Vec<NodeId> {
        self.loops.iter().flat_map(|l| l.roots()).collect()
    }

    /// Rebuilds the arena with only the nodes the loops need, in canonical order,
    /// simplifying each node (after its operands) if `fold`; returns the number of
    /// nodes simplified.
    fn rebuild(&mut self, fold: bool) -> usize {
        let old = core::mem::take(&mut self.graph);
        let mut map: Vec<Option<NodeId>> = alloc::vec![None; old.len()];
        let mut changed = 0;
        // Post-order makes the new arena's order (and so the dump) canonical.
        for id in old.postorder(self.all_roots()) {
            let e = old
                .expr(id)
                .map_operands(|c| map[c.index()].expect("operands precede their node"));
            let kind = old.kind(id);
            let s = if fold {
                simplify(&self.graph, e, self.dtype)
            } else {
                Simplified::Keep
            };
            let new = match s {
                Simplified::Keep => self.graph.intern(e, kind),
                Simplified::Node(n) => {
                    changed += 1;
                    n
                }
                Simplified::Value(v) => {
                    changed += 1;
                    let c = match kind {
                        ValueKind::Num => Expr::constant(v),
                        ValueKind::Bool => Expr::Bool(v != 0.0),
                    };
                    self.graph.intern(c, kind)
                }
            };
            map[id.index()] = Some(new);
        }
        let remap = |n: &mut NodeId| *n = map[n.index()].expect("roots are reachable");
        for l in &mut self.loops {
            l.outputs.iter_mut().for_each(|o| remap(&mut o.1));
            l.reductions.iter_mut().for_each(|r| remap(&mut r.1));
        }
        changed
    }

    /// Constant folding and exact identities (see the module docs); returns the number
    /// of nodes replaced.
    pub fn fold_constants(&mut self) -> usize {
        self.rebuild(true)
    }

    /// Common-subexpression elimination: re-interns every node the loops need into a
    /// fresh arena, so that structurally equal nodes created by fusion or folding
    /// become one and unreachable nodes disappear. (Nodes are hash-consed when built, so
    /// a loop never evaluates the same subexpression twice; this pass keeps that true
    /// across the other passes and compacts the arena.) Returns the number of nodes
    /// removed.
    pub fn cse(&mut self) -> usize {
        let before = self.graph.len();
        self.rebuild(false);
        before - self.graph.len()
    }

    fn loads_of(&self, l: &Loop) -> Vec<(ArrayId, isize)> {
        self.graph
            .reachable(l.roots())
            .into_iter()
            .filter_map(|n| match self.graph.expr(n) {
                Expr::Load { array, offset } => Some((array, offset)),
                _ => None,
            })
            .collect()
    }

    /// `roots` evaluated `by` indices further on (every read and index shifted), with
    /// every read of an array in `subst` replaced by the node that computes the element
    /// read (the caller has checked those reads are pointwise).
    fn substitute(&mut self, roots: &mut [NodeId], subst: &BTreeMap<ArrayId, NodeId>, by: isize) {
        let order = self.graph.reachable(roots.iter().copied());
        let mut map: Vec<Option<NodeId>> = alloc::vec![None; self.graph.len()];
        for id in order {
            let new = match self.graph.expr(id) {
                Expr::Load { array, .. } if subst.contains_key(&array) => subst[&array],
                Expr::Load { array, offset } => self.intern(Expr::Load {
                    array,
                    offset: offset + by,
                }),
                Expr::Index { offset } => self.intern(Expr::Index {
                    offset: offset + by,
                }),
                e => {
                    let e =
                        e.map_operands(|c| map[c.index()].expect("operands precede their node"));
                    self.intern(e)
                }
            };
            map[id.index()] = Some(new);
        }
        for r in roots {
            *r = map[r.index()].expect("roots are reachable");
        }
    }

    /// Loop fusion: each loop is merged into the latest earlier loop whose index range
    /// has the same length and that it can move up to (no loop in between writes an
    /// array it reads), provided it reads that loop's outputs only pointwise (the `r`-th
    /// element at the `r`-th index of its range). Those reads are replaced by the
    /// producing expressions, and a loop over a shifted range is re-indexed (its reads
    /// shifted to match; lane order of reductions, which counts from the range start,
    /// is unchanged). This covers map∘map, map→reduce, comprehensions and sibling loops.
    /// Reads at other offsets keep loops apart, since those elements must all exist
    /// first. Returns the number of loops merged away.
    pub fn fuse(&mut self) -> usize {
        let loops = core::mem::take(&mut self.loops);
        let mut producer: Vec<Option<usize>> = alloc::vec![None; self.arrays.len()];
        let mut out: Vec<Loop> = Vec::with_capacity(loops.len());
        let mut merged = 0;
        for mut c in loops {
            let reads = self.loads_of(&c);
            let pointwise = -(c.domain.start as isize);
            let mut target = None;
            for j in (0..out.len()).rev() {
                let mut from_j = reads
                    .iter()
                    .filter(|(a, _)| producer[a.index()] == Some(j))
                    .peekable();
                let reads_j = from_j.peek().is_some();
                if out[j].domain.len() == c.domain.len() && from_j.all(|&(_, off)| off == pointwise)
                {
                    target = Some(j);
                    break;
                }
                if reads_j {
                    break;
                }
            }
            let dest = match target {
                None => {
                    out.push(c);
                    out.len() - 1
                }
                Some(j) => {
                    let subst: BTreeMap<ArrayId, NodeId> = out[j].outputs.iter().copied().collect();
                    // Index i of `c` becomes index i + delta of the merged loop.
                    let by = c.domain.start as isize - out[j].domain.start as isize;
                    let mut roots: Vec<NodeId> = c.roots().collect();
                    self.substitute(&mut roots, &subst, by);
                    let (outs, reds) = roots.split_at(c.outputs.len());
                    c.outputs.iter_mut().zip(outs).for_each(|(o, &n)| o.1 = n);
                    c.reductions
                        .iter_mut()
                        .zip(reds)
                        .for_each(|(r, &n)| r.1 = n);
                    let t = &mut out[j];
                    t.outputs.append(&mut c.outputs);
                    t.reductions.append(&mut c.reductions);
                    t.patterns.append(&mut c.patterns);
                    merged += 1;
                    j
                }
            };
            for &(a, _) in &out[dest].outputs {
                producer[a.index()] = Some(dest);
            }
        }
        self.loops = out;
        merged
    }

    /// Removes array outputs that no loop reads and that are not program results (to a
    /// fixed point, since a removed output can leave another one unread), and loops left
    /// with nothing to produce. Returns the number of outputs removed.
    pub fn remove_dead_outputs(&mut self) -> usize {
        let mut removed = 0;
        loop {
            let mut read = alloc::vec![false; self.arrays.len()];
            for l in &self.loops {
                for (a, _) in self.loads_of(l) {
                    read[a.index()] = true;
                }
            }
            let arrays = &self.arrays;
            let mut changed = 0;
            for l in &mut self.loops {
                let before = l.outputs.len();
                l.outputs
                    .retain(|&(a, _)| read[a.index()] || arrays[a.index()].role != ArrayRole::Temp);
                changed += before - l.outputs.len();
            }
            self.loops
                .retain(|l| !l.outputs.is_empty() || !l.reductions.is_empty());
            removed += changed;
            if changed == 0 {
                return removed;
            }
        }
    }

    /// All passes: fold, fuse, fold again (fusion can expose constants), remove dead
    /// outputs, then CSE/compaction.
    ///
    /// ```
    /// use accel_core::ir::{Builder, DType, exp};
    /// // Array-at-a-time: each operation below is its own loop over a temporary array.
    /// let b = Builder::array_at_a_time(DType::F64);
    /// let x = b.input("x", 100)?;
    /// let y = b.output("y", 2.0 * exp(-x) + 1.0)?;
    /// b.sum("s", y)?;
    /// let mut p = b.finish()?;
    /// assert_eq!(p.loops().len(), 6); // neg, exp, mul, add, the copy into y, the sum
    /// let stats = p.optimize();
    /// assert_eq!(p.loops().len(), 1);
    /// assert_eq!(stats.fused, 5);
    /// # Ok::<(), accel_core::ir::IrError>(())
    /// ```
    pub fn optimize(&mut self) -> PassStats {
        let loops_before = self.loops.len();
        let mut folded = self.fold_constants();
        let fused = self.fuse();
        folded += self.fold_constants();
        let dead_outputs = self.remove_dead_outputs();
        let nodes_removed = self.cse();
        PassStats {
            loops_before,
            loops_after: self.loops.len(),
            fused,
            folded,
            dead_outputs,
            nodes_removed,
        }
    }
}
