//! The command's interface: help, version, `info`, the summary line and `--json`.

mod common;

use common::*;

#[test]
fn help_is_full_and_has_examples() {
    let dir = temp_dir();
    let run = accel(dir.path(), &["--help"]);
    run.assert_ok();
    for word in [
        "blur",
        "blackscholes",
        "fill",
        "info",
        "Examples:",
        "accel blur in.png out.png --iters 100 --threads 36",
    ] {
        assert!(
            run.stdout.contains(word),
            "top-level help lacks {word:?}:\n{}",
            run.stdout
        );
    }
    let run = accel(dir.path(), &["blur", "--help"]);
    run.assert_ok();
    for word in [
        "--iters",
        "--threads",
        "--no-pin",
        "--boundary",
        "zero-src",
        "--no-alpha",
        "--json",
        "--quiet",
        "--compare",
        "Examples:",
        ".npy",
    ] {
        assert!(
            run.stdout.contains(word),
            "blur help lacks {word:?}:\n{}",
            run.stdout
        );
    }
    let run = accel(dir.path(), &["fill", "--help"]);
    for word in [
        "--block-rows",
        "--block-size",
        "--block-cols",
        "--col-block-size",
        "--bands",
        "--sub-bands",
        "--repeat",
    ] {
        assert!(run.stdout.contains(word), "fill help lacks {word:?}");
    }
    let run = accel(dir.path(), &["blackscholes", "--help"]);
    assert!(run.stdout.contains("--options") && run.stdout.contains("10000000"));
}

