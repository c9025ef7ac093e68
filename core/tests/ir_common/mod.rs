//! Shared test helpers for the IR tests: random expression trees that can be evaluated
//! generically (as graphs with handles, as plain numbers), and bitwise comparison.
#![allow(dead_code)]

use accel_core::ir::{
    BinOp, Element, Real, UnOp, abs, erf, exp, ln, log10, max, min, select, sqrt,
};
use proptest::prelude::*;

/// A numeric expression over inputs `x0..xK`.
#[derive(Clone, Debug)]
pub enum Tree {
    In(usize),
    C(f64),
    Un(UnOp, Box<Tree>),
    Bin(BinOp, Box<Tree>, Box<Tree>),
    Sel(Box<CTree>, Box<Tree>, Box<Tree>),
}

/// A boolean expression.
#[derive(Clone, Debug)]
pub enum CTree {
    Cmp(BinOp, Tree, Tree),
    And(Box<CTree>, Box<CTree>),
    Or(Box<CTree>, Box<CTree>),
    Not(Box<CTree>),
}

pub fn eval<R: Real>(t: &Tree, x: &[R]) -> R {
    match t {
        Tree::In(k) => x[*k],
        Tree::C(v) => R::lit(*v),
        Tree::Un(op, a) => {
            let a = eval(a, x);
            match op {
                UnOp::Neg => -a,
                UnOp::Abs => abs(a),
                UnOp::Sqrt => sqrt(a),
                UnOp::Exp => exp(a),
                UnOp::Ln => ln(a),
                UnOp::Log10 => log10(a),
                UnOp::Erf => erf(a),
                UnOp::Not => unreachable!("numeric trees have no `not`"),
            }
        }
        Tree::Bin(op, a, b) => {
            let (a, b) = (eval(a, x), eval(b, x));
            match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                BinOp::Min => min(a, b),
                BinOp::Max => max(a, b),
                _ => unreachable!("numeric trees use arithmetic only"),
            }
        }
        Tree::Sel(c, a, b) => select(eval_c(c, x), eval(a, x), eval(b, x)),
    }
}

pub fn eval_c<R: Real>(c: &CTree, x: &[R]) -> R::Mask {
    match c {
        CTree::Cmp(op, a, b) => {
            let (a, b) = (eval(a, x), eval(b, x));
            match op {
                BinOp::Lt => a.lt(b),
                BinOp::Le => a.le(b),
                BinOp::Gt => a.gt(b),
                BinOp::Ge => a.ge(b),
                BinOp::Eq => a.eq(b),
                BinOp::Ne => a.ne(b),
                _ => unreachable!("comparisons only"),
            }
        }
        CTree::And(a, b) => eval_c(a, x) & eval_c(b, x),
        CTree::Or(a, b) => eval_c(a, x) | eval_c(b, x),
        CTree::Not(a) => !eval_c(a, x),
    }
}

pub const K: usize = 3;

pub fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        3 => (0..K).prop_map(Tree::In),
        1 => prop_oneof![Just(0.0), Just(-0.0), Just(1.0), Just(0.5), -4.0..4.0f64].prop_map(Tree::C),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let un = prop::sample::select(vec![
            UnOp::Neg,
            UnOp::Abs,
            UnOp::Sqrt,
            UnOp::Exp,
            UnOp::Ln,
            UnOp::Log10,
            UnOp::Erf,
        ]);
        let bin = prop::sample::select(vec![
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::Min,
            BinOp::Max,
        ]);
        let cmp = prop::sample::select(vec![
            BinOp::Lt,
            BinOp::Le,
            BinOp::Gt,
            BinOp::Ge,
            BinOp::Eq,
            BinOp::Ne,
        ]);
        let cond = (
            cmp,
            inner.clone(),
            inner.clone(),
            0..4u8,
            inner.clone(),
            inner.clone(),
        )
            .prop_map(|(op, a, b, shape, c, d)| {
                let base = CTree::Cmp(op, a, b);
                let other = CTree::Cmp(BinOp::Lt, c, d);
                match shape {
                    0 => base,
                    1 => CTree::Not(Box::new(base)),
                    2 => CTree::And(Box::new(base), Box::new(other)),
                    _ => CTree::Or(Box::new(base), Box::new(other)),
                }
            });
        prop_oneof![
            2 => (un, inner.clone()).prop_map(|(op, a)| Tree::Un(op, Box::new(a))),
            4 => (bin, inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| Tree::Bin(op, Box::new(a), Box::new(b))),
            1 => (cond, inner.clone(), inner)
                .prop_map(|(c, a, b)| Tree::Sel(Box::new(c), Box::new(a), Box::new(b))),
        ]
    })
}

pub fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -5.0..5.0f64,
        1 => prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(f64::NAN),
            Just(1e300),
        ],
    ]
}

pub fn inputs() -> impl Strategy<Value = (usize, Vec<Vec<f64>>)> {
    prop_oneof![
        Just(0usize),
        Just(1),
        Just(7),
        Just(8),
        Just(13),
        0..300usize
    ]
    .prop_flat_map(|n| {
        (
            Just(n),
            prop::collection::vec(prop::collection::vec(value(), n), K),
        )
    })
}

/// Equal bits, or both NaN (NaN payloads are not part of any contract).
pub fn same<T: Element>(a: T, b: T) -> bool {
    let (a, b) = (a.to_f64(), b.to_f64());
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

pub fn assert_same<T: Element>(what: &str, got: &[T], want: &[T]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(same(g, w), "{what}: element {i}: got {g:?}, want {w:?}");
    }
}
