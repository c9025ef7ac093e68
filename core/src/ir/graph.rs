//! The pointwise expression DAG: a hash-consed arena of nodes.
//!
//! Interning is the protocol: a node is only ever added through `Graph::intern`, which
//! returns the existing id when a structurally equal node exists. Structurally equal
//! subexpressions are therefore one node by construction (this is common-subexpression
//! elimination at build time), and a node's operands always have smaller ids than the
//! node, so ascending id order is a topological order.
//!
//! A node is evaluated at a loop index `i`: [`Expr::Load`] reads `array[i + offset]`,
//! [`Expr::Index`] is `i + offset` as a value.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::op::{BinOp, UnOp, ValueKind};

/// A node of a [`Graph`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// Position in the arena.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An array of a [`Program`](crate::ir::Program).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArrayId(pub(crate) u32);

impl ArrayId {
    /// Position in [`Program::arrays`](crate::ir::Program::arrays).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One pointwise operation; operands are other nodes of the same graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Expr {
    /// `array[i + offset]`.
    Load {
        /// The array read.
        array: ArrayId,
        /// The constant offset from the loop index.
        offset: isize,
    },
    /// A numeric constant, stored as the bits of an `f64` (already rounded to `f32`
    /// in `f32` programs).
    Const {
        /// `f64::to_bits` of the value.
        bits: u64,
    },
    /// A boolean constant.
    Bool(bool),
    /// The loop index plus a constant, as a number.
    Index {
        /// Added to the loop index.
        offset: isize,
    },
    /// A unary operation.
    Unary(UnOp, NodeId),
    /// A binary operation.
    Binary(BinOp, NodeId, NodeId),
    /// `if cond { a } else { b }`.
    Select(NodeId, NodeId, NodeId),
}

impl Expr {
    /// A numeric constant node.
    pub fn constant(x: f64) -> Expr {
        Expr::Const { bits: x.to_bits() }
    }

    /// The value of a numeric constant, if this is one.
    pub fn const_value(self) -> Option<f64> {
        match self {
            Expr::Const { bits } => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    /// The operand nodes, in order.
    pub fn operands(self) -> impl Iterator<Item = NodeId> {
        let (ops, n) = match self {
            Expr::Unary(_, a) => ([a, a, a], 1),
            Expr::Binary(_, a, b) => ([a, b, b], 2),
            Expr::Select(c, a, b) => ([c, a, b], 3),
            _ => ([NodeId(0); 3], 0),
        };
        ops.into_iter().take(n)
    }

    /// The same operation on operands renamed by `f`.
    pub fn map_operands(self, mut f: impl FnMut(NodeId) -> NodeId) -> Expr {
        match self {
            Expr::Unary(op, a) => Expr::Unary(op, f(a)),
            Expr::Binary(op, a, b) => {
                let a = f(a);
                Expr::Binary(op, a, f(b))
            }
            Expr::Select(c, a, b) => {
                let c = f(c);
                let a = f(a);
                Expr::Select(c, a, f(b))
            }
            leaf => leaf,
        }
    }
}

/// The hash-consed arena (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Expr>,
    kinds: Vec<ValueKind>,
    index: BTreeMap<Expr, NodeId>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True if there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The operation of a node.
    pub fn expr(&self, id: NodeId) -> Expr {
        self.nodes[id.index()]
    }

    /// Whether a node is a number or a boolean.
    pub fn kind(&self, id: NodeId) -> ValueKind {
        self.kinds[id.index()]
    }

    /// The node for `e`, added if no equal node exists. `kind` is only consulted for
    /// loads (the array's kind); every other node's kind follows from its operation.
    pub(crate) fn intern(&mut self, e: Expr, load_kind: ValueKind) -> NodeId {
        if let Some(&id) = self.index.get(&e) {
            return id;
        }
        let kind = match e {
            Expr::Load { .. } => load_kind,
            Expr::Const { .. } | Expr::Index { .. } => ValueKind::Num,
            Expr::Bool(_) => ValueKind::Bool,
            Expr::Unary(op, _) => op.kind(),
            Expr::Binary(op, _, _) => op.result_kind(),
            Expr::Select(_, a, _) => self.kind(a),
        };
        let id = NodeId(u32::try_from(self.nodes.len()).expect("more than 2^32 expression nodes"));
        self.nodes.push(e);
        self.kinds.push(kind);
        self.index.insert(e, id);
        id
    }

    /// Every node reachable from `roots` in depth-first post-order (operands left to
    /// right before their node, roots in the order given): a topological order that
    /// depends only on the expressions, not on the order nodes were created in.
    pub fn postorder(&self, roots: impl IntoIterator<Item = NodeId>) -> Vec<NodeId> {
        let mut seen = alloc::vec![false; self.nodes.len()];
        let mut order = Vec::new();
        let mut stack: Vec<(NodeId, usize)> = Vec::new();
        for root in roots {
            if seen[root.index()] {
                continue;
            }
            seen[root.index()] = true;
            stack.push((root, 0));
            while let Some(&mut (id, ref mut next)) = stack.last_mut() {
                match self.expr(id).operands().nth(*next) {
                    Some(child) => {
                        *next += 1;
                        if !core::mem::replace(&mut seen[child.index()], true) {
                            stack.push((child, 0));
                        }
                    }
                    None => {
                        order.push(id);
                        stack.pop();
                    }
                }
            }
        }
        order
    }

    /// Every node reachable from `roots`, in ascending (topological) order.
    pub fn reachable(&self, roots: impl IntoIterator<Item = NodeId>) -> Vec<NodeId> {
        let mut seen = alloc::vec![false; self.nodes.len()];
        let mut stack: Vec<NodeId> = roots.into_iter().collect();
        while let Some(id) = stack.pop() {
            if !core::mem::replace(&mut seen[id.index()], true) {
                stack.extend(self.expr(id).operands());
            }
        }
        seen.iter()
            .enumerate()
            .filter(|&(_, &s)| s)
            .map(|(i, _)| NodeId(i as u32))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_shares_equal_nodes() {
        let mut g = Graph::new();
        let x = g.intern(
            Expr::Load {
                array: ArrayId(0),
                offset: 0,
            },
            ValueKind::Num,
        );
        let e1 = g.intern(Expr::Unary(UnOp::Exp, x), ValueKind::Num);
        let e2 = g.intern(Expr::Unary(UnOp::Exp, x), ValueKind::Num);
        assert_eq!(e1, e2);
        assert_eq!(g.len(), 2);
        let c = g.intern(Expr::Binary(BinOp::Lt, e1, x), ValueKind::Num);
        assert_eq!(g.kind(c), ValueKind::Bool);
        assert_eq!(g.reachable([c]), alloc::vec![x, e1, c]);
        let y = g.intern(
            Expr::Load {
                array: ArrayId(1),
                offset: 0,
            },
            ValueKind::Num,
        );
        let s = g.intern(Expr::Binary(BinOp::Add, y, e1), ValueKind::Num);
        assert_eq!(g.reachable([s]), alloc::vec![x, e1, y, s]);
        assert_eq!(g.postorder([s]), alloc::vec![y, x, e1, s]);
        assert_eq!(g.postorder([c, s]), alloc::vec![x, e1, c, y, s]);
        // -0.0 and 0.0 are different constants.
        let z = g.intern(Expr::constant(0.0), ValueKind::Num);
        let nz = g.intern(Expr::constant(-0.0), ValueKind::Num);
        assert_ne!(z, nz);
    }
}
