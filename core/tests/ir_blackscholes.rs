//! Black-Scholes (ARCHITECTURE.md §5.2) through the IR: written array-style, one temporary per
//! operation like the Julia source, it must fuse into exactly one loop with `den` and
//! `fv` computed once, and compute exactly what the staged scalar formula computes.

// 0.707106781 is the benchmark's own constant (not exactly 1/sqrt(2)); keep it.
#![allow(clippy::approx_constant)]

use accel_core::ir::{
    BinOp, Builder, DType, Element, Expr, Formula, OpKind, PatternKind, Plan, Program, Real,
    ReduceOp, UnOp, erf, exp, log10, map_reduce_formula, map_reduce_slices, sqrt,
};
use proptest::prelude::*;

/// Array-style, line for line as ARCHITECTURE.md §5.2; every operation is a whole-array
/// temporary (a map) until the passes fuse them.
fn array_style(dtype: DType, n: usize) -> Program {
    let b = Builder::array_at_a_time(dtype);
    let spt = b.input("spt", n).unwrap();
    let strike = b.input("strike", n).unwrap();
    let rate = b.input("rate", n).unwrap();
    let vol = b.input("vol", n).unwrap();
    let time = b.input("time", n).unwrap();

    let logterm = log10(spt / strike);
    let powterm = 0.5 * vol * vol;
    let den = vol * sqrt(time);
    let d1 = ((rate + powterm) * time + logterm) / den;
    let d2 = d1 - den;
    let cndf2 = |x| 0.5 + 0.5 * erf(0.707106781 * x);
    let fv = strike * exp(-rate * time);
    let call = spt * cndf2(d1) - fv * cndf2(d2);
    let put = call - fv + spt;

    let put = b.output("put", put).unwrap();
    b.sum("checksum", put).unwrap();
    b.finish().unwrap()
}

#[inline(always)]
fn cndf2<T: Real>(x: T) -> T {
    let c = T::lit;
    c(0.5) + c(0.5) * erf(c(0.707106781) * x)
}

/// The same formula, generic: a graph with handles, fused scalar code with numbers.
#[inline(always)]
fn black_scholes<T: Real>(spt: T, strike: T, rate: T, vol: T, time: T) -> T {
    let c = T::lit;
    let logterm = log10(spt / strike);
    let powterm = c(0.5) * vol * vol;
    let den = vol * sqrt(time);
    let d1 = ((rate + powterm) * time + logterm) / den;
    let d2 = d1 - den;
    let fv = strike * exp(-rate * time);
    let call = spt * cndf2(d1) - fv * cndf2(d2);
    call - fv + spt
}

fn staged_program(dtype: DType, n: usize) -> Program {
    let b = Builder::new(dtype);
    let x = ["spt", "strike", "rate", "vol", "time"].map(|s| b.input(s, n).unwrap());
    let put = b
        .output("put", black_scholes(x[0], x[1], x[2], x[3], x[4]))
        .unwrap();
    b.sum("checksum", put).unwrap();
    b.finish().unwrap()
}

/// ARCHITECTURE.md §5.2 inputs.
fn design_inputs(n: usize) -> [Vec<f64>; 5] {
    [
        vec![42.0; n],
        (1..=n).map(|i| 40.0 + i as f64 / n as f64).collect(),
        vec![0.5; n],
        vec![0.2; n],
        vec![0.5; n],
    ]
}

/// Every operation of the formula, counted by hand from the source above.
const EXPECTED_OPS: [(OpKind, usize); 9] = [
    (OpKind::Binary(BinOp::Mul), 12),
    (OpKind::Binary(BinOp::Add), 5),
    (OpKind::Binary(BinOp::Sub), 3),
    (OpKind::Binary(BinOp::Div), 2),
    (OpKind::Unary(UnOp::Erf), 2),
    (OpKind::Unary(UnOp::Log10), 1),
    (OpKind::Unary(UnOp::Sqrt), 1),
    (OpKind::Unary(UnOp::Exp), 1),
    (OpKind::Unary(UnOp::Neg), 1),
];

