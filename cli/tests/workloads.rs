//! `accel blackscholes` and `accel fill` through the real binary: their JSON fields,
//! their values checked against the kernels' references called here (and, for
//! fill, against entries counted by brute force), and `--compare`'s fields.

mod common;

use accel_kernels::blackscholes::{OptionBatch, price_serial};
use common::*;

fn json_of(run: &Run) -> serde_json::Value {
    run.assert_ok();
    assert_eq!(run.stdout.lines().count(), 1, "one JSON object: {run:#?}");
    assert!(run.stderr.is_empty(), "no chatter with --json: {run:#?}");
    serde_json::from_str(&run.stdout).expect("valid JSON")
}

/// `sum(put)` by the strict serial reference, summed here.
fn reference_checksum(n: usize) -> f64 {
    let batch = OptionBatch::seed(n);
    let mut put = vec![0.0; n];
    price_serial(&batch, &mut put).unwrap();
    put.iter().sum()
}

#[test]
fn blackscholes_json_has_its_fields_and_the_right_checksum() {
    let dir = temp_dir();
    // 1 option, one chunk plus one (8193), and a few chunks, on 1, 3 and 5 threads.
    for (n, threads) in [(1usize, "1"), (8193, "3"), (100_000, "2"), (100_000, "5")] {
        let n_text = n.to_string();
        let json = json_of(&accel(
            dir.path(),
            &[
                "blackscholes",
                "--options",
                &n_text,
                "--threads",
                threads,
                "--json",
            ],
        ));
        assert_eq!(json["workload"], "blackscholes");
        assert_eq!(json["options"].as_u64(), Some(n as u64));
        assert_eq!(json["threads"].as_u64(), Some(threads.parse().unwrap()));
        assert!(json["seconds"].as_f64().is_some_and(|s| s > 0.0), "{json}");
        assert_eq!(json["simd"], accel_core::simd::SimdPath::active().name());
        let checksum = json["checksum"].as_f64().expect("checksum");
        let want = reference_checksum(n);
        assert!(
            ((checksum - want) / want).abs() < 1e-12,
            "checksum {checksum} vs reference {want} for {n} options"
        );
        assert!(json.get("serial_seconds").is_none(), "no --compare fields");
    }
}

