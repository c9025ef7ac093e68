//! The reference interpreter: evaluates a program one index at a time, node by node,
//! straight from the graph. It is deliberately simple (and slow): it is the oracle the
//! compiled [`Plan`](crate::ir::Plan) and the passes are tested against. Reductions use
//! the lane order of [`ReduceOp`](crate::ir::ReduceOp), so results are bit-identical to
//! the plan's for the same whole-range run.

use alloc::vec::Vec;

use super::error::IrError;
use super::graph::{ArrayId, Expr};
use super::op::{LANES, select_value};
use super::program::{ArrayRole, Program, ReductionId};
use super::real::Element;

/// Every array and reduction value of one evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation<T> {
    arrays: Vec<Option<Vec<T>>>,
    reductions: Vec<T>,
}

impl<T: Element> Evaluation<T> {
    /// The contents of an array (inputs, results and materialised temporaries), or
    /// `None` for a temporary that no loop writes.
    pub fn array(&self, id: ArrayId) -> Option<&[T]> {
        self.arrays[id.index()].as_deref()
    }
    /// A reduction's value.
    pub fn reduction(&self, id: ReductionId) -> T {
        self.reductions[id.index()]
    }
    /// All reduction values, in [`Program::reductions`] order.
    pub fn reductions(&self) -> &[T] {
        &self.reductions
    }
}

impl Program {
    /// Evaluates the program on `inputs` (in [`Program::inputs`] order), one index at a
    /// time (see the module docs).
    ///
    /// # Errors
    /// [`IrError::DTypeMismatch`], [`IrError::ArgumentCount`] or
    /// [`IrError::ArgumentLength`] for arguments that do not fit the program.
    pub fn evaluate<T: Element>(&self, inputs: &[&[T]]) -> Result<Evaluation<T>, IrError> {
        if T::DTYPE != self.dtype {
            return Err(IrError::DTypeMismatch {
                program: self.dtype,
                requested: T::DTYPE,
            });
        }
        let ids = self.inputs();
        if ids.len() != inputs.len() {
            return Err(IrError::ArgumentCount {
                what: "inputs",
                expected: ids.len(),
                found: inputs.len(),
            });
        }
        let mut arrays: Vec<Option<Vec<T>>> = alloc::vec![None; self.arrays.len()];
        for (&id, x) in ids.iter().zip(inputs) {
            let decl = self.array(id);
            if x.len() != decl.len {
                return Err(IrError::ArgumentLength {
                    what: "input",
                    array: decl.name.clone(),
                    expected: decl.len,
                    found: x.len(),
                });
            }
            arrays[id.index()] = Some(x.to_vec());
        }
        let mut reductions: Vec<T> = self.reductions.iter().map(|r| r.op.identity()).collect();
        let mut vals: Vec<T> = alloc::vec![T::ZERO; self.graph.len()];
        for (li, l) in self.loops.iter().enumerate() {
            let nodes = self.loop_nodes(li);
            let mut outs: Vec<Vec<T>> = l
                .outputs
                .iter()
                .map(|_| alloc::vec![T::ZERO; l.domain.len()])
                .collect();
            let mut lanes: Vec<[T; LANES]> = l
                .reductions
                .iter()
                .map(|r| self.reductions[r.0.index()].op.new_lanes())
                .collect();
            for i in l.domain.clone() {
                for &id in &nodes {
                    let v = |n: super::graph::NodeId| vals[n.index()];
                    let x = match self.graph.expr(id) {
                        Expr::Load { array, offset } => {
                            let a = arrays[array.index()]
                                .as_ref()
                                .expect("arrays are written before they are read");
                            a[(i as isize + offset) as usize]
                        }
                        Expr::Const { bits } => T::from_f64(f64::from_bits(bits)),
                        Expr::Bool(b) => T::truth(b),
                        Expr::Index { offset } => T::from_index(i as i64 + offset as i64),
                        Expr::Unary(op, a) => op.apply(v(a)),
                        Expr::Binary(op, a, b) => op.apply(v(a), v(b)),
                        Expr::Select(c, a, b) => select_value(v(c), v(a), v(b)),
                    };
                    vals[id.index()] = x;
                }
                let r = i - l.domain.start;
                for (o, &(_, n)) in outs.iter_mut().zip(&l.outputs) {
                    o[r] = vals[n.index()];
                }
                for (lane, &(rid, n)) in lanes.iter_mut().zip(&l.reductions) {
                    let op = self.reductions[rid.index()].op;
                    lane[r % LANES] = op.combine(lane[r % LANES], vals[n.index()]);
                }
            }
            for (o, &(a, _)) in outs.into_iter().zip(&l.outputs) {
                debug_assert_ne!(self.array(a).role, ArrayRole::Input);
                arrays[a.index()] = Some(o);
            }
            for (lane, &(rid, _)) in lanes.into_iter().zip(&l.reductions) {
                reductions[rid.index()] = self.reductions[rid.index()].op.finish_lanes(lane);
            }
        }
        Ok(Evaluation { arrays, reductions })
    }
}
