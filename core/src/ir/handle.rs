//! Lazy expression handles: ordinary Rust operators that build the graph.
//!
//! An [`Ex`] is a numeric expression, a [`Cond`] a boolean one; both are `Copy` and hold
//! a reference to their [`Builder`]. `f64` literals combine on either side
//! (`0.5 * vol * vol`, `d1 - den`, `-rate * time`). A literal stays a literal until it
//! meets a graph expression: it carries its value computed both in `f64` and in `f32`
//! (with the same scalar functions as everything else), and the builder's element type
//! decides which one becomes the constant node, so literal arithmetic in an `f32`
//! program is exactly `f32` arithmetic. Handles implement [`Real`], so a generic formula
//! runs on them unchanged:
//!
//! ```
//! use accel_core::ir::{Builder, DType, Real, exp, sqrt};
//!
//! fn discount<T: Real>(strike: T, rate: T, time: T) -> T {
//!     strike * exp(-rate * time)
//! }
//! let b = Builder::new(DType::F64);
//! let (k, r, t) = (b.input("k", 8)?, b.input("r", 8)?, b.input("t", 8)?);
//! let fv = discount(k, r, t);            // a graph
//! let also = discount(100.0, 0.05, 1.0); // a number, from the same source
//! b.output("fv", fv + sqrt(t) * 0.0)?;
//! assert!((also - 95.1229424500714).abs() < 1e-12);
//! # Ok::<(), accel_core::ir::IrError>(())
//! ```

use core::fmt;
use core::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Not, Sub};

use super::builder::Builder;
use super::error::IrError;
use super::graph::{Expr, NodeId};
use super::op::{BinOp, UnOp, ValueKind, select_value};
use super::real::{Element, Real};

/// What a handle stands for: a literal (in both precisions) or a graph node.
#[derive(Clone, Copy)]
pub(crate) enum Term<'g> {
    Lit { f64: f64, f32: f32 },
    Node(&'g Builder, NodeId),
}

#[derive(Clone, Copy)]
enum Op {
    Un(UnOp),
    Bin(BinOp),
    Select,
}

impl Op {
    fn eval<T: Element>(self, v: [T; 3]) -> T {
        match self {
            Op::Un(op) => op.apply(v[0]),
            Op::Bin(op) => op.apply(v[0], v[1]),
            Op::Select => select_value(v[0], v[1], v[2]),
        }
    }
}

/// `op(args)`: folded if every argument is a literal, otherwise a node of the builder
/// the arguments share (materialised as an array in array-at-a-time style).
fn apply<'g>(op: Op, args: &[(Term<'g>, ValueKind)]) -> Term<'g> {
    let builder = args.iter().find_map(|(t, _)| match t {
        Term::Node(b, _) => Some(*b),
        Term::Lit { .. } => None,
    });
    let Some(b) = builder else {
        let mut v64 = [0.0_f64; 3];
        let mut v32 = [0.0_f32; 3];
        for (k, (t, _)) in args.iter().enumerate() {
            if let Term::Lit { f64: x, f32: y } = t {
                v64[k] = *x;
                v32[k] = *y;
            }
        }
        return Term::Lit {
            f64: op.eval(v64),
            f32: op.eval(v32),
        };
    };
    let mut s = b.state.borrow_mut();
    let mut ids = [NodeId(0); 3];
    for (k, &(t, kind)) in args.iter().enumerate() {
        ids[k] = match t {
            Term::Node(other, id) if core::ptr::eq(other, b) => id,
            Term::Node(..) => {
                s.record(IrError::MixedBuilders);
                return Term::Node(b, ids[0]);
            }
            Term::Lit { f64: x, f32: y } => s.literal(x, y, kind),
        };
    }
    let e = match op {
        Op::Un(o) => Expr::Unary(o, ids[0]),
        Op::Bin(o) => Expr::Binary(o, ids[0], ids[1]),
        Op::Select => Expr::Select(ids[0], ids[1], ids[2]),
    };
    let node = s.intern(e);
    let node = s.materialize(node);
    Term::Node(b, node)
}

/// A numeric expression (see the module docs).
#[derive(Clone, Copy)]
pub struct Ex<'g>(Term<'g>);

/// A boolean expression: the result of a comparison, consumed by
/// [`select`](crate::ir::select) and [`Builder::reduce_cond`].
#[derive(Clone, Copy)]
pub struct Cond<'g>(Term<'g>);

const NUM: ValueKind = ValueKind::Num;
const BOOL: ValueKind = ValueKind::Bool;

