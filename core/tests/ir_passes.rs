//! Each pass on small programs, and every pass (alone or together) preserving results
//! bit for bit on random array-at-a-time programs.

mod ir_common;

use accel_core::ir::{
    ArrayRole, BinOp, Builder, Cond, DType, Ex, Expr, OpKind, Plan, Program, ReduceOp, UnOp, exp,
    ln, sqrt,
};
use ir_common::{K, Tree, assert_same, eval, inputs, same, tree};
use proptest::prelude::*;

fn count(p: &Program, l: usize, k: OpKind) -> usize {
    p.op_counts(l).get(k)
}

fn exp_op() -> OpKind {
    OpKind::Unary(UnOp::Exp)
}

/// Runs `p` serially on `ins`; returns the result arrays and reductions.
fn run(p: &Program, ins: &[&[f64]]) -> (Vec<Vec<f64>>, Vec<f64>) {
    let plan = Plan::<f64>::compile(p).unwrap();
    let mut outs: Vec<Vec<f64>> = plan.results().map(|(_, n, _)| vec![0.0; n]).collect();
    let mut refs: Vec<&mut [f64]> = outs.iter_mut().map(Vec::as_mut_slice).collect();
    let r = plan.run(ins, &mut refs).unwrap();
    (outs, r)
}

fn xs(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i as f64 - 3.5) * 0.75).collect()
}

#[test]
fn map_into_map() {
    let b = Builder::new(DType::F64);
    let x = b.input("x", 9).unwrap();
    let [t] = b.map([("t", exp(x))]).unwrap();
    b.output("y", t * 2.0).unwrap();
    let mut p = b.finish().unwrap();
    let before = run(&p, &[&xs(9)]);
    assert_eq!(p.loops().len(), 2);
    assert_eq!(p.fuse(), 1);
    assert_eq!(p.loops().len(), 1);
    // Fusion alone keeps the now-unread temporary; dead-output removal drops it.
    assert_eq!(p.loops()[0].outputs().len(), 2);
    assert_eq!(p.remove_dead_outputs(), 1);
    let l = &p.loops()[0];
    assert_eq!(l.outputs().len(), 1);
    assert_eq!(p.array(l.outputs()[0].0).name(), "y");
    assert_eq!(p.loop_reads(0), vec![p.array_id("x").unwrap()]);
    assert_eq!(count(&p, 0, exp_op()), 1);
    assert_eq!(run(&p, &[&xs(9)]), before);
}

#[test]
fn map_into_reduce() {
    let b = Builder::new(DType::F64);
    let x = b.input("x", 100).unwrap();
    let [t] = b.map([("t", x * x)]).unwrap();
    b.sum("ss", t).unwrap();
    b.reduce("mx", ReduceOp::Max, t).unwrap();
    let mut p = b.finish().unwrap();
    let before = run(&p, &[&xs(100)]);
    let stats = p.optimize();
    assert_eq!(
        (stats.loops_before, stats.loops_after, stats.fused),
        (3, 1, 2)
    );
    let l = &p.loops()[0];
    assert!(l.outputs().is_empty(), "t is never materialised");
    assert_eq!(l.reductions().len(), 2);
    assert_eq!(
        count(&p, 0, OpKind::Binary(BinOp::Mul)),
        1,
        "x*x once for both"
    );
    assert_eq!(run(&p, &[&xs(100)]), before);
    let want: f64 = xs(100)
        .iter()
        .map(|v| v * v)
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(before.1[1], want);
}

#[test]
fn sibling_loops_merge_and_share_subexpressions() {
    let b = Builder::new(DType::F64);
    let x = b.input("x", 10).unwrap();
    b.output("y", exp(x)).unwrap();
    b.output("z", exp(x) + 1.0).unwrap();
    let mut p = b.finish().unwrap();
    let before = run(&p, &[&xs(10)]);
    let exps: usize = (0..p.loops().len()).map(|l| count(&p, l, exp_op())).sum();
    assert_eq!(exps, 2, "two loops each evaluate exp(x)");
    p.optimize();
    assert_eq!(p.loops().len(), 1);
    assert_eq!(count(&p, 0, exp_op()), 1);
    assert_eq!(run(&p, &[&xs(10)]), before);
}

