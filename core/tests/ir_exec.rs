//! The IR executors against direct scalar evaluation.
//!
//! A random expression tree is evaluated three ways from one generic function: as plain
//! `f64`/`f32` code (the staged path, through `map_slices`/`reduce_slices`), as a graph
//! run by the compiled `Plan` (any chunk size, any split of the range), and by the
//! one-index-at-a-time reference interpreter. All must agree bit for bit.

mod ir_common;

use accel_core::ir::{
    Builder, DType, Element, Ex, Formula, IrError, Plan, PlanOptions, Real, ReduceOp, Scratch,
    Style, exp, map_formula, map_reduce_formula, map_reduce_slices, map_slices, reduce_formula,
    reduce_slices,
};
use ir_common::{K, Tree, assert_same, eval, inputs, same, tree};
use proptest::prelude::*;

/// The tree as a program: `y = tree` over `0..n` (a comprehension, so that a tree that
/// reads no input still has a length) and `s = sum(tree)`.
fn build(style: Style, dtype: DType, t: &Tree, n: usize) -> accel_core::ir::Program {
    let b = Builder::with_style(dtype, style);
    let x: Vec<Ex<'_>> = (0..K)
        .map(|k| b.input(&format!("x{k}"), n).unwrap())
        .collect();
    let e = eval(t, &x);
    let y = b.comprehension("y", 0..n, e).unwrap();
    b.keep(y).unwrap();
    b.reduce_over("s", ReduceOp::Sum, 0..n, e).unwrap();
    b.finish().unwrap()
}

/// A random tree as a [`Formula`]: one result, and its square as a second one.
struct TreeFormula<'a>(&'a Tree);

impl Formula<K, 2> for TreeFormula<'_> {
    fn eval<R: Real>(&self, x: [R; K]) -> [R; 2] {
        let y = eval(self.0, &x);
        [y, y * y]
    }
}

impl Formula<K, 1> for TreeFormula<'_> {
    fn eval<R: Real>(&self, x: [R; K]) -> [R; 1] {
        [eval(self.0, &x)]
    }
}

