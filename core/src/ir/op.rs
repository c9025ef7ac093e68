//! The operations of the IR and their exact scalar meaning.
//!
//! Each operation has a single definition of what it computes, in [`eval`]: the
//! interpreter's per-op loops, constant folding and literal arithmetic on handles all
//! call it, so they cannot disagree. Booleans are elements equal to `1.0` (true) or
//! `0.0` (false); see [`Element`].
//!
//! Reductions have one fixed evaluation order, shared by the interpreter and the staged
//! slice executors ([`reduce_slices`](crate::ir::reduce_slices)): over a range, element
//! `r` (counted from the range's start) is folded into lane `r % LANES` in increasing
//! order, each lane starting from the operation's identity; the [`LANES`] lanes are then
//! combined pairwise as `((l0∘l1)∘(l2∘l3))∘((l4∘l5)∘(l6∘l7))`. This is the only
//! reassociation anywhere in the IR, and it is what lets a sum vectorise. The result for
//! a range depends only on the range and the values, never on chunk sizes.

use core::fmt;

use super::real::Element;

/// Number of interleaved accumulators a reduction uses (see the module docs).
pub const LANES: usize = 8;

/// Whether a value is a number or a boolean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueKind {
    /// A number of the program's element type.
    Num,
    /// A boolean (stored as `1.0`/`0.0` where materialised).
    Bool,
}

/// A one-operand operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnOp {
    /// `-x`.
    Neg,
    /// `|x|`.
    Abs,
    /// `sqrt(x)`.
    Sqrt,
    /// `e^x`.
    Exp,
    /// Natural logarithm.
    Ln,
    /// Base-10 logarithm.
    Log10,
    /// The error function.
    Erf,
    /// Boolean negation.
    Not,
}

impl UnOp {
    /// Every unary operation.
    pub const ALL: [UnOp; 8] = [
        UnOp::Neg,
        UnOp::Abs,
        UnOp::Sqrt,
        UnOp::Exp,
        UnOp::Ln,
        UnOp::Log10,
        UnOp::Erf,
        UnOp::Not,
    ];

    /// The name used in dumps.
    pub fn name(self) -> &'static str {
        match self {
            UnOp::Neg => "neg",
            UnOp::Abs => "abs",
            UnOp::Sqrt => "sqrt",
            UnOp::Exp => "exp",
            UnOp::Ln => "ln",
            UnOp::Log10 => "log10",
            UnOp::Erf => "erf",
            UnOp::Not => "not",
        }
    }

    /// The kind of the operand (and of the result).
    pub fn kind(self) -> ValueKind {
        match self {
            UnOp::Not => ValueKind::Bool,
            _ => ValueKind::Num,
        }
    }

    /// What the operation computes (each arm is one function of [`eval`]).
    #[inline(always)]
    pub fn apply<T: Element>(self, x: T) -> T {
        match self {
            UnOp::Neg => eval::neg(x),
            UnOp::Abs => eval::abs(x),
            UnOp::Sqrt => eval::sqrt(x),
            UnOp::Exp => eval::exp(x),
            UnOp::Ln => eval::ln(x),
            UnOp::Log10 => eval::log10(x),
            UnOp::Erf => eval::erf(x),
            UnOp::Not => eval::not(x),
        }
    }
}

/// A two-operand operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`.
    Div,
    /// `if a < b { a } else { b }`.
    Min,
    /// `if a > b { a } else { b }`.
    Max,
    /// `a < b`.
    Lt,
    /// `a <= b`.
    Le,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// Boolean and.
    And,
    /// Boolean or.
    Or,
}

impl BinOp {
    /// Every binary operation.
    pub const ALL: [BinOp; 14] = [
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
        BinOp::Min,
        BinOp::Max,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::And,
        BinOp::Or,
    ];

    /// The name used in dumps.
    pub fn name(self) -> &'static str {
        match self {
            BinOp::Add => "add",
            BinOp::Sub => "sub",
            BinOp::Mul => "mul",
            BinOp::Div => "div",
            BinOp::Min => "min",
            BinOp::Max => "max",
            BinOp::Lt => "lt",
            BinOp::Le => "le",
            BinOp::Gt => "gt",
            BinOp::Ge => "ge",
            BinOp::Eq => "eq",
            BinOp::Ne => "ne",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }

    /// The kind both operands must have.
    pub fn operand_kind(self) -> ValueKind {
        match self {
            BinOp::And | BinOp::Or => ValueKind::Bool,
            _ => ValueKind::Num,
        }
    }

    /// The kind of the result.
    pub fn result_kind(self) -> ValueKind {
        match self {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Min | BinOp::Max => {
                ValueKind::Num
            }
            _ => ValueKind::Bool,
        }
    }

