//! `cargo xtask embedded`: build `accel-core` for a real embedded target.
//!
//! Rustup cannot fetch extra targets on our machines, but Debian's `rustc-web`,
//! `cargo-web` and `rust-web-src` packages ship a toolchain with its standard-library
//! sources, which `-Zbuild-std` compiles for `thumbv7em-none-eabihf`. This task runs
//! that toolchain twice (without and with the `alloc` feature) in a target directory
//! of its own, so it never disturbs the rustup build, and says exactly what is
//! missing when the toolchain is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The bare-metal target we prove the core on: a Cortex-M4F/M7 with an FPU.
const TARGET: &str = "thumbv7em-none-eabihf";
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const INSTALL_HINT: &str = "install it with `apt-get install -y rustc-web cargo-web rust-web-src`";

/// Runs both embedded builds; `args` may hold `--release`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut release = false;
    for arg in args {
        match arg.as_str() {
            "--release" => release = true,
            other => return Err(format!("embedded: unknown argument `{other}`")),
        }
    }
    check_toolchain()?;
    let root = workspace_root();
    let target_dir = root.join("target").join("embedded");
    for features in [None, Some("alloc")] {
        let label = features.map_or("no_std, no alloc".to_string(), |f| format!("no_std + {f}"));
        let start = Instant::now();
        let mut cmd = Command::new(DEBIAN_CARGO);
        cmd.current_dir(&root)
            .env("RUSTC", DEBIAN_RUSTC)
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_DIR", &target_dir)
            // The rustup toolchain's cargo sets these for `cargo xtask`; they must not
            // leak into the Debian toolchain's build.
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO")
            .env_remove("RUSTDOC")
            .env_remove("RUSTFLAGS")
            .args(["build", "-p", "accel-core", "--no-default-features"])
            .args(["-Zbuild-std=core,alloc", "--target", TARGET]);
        if let Some(f) = features {
            cmd.args(["--features", f]);
        }
        if release {
            cmd.arg("--release");
        }
        eprintln!("embedded: building accel-core for {TARGET} ({label})");
        let status = cmd
            .status()
            .map_err(|e| format!("could not run {DEBIAN_CARGO}: {e}"))?;
        if !status.success() {
            return Err(format!(
                "embedded build for {TARGET} ({label}) failed: {status}"
            ));
        }
        eprintln!(
            "embedded: ok ({label}) in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn check_toolchain() -> Result<(), String> {
    for tool in [DEBIAN_RUSTC, DEBIAN_CARGO] {
        if !Path::new(tool).exists() {
            return Err(format!(
                "{tool} not found: Debian's Rust toolchain is missing; {INSTALL_HINT}"
            ));
        }
    }
    let output = Command::new(DEBIAN_RUSTC)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("could not run {DEBIAN_RUSTC}: {e}"))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let core_src = sysroot.join("lib/rustlib/src/rust/library/core");
    if !core_src.exists() {
        return Err(format!(
            "the standard library sources are missing ({} not found); {INSTALL_HINT}",
            core_src.display()
        ));
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