#[test]
fn version() {
    let dir = temp_dir();
    let run = accel(dir.path(), &["--version"]);
    run.assert_ok();
    assert_eq!(
        run.stdout.trim(),
        format!("accel {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn info_reports_the_machine() {
    let dir = temp_dir();
    let run = accel(dir.path(), &["info"]);
    run.assert_ok();
    for word in ["CPUs allowed", "pinning", "SIMD", "default threads"] {
        assert!(
            run.stdout.contains(word),
            "info lacks {word:?}:\n{}",
            run.stdout
        );
    }
    let run = accel(dir.path(), &["info", "--json"]);
    run.assert_ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("info --json is JSON");
    let cpus = json["cpus"].as_array().expect("cpus list");
    assert!(!cpus.is_empty());
    assert_eq!(json["cpu_count"].as_u64(), Some(cpus.len() as u64));
    assert!(json["simd_features"].is_array());
    assert_eq!(json["default_threads"].as_u64(), Some(cpus.len() as u64));
}

#[test]
fn accel_simd_forces_the_path_of_every_workload() {
    use accel_core::simd::SimdPath;
    let dir = temp_dir();
    let d = dir.path();
    Npy::f32(&[20, 30], &[0.5; 600]).write(&d.join("in.npy"));
    let json = |run: &Run| -> serde_json::Value {
        run.assert_ok();
        serde_json::from_str(&run.stdout).expect("JSON")
    };
    for path in SimdPath::supported() {
        let env = [("ACCEL_SIMD", path.name())];
        let info = json(&accel_env(d, &["info", "--json"], &env));
        assert_eq!(info["simd"], path.name());
        assert_eq!(info["simd_forced"], path.name());
        assert_eq!(info["simd_best"], SimdPath::best().name());
        let bs = json(&accel_env(
            d,
            &["blackscholes", "--options", "999", "--json"],
            &env,
        ));
        assert_eq!(bs["simd"], path.name());
        let fill = json(&accel_env(
            d,
            &["fill", "--block-rows", "9", "--json"],
            &env,
        ));
        assert_eq!(fill["simd"], path.name());
        let blur = json(&accel_env(
            d,
            &["blur", "in.npy", "out.npy", "--json"],
            &env,
        ));
        assert_eq!(blur["simd"], path.name());
        let text = accel_env(d, &["info"], &env);
        assert!(
            text.stdout
                .contains(&format!("SIMD path:        {path} (forced by ACCEL_SIMD")),
            "{text:#?}"
        );
    }
    // A name that is no path, or a path this CPU lacks: refused by the
    // workloads (exit 2, nothing written), reported by info.
    let mut refused = vec![("sse9", "unknown SIMD path")];
    if !SimdPath::Avx512.is_supported() {
        refused.push(("avx512", "cannot run the avx512 SIMD path"));
    }
    for (value, reason) in refused {
        let env = [("ACCEL_SIMD", value)];
        accel_env(d, &["blur", "in.npy", "bad.npy"], &env)
            .assert_error(2, &["ACCEL_SIMD", &format!("'{value}'"), reason]);
        accel_env(d, &["blackscholes", "--options", "9"], &env)
            .assert_error(2, &["ACCEL_SIMD", reason]);
        let info = accel_env(d, &["info"], &env);
        info.assert_ok();
        assert!(
            info.stdout.contains("refused by the workloads"),
            "{info:#?}"
        );
    }
    assert!(!d.join("bad.npy").exists());
}

#[test]
fn default_threads_follow_the_environment() {
    let dir = temp_dir();
    let run = accel_with_threads_env(dir.path(), &["info", "--json"], Some("7"));
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["default_threads"].as_u64(), Some(7));
    assert!(
        json["default_threads_reason"]
            .as_str()
            .unwrap()
            .contains("ACCEL_NUM_THREADS")
    );
    drop(dir);
}

/// A workload refuses an ACCEL_NUM_THREADS it cannot honour (exit 2, naming the
/// value) unless --threads overrides it; `info` reports it as ignored.
#[test]
fn a_bad_thread_count_in_the_environment_is_refused() {
    let dir = temp_dir();
    let run_with =
        |value: &str, args: &[&str]| accel_with_threads_env(dir.path(), args, Some(value));
    let price = ["blackscholes", "--options", "100"];
    for value in ["abc", "0", "-2", "99999", ""] {
        run_with(value, &price).assert_error(2, &["ACCEL_NUM_THREADS", &format!("'{value}'")]);
        run_with(value, &["fill"]).assert_error(2, &["ACCEL_NUM_THREADS"]);
    }
    run_with(
        "abc",
        &["blackscholes", "--options", "100", "--threads", "2"],
    )
    .assert_ok();
    run_with("3", &price).assert_ok();
    let info = run_with("abc", &["info"]);
    info.assert_ok();
    assert!(
        info.stdout.contains("ignored ACCEL_NUM_THREADS"),
        "{info:#?}"
    );
}

#[test]
fn blur_json_has_its_fields() {
    let dir = temp_dir();
    random_image(Kind::La16, 9, 7, 11)
        .save(dir.path().join("in.png"))
        .unwrap();
    let run = accel(
        dir.path(),
        &[
            "blur",
            "in.png",
            "out.png",
            "--iters",
            "0",
            "--json",
            "--threads",
            "3",
            "--no-pin",
        ],
    );
    run.assert_ok();
    assert_eq!(run.stdout.lines().count(), 1, "one JSON object on one line");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(json["workload"], "blur");
    assert_eq!(json["width"], 9);
    assert_eq!(json["height"], 7);
    assert_eq!(json["channels"], 2);
    assert_eq!(json["iters"], 0);
    assert_eq!(json["threads"], 3);
    assert_eq!(json["pinned"], false);
    assert!(json["seconds"].as_f64().is_some_and(|s| s >= 0.0));
    assert!(
        run.stderr.is_empty(),
        "no progress bar or chatter with --json: {:?}",
        run.stderr
    );
}

#[test]
fn summary_line_and_quiet() {
    let dir = temp_dir();
    random_image(Kind::Rgb8, 10, 4, 12)
        .save(dir.path().join("in.png"))
        .unwrap();
    let run = accel(
        dir.path(),
        &[
            "blur",
            "in.png",
            "out.tiff",
            "--iters",
            "0",
            "--threads",
            "2",
        ],
    );
    run.assert_ok();
    assert_eq!(run.stdout.lines().count(), 1, "{:?}", run.stdout);
    for word in [
        "10×4",
        "8-bit RGB",
        "3 channels",
        "0 iterations",
        "unchanged",
        "out.tiff",
    ] {
        assert!(
            run.stdout.contains(word),
            "summary lacks {word:?}: {}",
            run.stdout
        );
    }
    assert!(
        run.stderr.is_empty(),
        "stderr is not a terminal: no progress bar: {:?}",
        run.stderr
    );
    let run = accel(
        dir.path(),
        &["blur", "in.png", "out2.png", "--iters", "0", "--quiet"],
    );
    run.assert_ok();
    assert!(run.stdout.is_empty() && run.stderr.is_empty());
    assert!(dir.path().join("out2.png").exists());
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_accel"))
        .arg("info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the command prints (it starts a pool first).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