    /// What the operation computes (each arm is one function of [`eval`]).
    #[inline(always)]
    pub fn apply<T: Element>(self, a: T, b: T) -> T {
        match self {
            BinOp::Add => eval::add(a, b),
            BinOp::Sub => eval::sub(a, b),
            BinOp::Mul => eval::mul(a, b),
            BinOp::Div => eval::div(a, b),
            BinOp::Min => eval::min(a, b),
            BinOp::Max => eval::max(a, b),
            BinOp::Lt => eval::lt(a, b),
            BinOp::Le => eval::le(a, b),
            BinOp::Gt => eval::gt(a, b),
            BinOp::Ge => eval::ge(a, b),
            BinOp::Eq => eval::eq(a, b),
            BinOp::Ne => eval::ne(a, b),
            BinOp::And => eval::and(a, b),
            BinOp::Or => eval::or(a, b),
        }
    }
}

/// The scalar meaning of every operation, one `#[inline(always)]` function each:
/// the single definition that [`UnOp::apply`], [`BinOp::apply`] and the interpreter's
/// per-op loops share. (Hot loops call these directly: going through the `apply`
/// match, LLVM may merge code across arms before the match is resolved, and an `erf`
/// loop compiled that way runs twice as slow.) Booleans are `1.0`/`0.0`.
pub mod eval {
    use super::super::real::{Element, Real};

    /// `-x`.
    #[inline(always)]
    pub fn neg<T: Element>(x: T) -> T {
        -x
    }
    /// `|x|`.
    #[inline(always)]
    pub fn abs<T: Element>(x: T) -> T {
        x.abs()
    }
    /// Square root.
    #[inline(always)]
    pub fn sqrt<T: Element>(x: T) -> T {
        x.sqrt()
    }
    /// e^x.
    #[inline(always)]
    pub fn exp<T: Element>(x: T) -> T {
        x.exp()
    }
    /// Natural logarithm.
    #[inline(always)]
    pub fn ln<T: Element>(x: T) -> T {
        x.ln()
    }
    /// Base-10 logarithm.
    #[inline(always)]
    pub fn log10<T: Element>(x: T) -> T {
        x.log10()
    }
    /// The error function.
    #[inline(always)]
    pub fn erf<T: Element>(x: T) -> T {
        x.erf()
    }
    /// Boolean negation.
    #[inline(always)]
    pub fn not<T: Element>(x: T) -> T {
        T::truth(!x.is_true())
    }
    /// `a + b`.
    #[inline(always)]
    pub fn add<T: Element>(a: T, b: T) -> T {
        a + b
    }
    /// `a - b`.
    #[inline(always)]
    pub fn sub<T: Element>(a: T, b: T) -> T {
        a - b
    }
    /// `a * b`.
    #[inline(always)]
    pub fn mul<T: Element>(a: T, b: T) -> T {
        a * b
    }
    /// `a / b`.
    #[inline(always)]
    pub fn div<T: Element>(a: T, b: T) -> T {
        a / b
    }
    /// `if a < b { a } else { b }`.
    #[inline(always)]
    pub fn min<T: Element>(a: T, b: T) -> T {
        a.min(b)
    }
    /// `if a > b { a } else { b }`.
    #[inline(always)]
    pub fn max<T: Element>(a: T, b: T) -> T {
        a.max(b)
    }
    /// `a < b`.
    #[inline(always)]
    pub fn lt<T: Element>(a: T, b: T) -> T {
        T::truth(a.lt(b))
    }
    /// `a <= b`.
    #[inline(always)]
    pub fn le<T: Element>(a: T, b: T) -> T {
        T::truth(a.le(b))
    }
    /// `a > b`.
    #[inline(always)]
    pub fn gt<T: Element>(a: T, b: T) -> T {
        T::truth(a.gt(b))
    }
    /// `a >= b`.
    #[inline(always)]
    pub fn ge<T: Element>(a: T, b: T) -> T {
        T::truth(a.ge(b))
    }
    /// `a == b`.
    #[inline(always)]
    pub fn eq<T: Element>(a: T, b: T) -> T {
        T::truth(Real::eq(a, b))
    }
    /// `a != b`.
    #[inline(always)]
    pub fn ne<T: Element>(a: T, b: T) -> T {
        T::truth(Real::ne(a, b))
    }
    /// Boolean and.
    #[inline(always)]
    pub fn and<T: Element>(a: T, b: T) -> T {
        T::truth(a.is_true() & b.is_true())
    }
    /// Boolean or.
    #[inline(always)]
    pub fn or<T: Element>(a: T, b: T) -> T {
        T::truth(a.is_true() | b.is_true())
    }
    /// `if c { a } else { b }` on a stored boolean: the meaning of a select node.
    #[inline(always)]
    pub fn select<T: Element>(c: T, a: T, b: T) -> T {
        if c.is_true() { a } else { b }
    }
}

/// `if c { a } else { b }` on a stored boolean: the meaning of a select node.
#[inline(always)]
pub fn select_value<T: Element>(c: T, a: T, b: T) -> T {
    eval::select(c, a, b)
}

/// A reduction operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReduceOp {
    /// Sum (identity `-0.0`, so that a sum of negative zeros stays `-0.0`).
    Sum,
    /// Product (identity `1`).
    Prod,
    /// Minimum, as [`BinOp::Min`] (identity `+inf`).
    Min,
    /// Maximum, as [`BinOp::Max`] (identity `-inf`).
    Max,
    /// Any element true (over a boolean expression; identity false).
    Any,
    /// All elements true (over a boolean expression; identity true).
    All,
}