#[test]
fn blackscholes_compare_reports_errors_within_the_stated_bound() {
    let dir = temp_dir();
    let json = json_of(&accel(
        dir.path(),
        &["blackscholes", "--options", "100000", "--compare", "--json"],
    ));
    for field in [
        "serial_seconds",
        "speedup",
        "max_abs_err",
        "max_rel_err",
        "price_seconds",
    ] {
        assert!(json[field].as_f64().is_some(), "{field} missing: {json}");
    }
    let rel = json["max_rel_err"].as_f64().unwrap();
    assert!((0.0..=1e-13).contains(&rel), "max_rel_err {rel}");
    let abs = json["max_abs_err"].as_f64().unwrap();
    assert!((0.0..=1e-11).contains(&abs), "max_abs_err {abs}");
    let serial = json["serial_seconds"].as_f64().unwrap();
    let seconds = json["seconds"].as_f64().unwrap();
    let speedup = json["speedup"].as_f64().unwrap();
    assert!(((speedup - serial / seconds) / speedup).abs() < 1e-9);
    let serial_checksum = json["serial_checksum"].as_f64().unwrap();
    assert!(((serial_checksum - reference_checksum(100_000)) / serial_checksum).abs() < 1e-15);
    assert!(json["seed_checksum"].is_null(), "100000 is not a seed size");

    let run = accel(
        dir.path(),
        &[
            "blackscholes",
            "--options",
            "20000",
            "--compare",
            "--threads",
            "2",
        ],
    );
    run.assert_ok();
    for word in [
        "20000 options",
        "checksum",
        "serial",
        "speed-up",
        "max error",
        "2 threads",
    ] {
        assert!(
            run.stdout.contains(word),
            "summary lacks {word:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn blackscholes_bad_values_are_usage_errors() {
    let dir = temp_dir();
    accel(dir.path(), &["blackscholes", "--options", "0"]).assert_error(2, &["--options", "'0'"]);
    accel(dir.path(), &["blackscholes", "--options", "-5"]).assert_error(2, &["'-5'", "negative"]);
    accel(dir.path(), &["blackscholes", "--threads", "0"]).assert_error(2, &["--threads", "'0'"]);
    // Far more options than memory: refused before allocating, exit 1.
    accel(
        dir.path(),
        &["blackscholes", "--options", "100000000000000"],
    )
    .assert_error(1, &["--options 100000000000000", "too large"]);
}

/// Stored entries counted entry by entry from the definition (ARCHITECTURE.md §5.1).
fn brute_force_entries(
    blocks: (usize, usize),
    sizes: (usize, usize),
    bands: (isize, isize),
    sub: (isize, isize),
) -> usize {
    let mut count = 0;
    for bk in 0..blocks.0 as isize {
        for bj in 0..blocks.1 as isize {
            if !(-bands.0 <= bj - bk && bj - bk <= bands.1) {
                continue;
            }
            for k in 0..sizes.0 as isize {
                for j in 0..sizes.1 as isize {
                    if -sub.0 <= j - k && j - k <= sub.1 {
                        count += 1;
                    }
                }
            }
        }
    }
    count
}

/// One fill layout: (N, M) blocks of (n, m), bands (l, u), sub-bands (λ, μ), threads.
struct Case {
    blocks: (usize, usize),
    sizes: (usize, usize),
    bands: (isize, isize),
    sub: (isize, isize),
    threads: &'static str,
}

impl Case {
    fn new(
        blocks: (usize, usize),
        sizes: (usize, usize),
        bands: (isize, isize),
        sub: (isize, isize),
        threads: &'static str,
    ) -> Self {
        Case {
            blocks,
            sizes,
            bands,
            sub,
            threads,
        }
    }
}

#[test]
fn fill_json_counts_the_stored_entries() {
    let dir = temp_dir();
    let cases = [
        Case::new((8, 6), (3, 3), (1, 2), (0, 1), "1"), // the notebook's tiny case
        Case::new((20, 20), (50, 50), (1, 2), (2, 1), "2"),
        Case::new((7, 11), (5, 3), (0, 3), (-1, 2), "3"),
        Case::new((1, 1), (1, 1), (0, 0), (0, 0), "4"),
    ];
    for Case {
        blocks,
        sizes,
        bands,
        sub,
        threads,
    } in cases
    {
        let texts = [
            blocks.0.to_string(),
            sizes.0.to_string(),
            blocks.1.to_string(),
            sizes.1.to_string(),
            format!("{},{}", bands.0, bands.1),
            format!("--sub-bands={},{}", sub.0, sub.1),
        ];
        let json = json_of(&accel(
            dir.path(),
            &[
                "fill",
                "--block-rows",
                &texts[0],
                "--block-size",
                &texts[1],
                "--block-cols",
                &texts[2],
                "--col-block-size",
                &texts[3],
                "--bands",
                &texts[4],
                &texts[5],
                "--threads",
                threads,
                "--repeat",
                "3",
                "--json",
            ],
        ));
        assert_eq!(json["workload"], "fill");
        assert_eq!(
            json["entries"].as_u64(),
            Some(brute_force_entries(blocks, sizes, bands, sub) as u64),
            "{json}"
        );
        assert_eq!(json["threads"].as_u64(), Some(threads.parse().unwrap()));
        assert_eq!(json["repeat"], 3);
        assert!(json["seconds"].as_f64().is_some_and(|s| s > 0.0), "{json}");
        assert!(json["gb_per_second"].as_f64().is_some(), "{json}");
    }
}

#[test]
fn fill_compare_is_exact() {
    let dir = temp_dir();
    let json = json_of(&accel(
        dir.path(),
        &[
            "fill",
            "--block-rows",
            "30",
            "--block-cols",
            "30",
            "--block-size",
            "40",
            "--col-block-size",
            "40",
            "--compare",
            "--json",
            "--threads",
            "3",
        ],
    ));
    for field in ["serial_seconds", "speedup", "max_abs_err", "max_rel_err"] {
        assert!(json[field].as_f64().is_some(), "{field} missing: {json}");
    }
    assert_eq!(json["max_abs_err"], 0.0);
    assert_eq!(json["max_rel_err"], 0.0);

    let run = accel(
        dir.path(),
        &[
            "fill",
            "--block-rows",
            "10",
            "--block-cols",
            "10",
            "--compare",
        ],
    );
    run.assert_ok();
    for word in ["stored entries", "GB/s", "serial", "speed-up", "identical"] {
        assert!(
            run.stdout.contains(word),
            "summary lacks {word:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn fill_bad_sizes_are_usage_errors() {
    let dir = temp_dir();
    accel(dir.path(), &["fill", "--bands", "1"]).assert_error(2, &["'1'", "two integers"]);
    accel(dir.path(), &["fill", "--sub-bands", "a,b"]).assert_error(2, &["'a,b'"]);
    accel(dir.path(), &["fill", "--repeat", "0"]).assert_error(2, &["--repeat", "'0'"]);
    accel(dir.path(), &["fill", "--block-size", "2.5"]).assert_error(2, &["'2.5'", "whole number"]);
}

/// Every `--help` lists the exit statuses, 3 included.
#[test]
fn every_help_lists_the_exit_statuses() {
    let dir = temp_dir();
    for command in [
        &["--help"][..],
        &["blur", "--help"],
        &["blackscholes", "--help"],
        &["fill", "--help"],
    ] {
        let run = accel(dir.path(), command);
        assert_eq!(run.code, Some(0), "{command:?}: {run:#?}");
        for needle in [
            "Exit status",
            "2 a bad command line",
            "3 a failed --compare accuracy check",
        ] {
            assert!(
                run.stdout.contains(needle),
                "{command:?} lacks {needle:?}: {}",
                run.stdout
            );
        }
    }
}

/// A fill with nothing to store says so instead of a speed-up made of clock
/// noise, and counts one entry in the singular.
#[test]
fn empty_and_single_entry_fills_read_right() {
    let dir = temp_dir();
    let run = accel(dir.path(), &["fill", "--bands=-1,0", "--compare"]);
    run.assert_ok();
    assert!(run.stdout.contains(": 0 stored entries,"), "{}", run.stdout);
    assert!(
        run.stdout.contains("no speed-up (nothing to fill)"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("speed-up 0") && !run.stdout.contains("×, max error"),
        "{}",
        run.stdout
    );
    let run = accel(dir.path(), &["fill", "--bands=-1,0", "--compare", "--json"]);
    run.assert_ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(json["speedup"].is_null(), "{json}");
    let one = [
        "fill",
        "--block-rows",
        "1",
        "--block-size",
        "1",
        "--block-cols",
        "1",
        "--col-block-size",
        "1",
        "--bands",
        "0,0",
        "--sub-bands",
        "0,0",
    ];
    let run = accel(dir.path(), &one);
    run.assert_ok();
    assert!(run.stdout.contains(": 1 stored entry,"), "{}", run.stdout);
}

/// `--normalize` keeps a flat field at its level after 100 iterations; the
/// default weights darken it by about 3 %, as the help says.
#[test]
fn normalize_keeps_a_flat_field_level() {
    let dir = temp_dir();
    let d = dir.path();
    Npy::f32(&[24, 32], &[1.0; 24 * 32]).write(&d.join("flat.npy"));
    let args = [
        "blur",
        "flat.npy",
        "out.npy",
        "--iters",
        "100",
        "--boundary",
        "clamp",
        "-q",
    ];
    accel(d, &args).assert_ok();
    let dark = Npy::read(&d.join("out.npy")).values();
    assert!(
        dark.iter().all(|&v| (v - 0.9997f64.powi(100)).abs() < 2e-3),
        "{:?}",
        &dark[..3]
    );
    let mut normalized = args.to_vec();
    normalized.push("--normalize");
    accel(d, &normalized).assert_ok();
    let level = Npy::read(&d.join("out.npy")).values();
    assert!(
        level.iter().all(|&v| (v - 1.0).abs() < 1e-5),
        "{:?}",
        &level[..3]
    );
    let help = accel(d, &["blur", "--help"]);
    for needle in ["0.9997", "3 %", "--normalize", "2-pixel frame"] {
        assert!(help.stdout.contains(needle), "blur --help lacks {needle:?}");
    }
}

/// The blur reports decode, kernel, encode and total times, in the summary and
/// in `--json`, and the total covers the other three.
#[test]
fn blur_reports_every_phase_of_the_wall_time() {
    let dir = temp_dir();
    let d = dir.path();
    random_image(Kind::Rgb8, 64, 48, 3)
        .save(d.join("in.png"))
        .unwrap();
    let run = accel(d, &["blur", "in.png", "out.png", "--iters", "2"]);
    run.assert_ok();
    for word in ["kernel ", "decode ", "encode ", "total "] {
        assert!(
            run.stdout.contains(word),
            "summary lacks {word:?}: {}",
            run.stdout
        );
    }
    let run = accel(d, &["blur", "in.png", "out.png", "--iters", "2", "--json"]);
    run.assert_ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let get = |k: &str| json[k].as_f64().unwrap_or_else(|| panic!("no {k}: {json}"));
    let (kernel, decode, encode, total) = (
        get("seconds"),
        get("decode_seconds"),
        get("encode_seconds"),
        get("total_seconds"),
    );
    assert!(decode > 0.0 && encode > 0.0 && kernel > 0.0, "{json}");
    assert!(total >= decode + kernel + encode, "{json}");
}

#[test]
fn blackscholes_explain_shows_the_fusion_and_the_compiled_formula() {
    let dir = temp_dir();
    let run = accel(
        dir.path(),
        &["blackscholes", "--explain", "--options", "1000"],
    );
    run.assert_ok();
    let out = &run.stdout;
    assert!(out.contains("30 loops -> 1"), "{out}");
    let compiled = out
        .split("== the compiled formula")
        .nth(1)
        .expect("the compiled formula's section");
    let (formula, how) = compiled
        .split_once("== how it runs ==")
        .expect("the run's section");
    assert_eq!(
        formula.lines().filter(|l| l.starts_with("loop ")).count(),
        1
    );
    for op in ["log10", "erf", "exp", "sqrt", "div"] {
        assert!(formula.contains(op), "{op} missing from {formula}");
    }
    assert!(how.contains("1 chunk of 8192 options"), "{how}");
    assert!(how.contains(&format!(
        "SIMD path {}",
        accel_core::simd::SimdPath::active()
    )));
    accel(dir.path(), &["blackscholes", "--explain", "--json"])
        .assert_error(2, &["--explain", "--json"]);
}