#[test]
fn comprehensions_over_the_same_range_fuse_pointwise() {
    // p[i - 2] = 2 x[i + 1] over 2..8, then q[i - 2] = p[i - 2] + x[i] over 2..8:
    // the read p.at(-2) is element i - 2 at index i, i.e. pointwise.
    let b = Builder::new(DType::F64);
    let x = b.input("x", 10).unwrap();
    let p_ = b.comprehension("p", 2..8, x.at(1) * 2.0).unwrap();
    let q = b.comprehension("q", 2..8, p_.at(-2) + x).unwrap();
    b.keep(q).unwrap();
    let mut p = b.finish().unwrap();
    let before = run(&p, &[&xs(10)]);
    p.optimize();
    assert_eq!(p.loops().len(), 1, "{p}");
    assert_eq!(p.loops()[0].domain(), 2..8);
    assert_eq!(p.loops()[0].outputs().len(), 1, "p is gone");
    assert_eq!(run(&p, &[&xs(10)]), before);
    assert_eq!(before.0[0][0], 2.0 * xs(10)[3] + xs(10)[2]);
}

#[test]
fn loops_over_shifted_ranges_of_equal_length_are_reindexed() {
    // d[i - 2] over 2..8 reads x around i; y over 0..6 (a map over d) uses the index
    // and reads w (length 6) and d pointwise; s sums y. All three become one loop over
    // 2..8 with y's reads and index shifted by -2.
    let b = Builder::new(DType::F64);
    let x = b.input("x", 10).unwrap();
    let w = b.input("w", 6).unwrap();
    let d = b.comprehension("d", 2..8, x.at(1) - x.at(-2)).unwrap();
    let y = b.output("y", d * b.index() + w).unwrap();
    b.sum("s", y * y).unwrap();
    let mut p = b.finish().unwrap();
    let ins = [xs(10), vec![0.5, -1.0, 2.0, 0.25, 3.0, -0.125]];
    let ins: Vec<&[f64]> = ins.iter().map(Vec::as_slice).collect();
    let before = run(&p, &ins);
    assert_eq!(p.optimize().fused, 2);
    assert_eq!(p.loops().len(), 1, "{p}");
    assert_eq!(p.loops()[0].domain(), 2..8);
    assert!(p.to_string().contains("y[i-2] = "), "{p}");
    assert_eq!(run(&p, &ins), before);
    let x = xs(10);
    let want: Vec<f64> = (0..6)
        .map(|i| (x[i + 3] - x[i]) * i as f64 + ins[1][i])
        .collect();
    assert_eq!(before.0[0], want);
}

#[test]
fn a_loop_never_moves_above_a_producer_it_needs() {
    // A: a = exp(x) over 0..10. B: b = 2 w over 0..11. C over 0..10 reads b[i + 1]
    // (all of B must be done first, and B runs over another range) and a[i]: C may not
    // move up into A, so all three stay.
    let b = Builder::new(DType::F64);
    let x = b.input("x", 10).unwrap();
    let w = b.input("w", 11).unwrap();
    let [a] = b.map([("a", exp(x))]).unwrap();
    let [bb] = b.map([("b", w * 2.0)]).unwrap();
    let y = b.comprehension("y", 0..10, bb.at(1) + a).unwrap();
    b.keep(y).unwrap();
    let mut p = b.finish().unwrap();
    let ins = [xs(10), xs(11)];
    let ins: Vec<&[f64]> = ins.iter().map(Vec::as_slice).collect();
    let before = run(&p, &ins);
    assert_eq!(p.fuse(), 0);
    assert_eq!(p.loops().len(), 3);
    assert_eq!(run(&p, &ins), before);
}

