//! Black-Scholes (ARCHITECTURE.md §5.2): the seed checksums, every put against the strict
//! libm reference on the seed inputs and on random inputs (every SIMD path, every
//! thread count), determinism, the naive version, the IR program (one fused loop)
//! and its interpreter against the staged kernels, and the errors.
//!
//! The 10 M seed checksum runs here; the 40 M one (≈ 2 GB of inputs) is checked by
//! the criterion bench `kernels/benches/blackscholes.rs` before it measures.

use std::sync::OnceLock;

use accel_core::ir::{Plan, Scratch};
use accel_kernels::blackscholes::{
    BlackScholesError, INPUT_NAMES, OptionBatch, SEED_CHECKSUM_10M, SimdPath, checksum,
    checksum_on, ir_dump, price, price_naive, price_on, price_serial, program, unoptimized_program,
};
use accel_pool::{FORMULA_CHUNK, Pool, PoolConfig};
use proptest::prelude::*;

/// Pools with 1, 2, 3 and 16 threads (more than this machine's cores), built once.
fn pools() -> &'static [Pool] {
    static POOLS: OnceLock<Vec<Pool>> = OnceLock::new();
    POOLS.get_or_init(|| {
        [1, 2, 3, 16]
            .into_iter()
            .map(|n| Pool::new(PoolConfig::new().threads(n).pin(false)).unwrap())
            .collect()
    })
}

/// The SIMD paths this CPU runs (the portable one always).
fn paths() -> Vec<SimdPath> {
    SimdPath::ALL
        .into_iter()
        .filter(|p| p.is_supported())
        .collect()
}