impl<'g> Ex<'g> {
    pub(crate) fn node(b: &'g Builder, id: NodeId) -> Ex<'g> {
        Ex(Term::Node(b, id))
    }

    pub(crate) fn term(self) -> Term<'g> {
        self.0
    }

    /// The graph node, or `None` for a literal not yet attached to a builder.
    pub fn node_id(self) -> Option<NodeId> {
        match self.0 {
            Term::Node(_, id) => Some(id),
            Term::Lit { .. } => None,
        }
    }

    /// The literal `x`.
    pub fn lit(x: f64) -> Ex<'g> {
        Ex(Term::Lit {
            f64: x,
            f32: x as f32,
        })
    }

    fn un(op: UnOp, a: Ex<'g>) -> Ex<'g> {
        Ex(apply(Op::Un(op), &[(a.0, NUM)]))
    }

    fn bin(op: BinOp, a: Ex<'g>, b: Ex<'g>) -> Ex<'g> {
        Ex(apply(Op::Bin(op), &[(a.0, NUM), (b.0, NUM)]))
    }

    fn cmp(op: BinOp, a: Ex<'g>, b: Ex<'g>) -> Cond<'g> {
        Cond(apply(Op::Bin(op), &[(a.0, NUM), (b.0, NUM)]))
    }

    /// This expression evaluated at `i + offset`: every array read (and the index) is
    /// shifted. Used in comprehensions (`x.at(-1)` is `x[i - 1]`); whether the reads stay
    /// inside their arrays is checked when the pattern is built.
    pub fn at(self, offset: isize) -> Ex<'g> {
        match self.0 {
            Term::Lit { .. } => self,
            Term::Node(b, id) => Ex::node(b, b.state.borrow_mut().shift(id, offset)),
        }
    }

    /// |x|.
    pub fn abs(self) -> Ex<'g> {
        Ex::un(UnOp::Abs, self)
    }
    /// Square root.
    pub fn sqrt(self) -> Ex<'g> {
        Ex::un(UnOp::Sqrt, self)
    }
    /// e^x.
    pub fn exp(self) -> Ex<'g> {
        Ex::un(UnOp::Exp, self)
    }
    /// Natural logarithm.
    pub fn ln(self) -> Ex<'g> {
        Ex::un(UnOp::Ln, self)
    }
    /// Base-10 logarithm.
    pub fn log10(self) -> Ex<'g> {
        Ex::un(UnOp::Log10, self)
    }
    /// The error function.
    pub fn erf(self) -> Ex<'g> {
        Ex::un(UnOp::Erf, self)
    }
    /// `if self < other { self } else { other }`.
    pub fn min(self, other: impl Into<Ex<'g>>) -> Ex<'g> {
        Ex::bin(BinOp::Min, self, other.into())
    }
    /// `if self > other { self } else { other }`.
    pub fn max(self, other: impl Into<Ex<'g>>) -> Ex<'g> {
        Ex::bin(BinOp::Max, self, other.into())
    }
    /// `self < other`.
    pub fn lt(self, other: impl Into<Ex<'g>>) -> Cond<'g> {
        Ex::cmp(BinOp::Lt, self, other.into())
    }
    /// `self <= other`.
    pub fn le(self, other: impl Into<Ex<'g>>) -> Cond<'g> {
        Ex::cmp(BinOp::Le, self, other.into())
    }
    /// `self > other`.
    pub fn gt(self, other: impl Into<Ex<'g>>) -> Cond<'g> {
        Ex::cmp(BinOp::Gt, self, other.into())
    }
    /// `self >= other`.
    pub fn ge(self, other: impl Into<Ex<'g>>) -> Cond<'g> {
        Ex::cmp(BinOp::Ge, self, other.into())
    }
    /// `self == other`.
    pub fn eq(self, other: impl Into<Ex<'g>>) -> Cond<'g> {
        Ex::cmp(BinOp::Eq, self, other.into())
    }
    /// `self != other`.
    pub fn ne(self, other: impl Into<Ex<'g>>) -> Cond<'g> {
        Ex::cmp(BinOp::Ne, self, other.into())
    }
}

impl<'g> Cond<'g> {
    pub(crate) fn term(self) -> Term<'g> {
        self.0
    }

    /// The constant `b`.
    pub fn lit(b: bool) -> Cond<'g> {
        let v = f64::from(u8::from(b));
        Cond(Term::Lit {
            f64: v,
            f32: v as f32,
        })
    }

    /// `if self { if_true } else { if_false }`.
    pub fn select(self, if_true: impl Into<Ex<'g>>, if_false: impl Into<Ex<'g>>) -> Ex<'g> {
        Ex(apply(
            Op::Select,
            &[
                (self.0, BOOL),
                (if_true.into().0, NUM),
                (if_false.into().0, NUM),
            ],
        ))
    }
}

impl<'g> From<f64> for Ex<'g> {
    fn from(x: f64) -> Ex<'g> {
        Ex::lit(x)
    }
}

impl<'g> From<bool> for Cond<'g> {
    fn from(b: bool) -> Cond<'g> {
        Cond::lit(b)
    }
}

macro_rules! ex_binop {
    ($Tr:ident, $m:ident, $op:expr) => {
        impl<'g> $Tr for Ex<'g> {
            type Output = Ex<'g>;
            fn $m(self, rhs: Ex<'g>) -> Ex<'g> {
                Ex::bin($op, self, rhs)
            }
        }
        impl<'g> $Tr<f64> for Ex<'g> {
            type Output = Ex<'g>;
            fn $m(self, rhs: f64) -> Ex<'g> {
                Ex::bin($op, self, Ex::lit(rhs))
            }
        }
        impl<'g> $Tr<Ex<'g>> for f64 {
            type Output = Ex<'g>;
            fn $m(self, rhs: Ex<'g>) -> Ex<'g> {
                Ex::bin($op, Ex::lit(self), rhs)
            }
        }
    };
}

ex_binop!(Add, add, BinOp::Add);
ex_binop!(Sub, sub, BinOp::Sub);
ex_binop!(Mul, mul, BinOp::Mul);
ex_binop!(Div, div, BinOp::Div);

impl<'g> Neg for Ex<'g> {
    type Output = Ex<'g>;
    fn neg(self) -> Ex<'g> {
        Ex::un(UnOp::Neg, self)
    }
}

impl<'g> BitAnd for Cond<'g> {
    type Output = Cond<'g>;
    fn bitand(self, rhs: Cond<'g>) -> Cond<'g> {
        Cond(apply(Op::Bin(BinOp::And), &[(self.0, BOOL), (rhs.0, BOOL)]))
    }
}

impl<'g> BitOr for Cond<'g> {
    type Output = Cond<'g>;
    fn bitor(self, rhs: Cond<'g>) -> Cond<'g> {
        Cond(apply(Op::Bin(BinOp::Or), &[(self.0, BOOL), (rhs.0, BOOL)]))
    }
}

impl<'g> Not for Cond<'g> {
    type Output = Cond<'g>;
    fn not(self) -> Cond<'g> {
        Cond(apply(Op::Un(UnOp::Not), &[(self.0, BOOL)]))
    }
}

impl<'g> Real for Ex<'g> {
    type Mask = Cond<'g>;
    fn lit(x: f64) -> Self {
        Ex::lit(x)
    }
    fn abs(self) -> Self {
        Ex::abs(self)
    }
    fn sqrt(self) -> Self {
        Ex::sqrt(self)
    }
    fn exp(self) -> Self {
        Ex::exp(self)
    }
    fn ln(self) -> Self {
        Ex::ln(self)
    }
    fn log10(self) -> Self {
        Ex::log10(self)
    }
    fn erf(self) -> Self {
        Ex::erf(self)
    }
    fn min(self, other: Self) -> Self {
        Ex::min(self, other)
    }
    fn max(self, other: Self) -> Self {
        Ex::max(self, other)
    }
    fn lt(self, other: Self) -> Cond<'g> {
        Ex::lt(self, other)
    }
    fn le(self, other: Self) -> Cond<'g> {
        Ex::le(self, other)
    }
    fn gt(self, other: Self) -> Cond<'g> {
        Ex::gt(self, other)
    }
    fn ge(self, other: Self) -> Cond<'g> {
        Ex::ge(self, other)
    }
    fn eq(self, other: Self) -> Cond<'g> {
        Ex::eq(self, other)
    }
    fn ne(self, other: Self) -> Cond<'g> {
        Ex::ne(self, other)
    }
    fn select(mask: Cond<'g>, if_true: Self, if_false: Self) -> Self {
        mask.select(if_true, if_false)
    }
}

fn fmt_term(t: &Term<'_>, f: &mut fmt::Formatter<'_>, what: &str) -> fmt::Result {
    match t {
        Term::Lit { f64: x, .. } => write!(f, "{what}({x:?})"),
        Term::Node(_, id) => write!(f, "{what}(node {})", id.index()),
    }
}

impl fmt::Debug for Ex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_term(&self.0, f, "Ex")
    }
}

impl fmt::Debug for Cond<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_term(&self.0, f, "Cond")
    }
}