fn check_tree<T: Element>(t: &Tree, n: usize, cols: &[Vec<T>], chunk: Option<usize>) {
    let ins: Vec<&[T]> = cols.iter().map(Vec::as_slice).collect();
    let x3 = [ins[0], ins[1], ins[2]];
    // Staged: the same generic function on plain numbers.
    let mut want = vec![T::ZERO; n];
    map_slices(x3, [&mut want], |x| [eval(t, &x)]).unwrap();
    let want_sum = reduce_slices(ReduceOp::Sum, x3, |x| eval(t, &x)).unwrap();
    let want_sq: Vec<T> = want.iter().map(|&v| v * v).collect();

    // Staged on lanes, and the closure map-reduce: the same bits.
    let (mut y, mut sq) = (vec![T::ZERO; n], vec![T::ZERO; n]);
    let f = TreeFormula(t);
    map_formula(x3, [&mut y, &mut sq], &f).unwrap();
    assert_same("map_formula", &y, &want);
    assert_same("map_formula square", &sq, &want_sq);
    let s = map_reduce_formula(ReduceOp::Sum, 0, x3, [&mut y, &mut sq], &f).unwrap();
    assert!(
        same(s, want_sum),
        "map_reduce_formula {s:?} vs {want_sum:?}"
    );
    let s = reduce_formula::<T, K>(ReduceOp::Sum, x3, &f).unwrap();
    assert!(same(s, want_sum), "reduce_formula {s:?} vs {want_sum:?}");
    let mut y2 = vec![T::ZERO; n];
    let s = map_reduce_slices(ReduceOp::Sum, x3, [&mut y2], |x| {
        let v = eval(t, &x);
        ([v], v)
    })
    .unwrap();
    assert_same("map_reduce_slices", &y2, &want);
    assert!(same(s, want_sum), "map_reduce_slices {s:?} vs {want_sum:?}");

    for style in [Style::Lazy, Style::ArrayAtATime] {
        for optimise in [false, true] {
            let mut p = build(style, T::DTYPE, t, n);
            if optimise {
                p.optimize();
            }
            let what = format!("{style:?}, optimised {optimise}, chunk {chunk:?}");
            let plan = Plan::<T>::compile_with(&p, PlanOptions { chunk }).unwrap();
            let mut y = vec![T::ZERO; n];
            let sums = plan.run(&ins, &mut [&mut y]).unwrap();
            assert_same(&what, &y, &want);
            assert!(
                same(sums[0], want_sum),
                "{what}: sum {:?} vs {want_sum:?}",
                sums[0]
            );
            let r = p.evaluate(&ins).unwrap();
            assert_same(&what, r.array(p.array_id("y").unwrap()).unwrap(), &want);
            assert!(same(r.reductions()[0], want_sum), "{what}: reference sum");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn plan_equals_scalar_f64(t in tree(), (n, cols) in inputs(), chunk in prop_oneof![Just(None), Just(Some(8)), Just(Some(24))]) {
        check_tree::<f64>(&t, n, &cols, chunk);
    }

    #[test]
    fn plan_equals_scalar_f32(t in tree(), (n, cols) in inputs()) {
        let cols: Vec<Vec<f32>> = cols.iter().map(|c| c.iter().map(|&v| v as f32).collect()).collect();
        check_tree::<f32>(&t, n, &cols, Some(16));
    }

    /// What the pool does: split the range anywhere, run the pieces (in any order) into
    /// disjoint output slices, combine the partials left to right.
    #[test]
    fn split_ranges_equal_the_staged_pieces(t in tree(), (n, cols) in inputs(), cuts in prop::collection::vec(0..300usize, 0..4)) {
        let ins: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let mut p = build(Style::Lazy, DType::F64, &t, n);
        p.optimize();
        let plan = Plan::<f64>::compile_with(&p, PlanOptions { chunk: Some(16) }).unwrap();
        prop_assert_eq!(plan.stages().len(), 1);
        let stage = &plan.stages()[0];
        // The stage takes only the arrays it reads (x0, x1, x2 are arrays 0, 1, 2).
        let stage_ins: Vec<&[f64]> = stage.inputs().iter().map(|a| ins[a.index()]).collect();
        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(n)).collect();
        bounds.push(0);
        bounds.push(n);
        bounds.sort_unstable();
        let mut y = vec![0.0; n];
        let mut rest: &mut [f64] = &mut y;
        let mut pieces = Vec::new();
        for w in bounds.windows(2) {
            let (head, tail) = rest.split_at_mut(w[1] - w[0]);
            rest = tail;
            pieces.push((w[0]..w[1], head));
        }
        let mut scratch = Scratch::new();
        let mut sum = ReduceOp::Sum.identity::<f64>();
        let mut want_sum = ReduceOp::Sum.identity::<f64>();
        for (range, out) in pieces.into_iter().rev() {
            let part = stage.run_range(range.clone(), &stage_ins, &mut [out], &mut scratch).unwrap()[0];
            let sub: Vec<&[f64]> = ins.iter().map(|s| &s[range.clone()]).collect();
            let want = reduce_slices(ReduceOp::Sum, [sub[0], sub[1], sub[2]], |x| eval(&t, &x)).unwrap();
            prop_assert!(same(part, want), "range {:?}: {} vs {}", range, part, want);
            // Pieces ran last-first; combine in index order as a runtime would.
            sum = ReduceOp::Sum.combine(part, sum);
            want_sum = ReduceOp::Sum.combine(want, want_sum);
        }
        prop_assert!(same(sum, want_sum));
        let mut want = vec![0.0; n];
        map_slices([ins[0], ins[1], ins[2]], [&mut want], |x| [eval(&t, &x)]).unwrap();
        assert_same("split", &y, &want);
    }
}

#[test]
fn every_reduction_matches_the_staged_one() {
    let n = 1001;
    let x: Vec<f64> = (0..n)
        .map(|i| ((i * 37 % 101) as f64 - 50.0) / 7.0)
        .collect();
    for op in [ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Min, ReduceOp::Max] {
        let b = Builder::new(DType::F64);
        let xe = b.input("x", n).unwrap();
        b.reduce("r", op, xe * 0.5 + 1.0).unwrap();
        let mut p = b.finish().unwrap();
        p.optimize();
        let got = Plan::<f64>::compile(&p)
            .unwrap()
            .run(&[&x], &mut [])
            .unwrap()[0];
        let want = reduce_slices(op, [&x], |[v]| v * 0.5 + 1.0).unwrap();
        assert!(same(got, want), "{op}: {got} vs {want}");
    }
    for (op, threshold, want) in [
        (ReduceOp::Any, 7.0, 1.0),
        (ReduceOp::Any, 8.0, 0.0),
        (ReduceOp::All, -7.2, 1.0),
        (ReduceOp::All, 0.0, 0.0),
    ] {
        let b = Builder::new(DType::F64);
        let xe = b.input("x", n).unwrap();
        b.reduce_cond("r", op, xe.gt(threshold)).unwrap();
        let p = b.finish().unwrap();
        let got = Plan::<f64>::compile(&p)
            .unwrap()
            .run(&[&x], &mut [])
            .unwrap()[0];
        assert_eq!(got, want, "{op} over x > {threshold}");
        let staged = reduce_slices(op, [&x], |[v]| f64::truth(v > threshold)).unwrap();
        assert_eq!(staged, want);
    }
}

#[test]
fn index_and_offsets_in_a_comprehension() {
    // y[i - 2] = x[i - 1] * i + x[i + 2] for i in 2..8, with x of length 10.
    let b = Builder::new(DType::F64);
    let x = b.input("x", 10).unwrap();
    let i = b.index();
    let y = b.comprehension("y", 2..8, x.at(-1) * i + x.at(2)).unwrap();
    b.keep(y).unwrap();
    b.reduce_over("m", ReduceOp::Max, 2..8, x.at(1) - i)
        .unwrap();
    let mut p = b.finish().unwrap();
    p.optimize();
    let xs: Vec<f64> = (0..10).map(|v| f64::from(v * v)).collect();
    let want: Vec<f64> = (2..8).map(|i| xs[i - 1] * i as f64 + xs[i + 2]).collect();
    let want_max = (2..8)
        .map(|i| xs[i + 1] - i as f64)
        .fold(f64::NEG_INFINITY, f64::max);
    for chunk in [None, Some(8)] {
        let plan = Plan::<f64>::compile_with(&p, PlanOptions { chunk }).unwrap();
        let mut got = vec![0.0; 6];
        let r = plan.run(&[&xs], &mut [&mut got]).unwrap();
        assert_eq!(got, want);
        assert_eq!(r, [want_max]);
        // A sub-range writes only its part.
        let stage = &plan.stages()[0];
        let mut part = vec![0.0; 3];
        stage
            .run_range(4..7, &[&xs], &mut [&mut part], &mut Scratch::new())
            .unwrap();
        assert_eq!(part, want[2..5]);
    }
}

#[test]
fn temporaries_read_at_offsets_run_as_separate_stages() {
    // t = x * x (a map), d[i-1] = t[i+1] - t[i-1] (reads t at offsets: cannot fuse).
    let b = Builder::new(DType::F64);
    let x = b.input("x", 9).unwrap();
    let [t] = b.map([("t", x * x)]).unwrap();
    let d = b.comprehension("d", 1..8, t.at(1) - t.at(-1)).unwrap();
    b.keep(d).unwrap();
    let mut p = b.finish().unwrap();
    p.optimize();
    assert_eq!(p.loops().len(), 2);
    let plan = Plan::<f64>::compile(&p).unwrap();
    assert_eq!(plan.temps().count(), 1);
    let xs: Vec<f64> = (0..9).map(f64::from).collect();
    let mut d = vec![0.0; 7];
    plan.run(&[&xs], &mut [&mut d]).unwrap();
    let want: Vec<f64> = (1..8)
        .map(|i| xs[i + 1] * xs[i + 1] - xs[i - 1] * xs[i - 1])
        .collect();
    assert_eq!(d, want);
}

#[test]
fn plans_are_send_and_sync_and_reuse_registers() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Plan<f64>>();
    send_sync::<Plan<f32>>();
    send_sync::<accel_core::ir::Stage<f64>>();

    // A long chain needs few registers: each value dies right after its use.
    let b = Builder::new(DType::F64);
    let x = b.input("x", 100).unwrap();
    let mut e = x;
    for k in 0..50 {
        e = exp(e * 0.001) + f64::from(k);
    }
    b.output("y", e).unwrap();
    let p = b.finish().unwrap();
    let plan = Plan::<f64>::compile(&p).unwrap();
    let stage = &plan.stages()[0];
    assert!(stage.registers() <= 2, "{} registers", stage.registers());
    assert_eq!(stage.instructions(), 150);
    assert_eq!(stage.chunk() % accel_core::ir::LANES, 0);
}