#[test]
fn constant_folding_uses_the_programs_arithmetic() {
    // c is a constant array; once fused into y its reads become constants and
    // sqrt(c), c < 3 and the select on it fold away.
    let b = Builder::new(DType::F64);
    let x = b.input("x", 6).unwrap();
    let c = b.comprehension("c", 0..6, Ex::lit(2.0)).unwrap();
    let y = x * sqrt(c) + c.lt(3.0).select(x, 100.0);
    b.output("y", y).unwrap();
    let mut p = b.finish().unwrap();
    let before = run(&p, &[&xs(6)]);
    p.fuse();
    let folded = p.fold_constants();
    assert_eq!(folded, 3, "{p}"); // sqrt(2), 2 < 3, the select, and nothing else
    p.remove_dead_outputs();
    p.cse();
    assert_eq!(p.loops().len(), 1);
    assert_eq!(count(&p, 0, OpKind::Unary(UnOp::Sqrt)), 0);
    assert_eq!(count(&p, 0, OpKind::Select), 0);
    assert_eq!(count(&p, 0, OpKind::Binary(BinOp::Lt)), 0);
    let consts: Vec<f64> = p
        .loop_nodes(0)
        .into_iter()
        .filter_map(|n| p.graph().expr(n).const_value())
        .collect();
    assert_eq!(consts, vec![accel_core::math::sqrt(2.0)]);
    assert_eq!(run(&p, &[&xs(6)]), before);
}

#[test]
fn f32_constants_fold_in_f32() {
    let b = Builder::new(DType::F32);
    let x = b.input("x", 4).unwrap();
    let c = b.comprehension("c", 0..4, Ex::lit(0.1)).unwrap();
    b.output("y", x + exp(c)).unwrap();
    let mut p = b.finish().unwrap();
    p.optimize();
    let consts: Vec<f64> = p
        .loop_nodes(0)
        .into_iter()
        .filter_map(|n| p.graph().expr(n).const_value())
        .collect();
    let want = accel_core::math::expf(0.1_f32);
    assert_eq!(consts, vec![f64::from(want)]);
    let plan = Plan::<f32>::compile(&p).unwrap();
    let mut y = [0.0_f32; 4];
    plan.run(&[&[1.0, 2.0, 3.0, -0.5]], &mut [&mut y]).unwrap();
    assert_eq!(y, [1.0 + want, 2.0 + want, 3.0 + want, -0.5 + want]);
}

#[test]
fn only_exact_identities_are_simplified() {
    let b = Builder::new(DType::F64);
    let x = b.input("x", 3).unwrap();
    // (x * 1) / 1 - 0 + (-0) is x exactly; -(-x) is x; x + 0 is not (-0 + 0 = +0).
    b.output("a", (x * 1.0) / 1.0 - 0.0 + -0.0).unwrap();
    b.output("n", -(-x)).unwrap();
    b.output("z", x + 0.0).unwrap();
    let always = Cond::lit(true);
    b.output("s", always.select(x, ln(x))).unwrap();
    b.output("e", x.gt(1.0).select(x, x)).unwrap();
    let mut p = b.finish().unwrap();
    let input = [-0.0, 2.0, f64::INFINITY];
    let before = run(&p, &[&input]);
    p.optimize();
    assert_eq!(p.loops().len(), 1);
    let l = &p.loops()[0];
    let x_node = l.outputs()[0].1;
    assert_eq!(
        p.graph().expr(x_node),
        Expr::Load {
            array: p.array_id("x").unwrap(),
            offset: 0
        }
    );
    for k in [1, 3, 4] {
        assert_eq!(l.outputs()[k].1, x_node, "output {k} is x itself");
    }
    assert_eq!(count(&p, 0, OpKind::Binary(BinOp::Add)), 1, "x + 0 stays");
    assert_eq!(p.op_counts(0).computing(), 1);
    let after = run(&p, &[&input]);
    assert_eq!(after, before);
    assert_eq!(
        after.0[2][0].to_bits(),
        0.0_f64.to_bits(),
        "-0 + 0 = +0 kept"
    );
    assert_eq!(after.0[0][0].to_bits(), (-0.0_f64).to_bits());
}

#[test]
fn dead_outputs_go_results_stay() {
    let b = Builder::new(DType::F64);
    let x = b.input("x", 5).unwrap();
    let [u, _v] = b.map([("u", exp(x)), ("v", ln(x))]).unwrap();
    let [t2] = b.map([("t2", sqrt(x))]).unwrap();
    b.map([("t3", t2 * 2.0)]).unwrap(); // t3 unread, so t2 becomes unread too
    b.output("kept", x + 5.0).unwrap(); // a result nobody reads
    b.output("y", u + 1.0).unwrap();
    let mut p = b.finish().unwrap();
    let before = run(&p, &[&xs(5)]);
    assert_eq!(p.loops().len(), 5);
    assert_eq!(p.remove_dead_outputs(), 3); // v, then t3, then t2
    assert_eq!(p.loops().len(), 3, "the t2 and t3 loops are gone");
    let names: Vec<&str> = p
        .loops()
        .iter()
        .flat_map(|l| l.outputs().iter().map(|o| p.array(o.0).name()))
        .collect();
    assert_eq!(names, ["u", "kept", "y"]);
    assert_eq!(run(&p, &[&xs(5)]), before);
    let s = p.to_string();
    assert!(s.contains("(3 temporaries eliminated)"), "{s}");
    assert!(s.contains("temp    u[5]"), "{s}");
}