fn assert_one_fused_loop(p: &Program) {
    assert_eq!(p.loops().len(), 1, "{p}");
    let l = &p.loops()[0];
    assert_eq!(l.domain(), 0..p.array(p.array_id("put").unwrap()).len());
    assert_eq!(l.outputs().len(), 1, "only `put` is written");
    assert_eq!(l.outputs()[0].0, p.array_id("put").unwrap());
    assert_eq!(l.reductions().len(), 1);
    let counts = p.op_counts(0);
    for (kind, n) in EXPECTED_OPS {
        assert_eq!(counts.get(kind), n, "{kind:?}\n{p}");
    }
    assert_eq!(counts.computing(), 28);
    assert_eq!(counts.get(OpKind::Load), 5, "each input read once");
    assert_eq!(counts.get(OpKind::Select), 0);

    // `den` = vol * sqrt(time) and `fv` = strike * exp(-rate * time) are single nodes,
    // each used twice (d1 and d2; `fv * cndf2(d2)` and `call - fv`).
    let g = p.graph();
    let nodes = p.loop_nodes(0);
    let users = |target| {
        nodes
            .iter()
            .filter(|&&n| g.expr(n).operands().any(|o| o == target))
            .count()
    };
    let parent_of = |op: UnOp| {
        let u: Vec<_> = nodes
            .iter()
            .copied()
            .filter(|&n| matches!(g.expr(n), Expr::Unary(o, _) if o == op))
            .collect();
        assert_eq!(u.len(), 1);
        let parents: Vec<_> = nodes
            .iter()
            .copied()
            .filter(|&n| g.expr(n).operands().any(|o| o == u[0]))
            .collect();
        assert_eq!(parents.len(), 1, "{op} is used once");
        parents[0]
    };
    let den = parent_of(UnOp::Sqrt);
    let fv = parent_of(UnOp::Exp);
    assert!(matches!(g.expr(den), Expr::Binary(BinOp::Mul, ..)));
    assert!(matches!(g.expr(fv), Expr::Binary(BinOp::Mul, ..)));
    assert_eq!(users(den), 2, "den feeds d1 and d2");
    assert_eq!(users(fv), 2, "fv feeds the call and the put");
    // The written value and the reduced value are the same node.
    assert_eq!(l.outputs()[0].1, l.reductions()[0].1);
}

#[test]
fn array_style_fuses_into_exactly_one_loop() {
    let mut p = array_style(DType::F64, 1000);
    // Before: 28 operation temporaries, the copy into `put`, the reduction.
    assert_eq!(p.loops().len(), 30);
    let before = p.to_string();
    assert_eq!(
        before.lines().filter(|l| l.starts_with("loop ")).count(),
        30
    );
    let stats = p.optimize();
    assert_eq!(stats.loops_before, 30);
    assert_eq!(stats.loops_after, 1);
    assert_eq!(stats.fused, 29);
    assert_eq!(stats.dead_outputs, 28);
    assert_one_fused_loop(&p);
    let l = &p.loops()[0];
    let maps = l
        .patterns()
        .iter()
        .filter(|&&k| k == PatternKind::Map)
        .count();
    assert_eq!((maps, l.patterns().len()), (29, 30));

    let after = p.to_string();
    let loops: Vec<&str> = after.lines().filter(|l| l.starts_with("loop ")).collect();
    assert_eq!(loops.len(), 1, "{after}");
    assert!(
        loops[0].contains("map+reduce") && loops[0].contains("fused from 29 maps, 1 reduce"),
        "{after}"
    );
    assert!(after.contains("28 temporaries eliminated"), "{after}");
    assert!(
        after.contains("reads   spt, strike, rate, vol, time"),
        "{after}"
    );
    assert!(after.contains("writes  put"), "{after}");
    assert!(after.contains("checksum = sum over %27"), "{after}");
}

#[test]
fn generic_formula_on_handles_gives_the_same_loop() {
    let mut p = staged_program(DType::F64, 64);
    assert_eq!(p.loops().len(), 2, "a map and a reduce before fusion");
    p.optimize();
    assert_one_fused_loop(&p);
    let mut q = array_style(DType::F64, 64);
    q.optimize();
    assert_eq!(
        p.to_string(),
        q.to_string()
            .replace(" (28 temporaries eliminated)", "")
            .replace("fused from 29 maps, 1 reduce", "fused from 1 map, 1 reduce")
    );
}