#[test]
fn run_arguments_are_checked() {
    let b = Builder::new(DType::F64);
    let x = b.input("x", 4).unwrap();
    b.output("y", x + 1.0).unwrap();
    let p = b.finish().unwrap();
    let plan = Plan::<f64>::compile(&p).unwrap();
    let xs = [1.0; 4];
    let mut short = [0.0; 3];
    assert_eq!(
        plan.run(&[&xs], &mut [&mut short]),
        Err(IrError::ArgumentLength {
            what: "output",
            array: "y".into(),
            expected: 4,
            found: 3
        })
    );
    assert_eq!(
        plan.run(&[], &mut []),
        Err(IrError::ArgumentCount {
            what: "inputs",
            expected: 1,
            found: 0
        })
    );
    let stage = &plan.stages()[0];
    let mut out = [0.0; 4];
    assert_eq!(
        stage.run_range(2..6, &[&xs], &mut [&mut out], &mut Scratch::new()),
        Err(IrError::RangeOutsideDomain {
            range: 2..6,
            domain: 0..4
        })
    );
    assert_eq!(
        stage
            .run_range(1..3, &[&xs[..3]], &mut [&mut out[..2]], &mut Scratch::new())
            .unwrap_err(),
        IrError::ArgumentLength {
            what: "input",
            array: "x".into(),
            expected: 4,
            found: 3
        }
    );
    assert!(matches!(
        Plan::<f32>::compile(&p),
        Err(IrError::DTypeMismatch {
            program: DType::F64,
            requested: DType::F32
        })
    ));
}