#[test]
fn cse_compacts_and_is_idempotent() {
    let b = Builder::array_at_a_time(DType::F64);
    let x = b.input("x", 7).unwrap();
    let y = b.output("y", exp(x) + exp(x) * 2.0).unwrap();
    b.sum("s", y).unwrap();
    let mut p = b.finish().unwrap();
    let before = run(&p, &[&xs(7)]);
    // Array-at-a-time, like numpy: exp(x) is computed into two temporaries.
    assert_eq!(p.loops().len(), 6, "{p}");
    let exps: usize = (0..6).map(|l| count(&p, l, exp_op())).sum();
    assert_eq!(exps, 2);
    p.fuse();
    p.remove_dead_outputs();
    let removed = p.cse();
    assert!(removed > 0, "the reads of fused temporaries are dropped");
    let dump = p.to_string();
    assert_eq!(p.cse(), 0);
    assert_eq!(p.to_string(), dump);
    assert_eq!(count(&p, 0, exp_op()), 1);
    assert_eq!(run(&p, &[&xs(7)]), before);
    assert!(
        p.arrays()
            .iter()
            .filter(|a| a.role() == ArrayRole::Temp)
            .count()
            >= 3
    );
}

/// One pass, or a sequence of them.
type Pass = fn(&mut Program);

/// A random array-at-a-time program: two random trees over the same inputs, a result
/// array each, a sum and a max.
fn random_program(t1: &Tree, t2: &Tree, n: usize) -> Program {
    let b = Builder::array_at_a_time(DType::F64);
    let x: Vec<Ex<'_>> = (0..K)
        .map(|k| b.input(&format!("x{k}"), n).unwrap())
        .collect();
    let (e1, e2) = (eval(t1, &x), eval(t2, &x));
    let y1 = b.comprehension("y1", 0..n, e1).unwrap();
    b.keep(y1).unwrap();
    let y2 = b.comprehension("y2", 0..n, e2 * y1).unwrap();
    b.keep(y2).unwrap();
    b.reduce_over("s", ReduceOp::Sum, 0..n, y2 - e1).unwrap();
    b.reduce_over("m", ReduceOp::Max, 0..n, e2).unwrap();
    b.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_pass_preserves_results(t1 in tree(), t2 in tree(), (n, cols) in inputs()) {
        let ins: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let base = random_program(&t1, &t2, n);
        let want = base.evaluate(&ins).unwrap();
        let passes: [(&str, Pass); 6] = [
            ("fold", |p| { p.fold_constants(); }),
            ("fuse", |p| { p.fuse(); }),
            ("dead", |p| { p.remove_dead_outputs(); }),
            ("cse", |p| { p.cse(); }),
            ("fuse+dead", |p| { p.fuse(); p.remove_dead_outputs(); }),
            ("all", |p| { p.optimize(); }),
        ];
        for (name, pass) in passes {
            let mut p = base.clone();
            pass(&mut p);
            let got = p.evaluate(&ins).unwrap();
            for r in ["y1", "y2"] {
                let id = p.array_id(r).unwrap();
                assert_same(name, got.array(id).unwrap(), want.array(id).unwrap());
            }
            for (k, (&g, &w)) in got.reductions().iter().zip(want.reductions()).enumerate() {
                prop_assert!(same(g, w), "{}: reduction {}: {} vs {}", name, k, g, w);
            }
            // And the compiled plan agrees with the reference on the passed program.
            let (arrays, reds) = run(&p, &ins);
            assert_same(name, &arrays[0], want.array(p.array_id("y1").unwrap()).unwrap());
            prop_assert!(reds.iter().zip(want.reductions()).all(|(&a, &b)| same(a, b)));
        }
        let mut p = base.clone();
        p.optimize();
        prop_assert_eq!(p.loops().len(), 1, "{}", p);
    }
}