fn run_both<T: Element>(p: &Program, cols: &[Vec<T>]) -> (Vec<T>, T) {
    let n = cols[0].len();
    let ins: Vec<&[T]> = cols.iter().map(Vec::as_slice).collect();
    let plan = Plan::<T>::compile(p).unwrap();
    let mut put = vec![T::ZERO; n];
    let sums = plan.run(&ins, &mut [&mut put]).unwrap();
    (put, sums[0])
}

/// The formula as a [`Formula`], for the lane executors.
struct Put;

impl Formula<5, 1> for Put {
    #[inline(always)]
    fn eval<R: Real>(&self, [s, k, r, v, t]: [R; 5]) -> [R; 1] {
        [black_scholes(s, k, r, v, t)]
    }
}

fn staged<T: Element>(cols: &[Vec<T>]) -> (Vec<T>, T) {
    let mut lanes = vec![T::ZERO; cols[0].len()];
    let s = map_reduce_formula(
        ReduceOp::Sum,
        0,
        [&cols[0], &cols[1], &cols[2], &cols[3], &cols[4]],
        [&mut lanes],
        &Put,
    )
    .unwrap();
    let scalar = staged_scalar(cols);
    assert_eq!((lanes, s), scalar, "lanes and scalar staging agree");
    scalar
}

fn staged_scalar<T: Element>(cols: &[Vec<T>]) -> (Vec<T>, T) {
    let mut put = vec![T::ZERO; cols[0].len()];
    let s = map_reduce_slices(
        ReduceOp::Sum,
        [&cols[0], &cols[1], &cols[2], &cols[3], &cols[4]],
        [&mut put],
        |[s, k, r, v, t]| {
            let p = black_scholes(s, k, r, v, t);
            ([p], p)
        },
    )
    .unwrap();
    (put, s)
}

#[test]
fn design_inputs_match_the_staged_formula_bit_for_bit() {
    for n in [0, 1, 7, 1000, 4099] {
        let cols = design_inputs(n);
        let want = staged(&cols);
        let mut p = array_style(DType::F64, n);
        // Unoptimised: 30 stages through temporaries; optimised: one loop.
        assert_eq!(run_both(&p, &cols), want, "n = {n}, unoptimised");
        p.optimize();
        assert_eq!(run_both(&p, &cols), want, "n = {n}, optimised");
        let r = p
            .evaluate(&cols.iter().map(Vec::as_slice).collect::<Vec<_>>())
            .unwrap();
        assert_eq!(r.reductions()[0], want.1);
        if n > 0 {
            // put = call - fv + spt stays positive and below the spot price here.
            assert!(
                want.0.iter().all(|&v| v > 0.0 && v < 42.0),
                "{:?}",
                &want.0[..1]
            );
        }
    }
}

#[test]
fn f32_program_matches_the_f32_staged_formula() {
    let n = 777;
    let cols: Vec<Vec<f32>> = design_inputs(n)
        .iter()
        .map(|c| c.iter().map(|&v| v as f32).collect())
        .collect();
    let mut p = array_style(DType::F32, n);
    p.optimize();
    assert_one_fused_loop(&p);
    assert_eq!(run_both(&p, &cols), staged(&cols));
}

fn option() -> impl Strategy<Value = [f64; 5]> {
    (
        10.0..100.0f64,
        10.0..100.0f64,
        0.0..0.2f64,
        0.05..0.6f64,
        0.05..3.0f64,
    )
        .prop_map(|(s, k, r, v, t)| [s, k, r, v, t])
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_options_match_the_staged_formula(opts in prop::collection::vec(option(), 0..600)) {
        let cols: Vec<Vec<f64>> = (0..5).map(|k| opts.iter().map(|o| o[k]).collect()).collect();
        let mut p = array_style(DType::F64, opts.len());
        p.optimize();
        prop_assert_eq!(run_both(&p, &cols), staged(&cols));
    }
}