/// `Plan::run_with` with a pool-like executor (each stage split into `parts` ranges,
/// partials combined in index order) equals `Plan::run`, across stages and temporaries.
#[test]
fn run_with_split_stages_equals_run() {
    let n = 37;
    let b = Builder::new(DType::F64);
    let x = b.input("x", n).unwrap();
    let [t] = b.map([("t", exp(x * 0.1))]).unwrap();
    let d = b.comprehension("d", 1..n - 1, t.at(1) - t.at(-1)).unwrap();
    b.keep(d).unwrap();
    b.sum("sd", d).unwrap();
    b.reduce("mx", ReduceOp::Max, t * x).unwrap();
    let mut p = b.finish().unwrap();
    p.optimize();
    assert_eq!(p.loops().len(), 2, "{p}");
    let plan = Plan::<f64>::compile_with(&p, PlanOptions { chunk: Some(8) }).unwrap();
    let xs: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let mut want = vec![0.0; n - 2];
    let want_red = plan.run(&[&xs], &mut [&mut want]).unwrap();
    for parts in [1, 2, 3, 5, 40] {
        let mut got = vec![0.0; n - 2];
        let mut scratch = Scratch::new();
        let red = plan
            .run_with(&[&xs], &mut [&mut got], |stage, ins, outs, red| {
                let dom = stage.domain();
                let mut rest: Vec<&mut [f64]> = outs.iter_mut().map(|o| &mut **o).collect();
                for part in 0..parts {
                    let r = accel_core::partition::balanced_range(dom.len(), parts, part);
                    let range = dom.start + r.start..dom.start + r.end;
                    let mut mine = Vec::new();
                    for o in rest.iter_mut() {
                        let (head, tail) = core::mem::take(o).split_at_mut(range.len());
                        mine.push(head);
                        *o = tail;
                    }
                    let partials = stage.run_range(range, ins, &mut mine, &mut scratch)?;
                    for (k, &(_, op)) in stage.reductions().iter().enumerate() {
                        red[k] = op.combine(red[k], partials[k]);
                    }
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(got, want, "{parts} parts");
        assert_eq!(red[1], want_red[1], "max does not depend on the split");
        assert!((red[0] - want_red[0]).abs() <= 1e-12 * want_red[0].abs().max(1.0));
    }
}

/// The plan executor's elementary functions on each x86-64 path are those of
/// that path's formula lanes, element for element, whatever the length (whole
/// vectors and the remainder): on AVX-512 `math::fast`'s `exp`, `log10` and
/// `erf` (bit for bit their scalar FMA flavours), on AVX2 the table `exp` and
/// `erf_step`; `ln` is the one-division flavour on both.
#[cfg(target_arch = "x86_64")]
#[test]
fn plan_functions_are_the_formula_lanes_functions() {
    use accel_core::ir::{Builder, DType, Plan};
    use accel_core::math::fast;
    use accel_core::simd::SimdPath;
    type Scalar = unsafe fn(f64) -> f64;
    for path in [SimdPath::Avx512, SimdPath::Avx2] {
        if !path.is_supported() {
            continue;
        }
        let expected: [(&str, Scalar); 4] = match path {
            SimdPath::Avx512 => [
                ("exp", fast::exp_fma),
                ("ln", fast::ln_atanh_fma),
                ("log10", fast::log10_fma),
                ("erf", fast::erf_fma),
            ],
            _ => [
                ("exp", fast::exp_fma),
                ("ln", fast::ln_atanh_fma),
                ("log10", fast::log10_atanh_fma),
                ("erf", fast::erf_step_fma),
            ],
        };
        for n in [1, 7, 8, 9, 100, 1029] {
            let x: Vec<f64> = (0..n).map(|i| 0.01 + i as f64 * 0.37).collect();
            let b = Builder::new(DType::F64);
            let input = b.input("x", n).unwrap();
            b.output("exp", (input * -0.05).exp()).unwrap();
            b.output("ln", input.ln()).unwrap();
            b.output("log10", input.log10()).unwrap();
            b.output("erf", (input * 0.01).erf()).unwrap();
            let plan = Plan::<f64>::compile(&b.finish().unwrap()).unwrap();
            let mut outs = vec![vec![f64::NAN; n]; 4];
            let mut views: Vec<&mut [f64]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
            plan.run_on(path, &[&x], &mut views).unwrap();
            let arguments: [fn(f64) -> f64; 4] = [|v| v * -0.05, |v| v, |v| v, |v| v * 0.01];
            for ((out, (name, f)), arg) in outs.iter().zip(expected).zip(arguments) {
                for (i, (&got, &v)) in out.iter().zip(&x).enumerate() {
                    // SAFETY: the path is supported, so FMA (and AVX2) are.
                    let want = unsafe { f(arg(v)) };
                    assert_eq!(got.to_bits(), want.to_bits(), "{path} {name} n {n} i {i}");
                }
            }
        }
    }
}