/// Neumaier's compensated sum: the exact sum up to one rounding, so the test's
/// own summation error does not blur a 1e-12 comparison.
fn exact_sum(xs: &[f64]) -> f64 {
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for &x in xs {
        let t = sum + x;
        comp += if sum.abs() >= x.abs() {
            (sum - t) + x
        } else {
            (x - t) + sum
        };
        sum = t;
    }
    sum + comp
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

/// The error bound of the fused kernel against the strict reference: 1e-13
/// relative to the put, or to the spot price when the put is smaller (the put is
/// `call − fv + spt`, so its rounding error scales with `spt` however small it is).
fn within_bound(fused: f64, strict: f64, spt: f64) -> bool {
    (fused - strict).abs() <= 1e-13 * strict.abs().max(spt.abs())
}

#[test]
fn seed_10m_checksum_and_every_put() {
    let n = 10_000_000;
    let batch = OptionBatch::seed(n);
    let mut strict = vec![0.0; n];
    price_serial(&batch, &mut strict).unwrap();
    assert!(
        rel(exact_sum(&strict), SEED_CHECKSUM_10M) <= 1e-12,
        "the strict reference's checksum {:e}",
        exact_sum(&strict)
    );
    let mut fused = vec![0.0; n];
    price(&pools()[1], &batch, &mut fused).unwrap();
    let worst = fused
        .iter()
        .zip(&strict)
        .map(|(&a, &b)| rel(a, b))
        .fold(0.0, f64::max);
    assert!(
        worst <= 1e-13,
        "worst relative error {worst:e} ({})",
        SimdPath::active()
    );
    assert!(rel(exact_sum(&fused), SEED_CHECKSUM_10M) <= 1e-12);
    // The fused checksum, with every thread count: within 1e-12, and the same bits.
    let sums: Vec<f64> = pools()
        .iter()
        .map(|p| checksum(p, &batch).unwrap())
        .collect();
    assert!(rel(sums[0], SEED_CHECKSUM_10M) <= 1e-12, "{:.17e}", sums[0]);
    assert!(
        sums.iter().all(|s| s.to_bits() == sums[0].to_bits()),
        "{sums:?}"
    );
}

#[test]
fn every_path_and_thread_count_gives_the_same_puts_on_the_seed() {
    let n = 3 * FORMULA_CHUNK + 77;
    let batch = OptionBatch::seed(n);
    let mut strict = vec![0.0; n];
    price_serial(&batch, &mut strict).unwrap();
    for path in paths() {
        let mut first: Option<Vec<f64>> = None;
        for pool in pools() {
            let mut put = vec![f64::NAN; n];
            price_on(pool, &batch, &mut put, path).unwrap();
            for (i, (&a, &b)) in put.iter().zip(&strict).enumerate() {
                assert!(rel(a, b) <= 1e-13, "{path} option {i}: {a:e} vs {b:e}");
            }
            match &first {
                None => first = Some(put),
                Some(f) => assert_eq!(f, &put, "{path}, {} threads", pool.num_threads()),
            }
        }
        let sums: Vec<u64> = pools()
            .iter()
            .map(|p| checksum_on(p, &batch, path).unwrap().to_bits())
            .collect();
        assert!(sums.iter().all(|&s| s == sums[0]), "{path}");
        let s = f64::from_bits(sums[0]);
        assert!(rel(s, exact_sum(&strict)) <= 1e-13, "{path}: {s:e}");
    }
}

#[test]
fn the_naive_version_computes_the_strict_values() {
    let batch = OptionBatch::seed(1000);
    let mut strict = vec![0.0; 1000];
    price_serial(&batch, &mut strict).unwrap();
    assert_eq!(price_naive(&batch), strict);
    assert!(price_naive(&OptionBatch::seed(0)).is_empty());
}

#[test]
fn the_program_fuses_into_one_loop() {
    let before = unoptimized_program(1000).unwrap();
    assert_eq!(
        before.loops().len(),
        30,
        "28 temporaries, the copy, the reduce"
    );
    let p = program(1000).unwrap();
    assert_eq!(p.loops().len(), 1, "{p}");
    let l = &p.loops()[0];
    assert_eq!(l.outputs().len(), 1);
    assert_eq!(l.reductions().len(), 1);
    let mut reads: Vec<&str> = p
        .loop_reads(0)
        .into_iter()
        .map(|a| p.array(a).name())
        .collect();
    reads.sort_unstable();
    let mut names = INPUT_NAMES.to_vec();
    names.sort_unstable();
    assert_eq!(reads, names, "each input read, nothing else");
    let dump = ir_dump(1000);
    let after = dump.split("== after").nth(1).expect("two sections");
    assert_eq!(
        after.lines().filter(|l| l.starts_with("loop ")).count(),
        1,
        "{dump}"
    );
    assert!(after.contains("writes  put"), "{dump}");
    assert!(after.contains("checksum = sum"), "{dump}");
    assert!(after.contains("log10") && after.contains("erf"), "{dump}");
}

/// The IR's compiled plan (the interpreter) and the staged kernels agree: bit for
/// bit on the portable path (the same scalar functions), within rounding on the
/// FMA paths; the interpreter's checksum over one chunk equals the staged one.
#[test]
fn the_interpreter_agrees_with_the_staged_kernels() {
    for n in [1, 7, 8, 100, FORMULA_CHUNK - 3, FORMULA_CHUNK] {
        let mut batch = OptionBatch::seed(n);
        // Not just the benchmark's constant columns.
        for i in 0..n {
            batch.vol[i] = 0.1 + (i % 13) as f64 * 0.03;
            batch.time[i] = 0.25 + (i % 7) as f64 * 0.3;
            batch.rate[i] = 0.01 + (i % 5) as f64 * 0.02;
        }
        let p = program(n).unwrap();
        let plan = Plan::<f64>::compile(&p).unwrap();
        let order: Vec<&str> = plan.inputs().map(|(_, _, name)| name).collect();
        let column = |name: &str| -> &[f64] {
            match name {
                "spt" => &batch.spt,
                "strike" => &batch.strike,
                "rate" => &batch.rate,
                "vol" => &batch.vol,
                "time" => &batch.time,
                other => panic!("unexpected input {other}"),
            }
        };
        let ins: Vec<&[f64]> = order.iter().map(|&name| column(name)).collect();
        let mut interpreted = vec![0.0; n];
        let sums = plan.run(&ins, &mut [&mut interpreted]).unwrap();
        // The same through one stage over two halves, as a pool would run it.
        let stage = &plan.stages()[0];
        let mut halves = vec![0.0; n];
        let (lo, hi) = halves.split_at_mut(n / 2);
        let mut scratch = Scratch::new();
        stage
            .run_range(0..n / 2, &ins, &mut [lo], &mut scratch)
            .unwrap();
        stage
            .run_range(n / 2..n, &ins, &mut [hi], &mut scratch)
            .unwrap();
        assert_eq!(halves, interpreted);

        let pool = &pools()[1];
        let mut staged = vec![0.0; n];
        price_on(pool, &batch, &mut staged, SimdPath::Portable).unwrap();
        assert_eq!(staged, interpreted, "n = {n}");
        let staged_sum = checksum_on(pool, &batch, SimdPath::Portable).unwrap();
        assert_eq!(staged_sum.to_bits(), sums[0].to_bits(), "n = {n}");
        for path in paths() {
            price_on(pool, &batch, &mut staged, path).unwrap();
            for (&a, &b) in staged.iter().zip(&interpreted) {
                assert!(rel(a, b) <= 1e-14, "{path}: {a:e} vs {b:e}");
            }
        }
    }
}

#[test]
fn errors_name_the_array() {
    let pool = &pools()[1];
    let mut batch = OptionBatch::seed(5);
    let mut put = [0.0; 5];
    assert!(price(pool, &batch, &mut put[..4]).is_err());
    assert_eq!(
        price_serial(&batch, &mut put[..4]),
        Err(BlackScholesError::LengthMismatch {
            array: "put",
            expected: 5,
            found: 4
        })
    );
    batch.time.push(1.0);
    let e = checksum(pool, &batch).unwrap_err();
    assert_eq!(
        e,
        BlackScholesError::LengthMismatch {
            array: "time",
            expected: 5,
            found: 6
        }
    );
    assert!(e.to_string().contains("`time` has 6 elements"), "{e}");
    // Nothing was written by a rejected call.
    let mut untouched = [7.0; 5];
    assert!(price(pool, &batch, &mut untouched).is_err());
    assert_eq!(untouched, [7.0; 5]);
    let e = BlackScholesError::UnsupportedSimd { path: "avx512" };
    assert_eq!(e.to_string(), "this CPU cannot run the avx512 code path");
    for path in SimdPath::ALL.into_iter().filter(|p| !p.is_supported()) {
        assert_eq!(
            price_on(pool, &OptionBatch::seed(3), &mut [0.0; 3], path),
            Err(BlackScholesError::UnsupportedSimd { path: path.name() })
        );
    }
}

#[test]
fn the_detected_path_is_the_widest_supported_one() {
    let widest = *paths().last().unwrap();
    assert_eq!(SimdPath::best(), widest);
    if accel_core::simd::forced().is_none() {
        assert_eq!(SimdPath::active(), widest);
    }
    assert!(SimdPath::Portable.is_supported());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
    {
        assert_eq!(SimdPath::best().name(), "avx512");
    }
    #[cfg(target_arch = "aarch64")]
    assert_eq!(SimdPath::best(), SimdPath::Neon);
}

/// Realistic option parameters (not the benchmark's constants).
fn options() -> impl Strategy<Value = OptionBatch> {
    prop::collection::vec(
        (
            1.0f64..200.0,
            0.5f64..2.0,
            0.0f64..0.6,
            0.05f64..1.0,
            0.01f64..5.0,
        ),
        0..200,
    )
    .prop_map(|rows| {
        let mut b = OptionBatch::default();
        for (spt, moneyness, rate, vol, time) in rows {
            b.spt.push(spt);
            b.strike.push(spt * moneyness);
            b.rate.push(rate);
            b.vol.push(vol);
            b.time.push(time);
        }
        b
    })
}

/// Option parameters over wide ranges, each log-uniform: spot 0.01 to 10^4,
/// strike 1/100 to 100 times the spot (deep in and out of the money), rate -5 % to
/// 100 %, volatility 1 % to 300 %, time 1/1000 to 30 years.
fn wide_options() -> impl Strategy<Value = OptionBatch> {
    prop::collection::vec(
        (
            -2.0f64..4.0,
            -2.0f64..2.0,
            -0.05f64..1.0,
            -2.0f64..0.5,
            -3.0f64..1.5,
        ),
        0..100,
    )
    .prop_map(|rows| {
        let mut b = OptionBatch::default();
        for (spt, moneyness, rate, vol, time) in rows {
            let spt = 10f64.powf(spt);
            b.spt.push(spt);
            b.strike.push(spt * 10f64.powf(moneyness));
            b.rate.push(rate);
            b.vol.push(10f64.powf(vol));
            b.time.push(10f64.powf(time));
        }
        b
    })
}

/// The puts of `batch` on `pool` and `path`, each checked against the strict
/// reference `strict` with [`within_bound`] (the failure names the option and
/// its parameters).
fn priced_within_bound(
    pool: &Pool,
    batch: &OptionBatch,
    strict: &[f64],
    path: SimdPath,
) -> Result<Vec<f64>, TestCaseError> {
    let mut put = vec![f64::NAN; batch.len()];
    price_on(pool, batch, &mut put, path).unwrap();
    for i in 0..batch.len() {
        prop_assert!(
            within_bound(put[i], strict[i], batch.spt[i]),
            "{} option {}: {:e} vs {:e} ({:?})",
            path,
            i,
            put[i],
            strict[i],
            (
                batch.spt[i],
                batch.strike[i],
                batch.rate[i],
                batch.vol[i],
                batch.time[i]
            )
        );
    }
    Ok(put)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Wide, arbitrary inputs (deep in and out of the money, tiny and huge
    /// volatilities and times): every path within the bound of the strict
    /// reference, the same puts for 1 and 3 threads.
    #[test]
    fn wide_random_options_match_the_strict_reference(batch in wide_options()) {
        let n = batch.len();
        let mut strict = vec![0.0; n];
        price_serial(&batch, &mut strict).unwrap();
        for path in paths() {
            let mut puts = Vec::new();
            for pool in [&pools()[0], &pools()[2]] {
                puts.push(priced_within_bound(pool, &batch, &strict, path)?);
            }
            prop_assert_eq!(&puts[0], &puts[1]);
        }
    }

    /// Random inputs: every path within the bound of the strict reference, the
    /// same puts for every thread count, and a checksum that does not depend on it.
    #[test]
    fn random_options_match_the_strict_reference(batch in options()) {
        let n = batch.len();
        let mut strict = vec![0.0; n];
        price_serial(&batch, &mut strict).unwrap();
        for path in paths() {
            let mut first: Option<Vec<f64>> = None;
            for pool in pools() {
                let put = priced_within_bound(pool, &batch, &strict, path)?;
                match &first {
                    None => first = Some(put),
                    Some(f) => prop_assert_eq!(f, &put),
                }
            }
            let sums: Vec<u64> = pools().iter()
                .map(|p| checksum_on(p, &batch, path).unwrap().to_bits()).collect();
            prop_assert!(sums.iter().all(|&s| s == sums[0]));
        }
    }
}