impl ReduceOp {
    /// Every reduction.
    pub const ALL: [ReduceOp; 6] = [
        ReduceOp::Sum,
        ReduceOp::Prod,
        ReduceOp::Min,
        ReduceOp::Max,
        ReduceOp::Any,
        ReduceOp::All,
    ];

    /// The name used in dumps.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Min => "min",
            ReduceOp::Max => "max",
            ReduceOp::Any => "any",
            ReduceOp::All => "all",
        }
    }

    /// The kind of the reduced expression.
    pub fn operand_kind(self) -> ValueKind {
        match self {
            ReduceOp::Any | ReduceOp::All => ValueKind::Bool,
            _ => ValueKind::Num,
        }
    }

    /// The value of the reduction over nothing.
    #[inline(always)]
    pub fn identity<T: Element>(self) -> T {
        match self {
            ReduceOp::Sum => -T::ZERO,
            ReduceOp::Prod | ReduceOp::All => T::ONE,
            ReduceOp::Min => T::ONE / T::ZERO,
            ReduceOp::Max => -(T::ONE / T::ZERO),
            ReduceOp::Any => T::ZERO,
        }
    }

    /// Folds one more value (or one more partial result) into an accumulator.
    /// This is also how a caller combines the partials of consecutive ranges.
    #[inline(always)]
    pub fn combine<T: Element>(self, acc: T, x: T) -> T {
        match self {
            ReduceOp::Sum => eval::add(acc, x),
            ReduceOp::Prod => eval::mul(acc, x),
            ReduceOp::Min => eval::min(acc, x),
            ReduceOp::Max => eval::max(acc, x),
            ReduceOp::Any => eval::or(acc, x),
            ReduceOp::All => eval::and(acc, x),
        }
    }

    /// Fresh lane accumulators.
    #[inline(always)]
    pub fn new_lanes<T: Element>(self) -> [T; LANES] {
        [self.identity(); LANES]
    }

    /// Folds `values` into the lanes; `values[0]` goes into lane 0, so callers pass
    /// blocks that start at a multiple of [`LANES`] from the range start.
    #[inline(always)]
    pub fn fold_lanes<T: Element>(self, lanes: &mut [T; LANES], values: &[T]) {
        // Written out per operation with direct calls (no closures), so that the lane
        // loop stays simple and vectorises wherever it is inlined.
        macro_rules! fold {
            ($f:path) => {{
                let mut acc = *lanes;
                let mut blocks = values.chunks_exact(LANES);
                for block in &mut blocks {
                    for j in 0..LANES {
                        acc[j] = $f(acc[j], block[j]);
                    }
                }
                for (j, &v) in blocks.remainder().iter().enumerate() {
                    acc[j] = $f(acc[j], v);
                }
                *lanes = acc;
            }};
        }
        match self {
            ReduceOp::Sum => fold!(eval::add),
            ReduceOp::Prod => fold!(eval::mul),
            ReduceOp::Min => fold!(eval::min),
            ReduceOp::Max => fold!(eval::max),
            ReduceOp::Any => fold!(eval::or),
            ReduceOp::All => fold!(eval::and),
        }
    }

    /// Combines the lanes in the fixed tree order of the module docs.
    #[inline(always)]
    pub fn finish_lanes<T: Element>(self, l: [T; LANES]) -> T {
        let c = |a, b| self.combine(a, b);
        c(
            c(c(l[0], l[1]), c(l[2], l[3])),
            c(c(l[4], l[5]), c(l[6], l[7])),
        )
    }
}

impl fmt::Display for UnOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
impl fmt::Display for BinOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
impl fmt::Display for ReduceOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_identities() {
        for x in [-0.0_f64, 0.0, 1.5, -2.0, f64::INFINITY] {
            assert_eq!(
                ReduceOp::Sum.combine(ReduceOp::Sum.identity(), x).to_bits(),
                x.to_bits()
            );
            assert_eq!(ReduceOp::Prod.combine(ReduceOp::Prod.identity(), x), x);
            assert_eq!(ReduceOp::Min.combine(ReduceOp::Min.identity(), x), x);
            assert_eq!(ReduceOp::Max.combine(ReduceOp::Max.identity(), x), x);
        }
        for b in [0.0_f32, 1.0] {
            assert_eq!(ReduceOp::Any.combine(ReduceOp::Any.identity(), b), b);
            assert_eq!(ReduceOp::All.combine(ReduceOp::All.identity(), b), b);
        }
    }

    #[test]
    fn lanes_follow_the_stated_order() {
        let v: [f64; 11] = [1e16, 1.0, -1e16, 1.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let mut lanes = ReduceOp::Sum.new_lanes();
        ReduceOp::Sum.fold_lanes(&mut lanes, &v);
        let mut l = [-0.0_f64; 8];
        for (r, x) in v.iter().enumerate() {
            l[r % 8] += x;
        }
        let want = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
        assert_eq!(ReduceOp::Sum.finish_lanes(lanes), want);
    }
}
