//! `cargo xtask embedded`: accel-core on a real embedded target, built and run.
//!
//! Rustup cannot fetch extra targets on our machines, but Debian's `rustc-web`,
//! `cargo-web` and `rust-web-src` packages ship a toolchain with its standard-library
//! sources, which `-Zbuild-std` compiles for `thumbv7em-none-eabihf` (Cortex-M4F/M7).
//! The task
//!
//! 1. builds `accel-core` as a library for that target, without and with the
//!    `alloc` feature;
//! 2. builds the firmware in `xtask/firmware/` (accel-core without `alloc`, no
//!    heap), links it with `rust-lld`, and runs it on an emulated Cortex-M4F
//!    (`qemu-system-arm -machine mps2-an386`) with semihosting;
//! 3. runs the same workloads on the host (`xtask/firmware/src/workload.rs` is
//!    compiled into both) and compares every checksum bit for bit;
//! 4. checks each workload's stack high-water mark against its budget
//!    ([`STACK_BUDGETS`]) and reports flash and static RAM from the ELF file.
//!
//! Any mismatch, overrun, crash or hang (over [`RUN_LIMIT`]) fails the task.
//! Everything builds in target directories of its own, so it never disturbs the
//! rustup build, and a missing tool is named with the package that provides it.

mod elf;
#[path = "../../firmware/src/workload.rs"]
#[allow(dead_code)]
mod workload;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The bare-metal target we prove the core on: a Cortex-M4F/M7 with an FPU.
const TARGET: &str = "thumbv7em-none-eabihf";
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const RUST_LLD: &str = "/usr/bin/rust-lld";
const QEMU: &str = "qemu-system-arm";
const INSTALL_HINT: &str = "install it with `apt-get install -y rustc-web cargo-web rust-web-src`";
const FIRMWARE_HINT: &str = "install them with `apt-get install -y qemu-system-arm lld-22`";
/// The longest the firmware may run under QEMU (it takes well under a second).
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// Stack budgets in bytes, by workload name prefix: what a microcontroller with
/// 8–16 KB of stack in total can afford.
pub const STACK_BUDGETS: [(&str, usize); 3] =
    [("blur_", 4096), ("blackscholes_", 6144), ("banded_", 1024)];

/// Runs the embedded checks; `args` may hold `--release` (for the library
/// builds) and `--build-only` (skip the firmware run).
pub fn run(args: &[String]) -> Result<(), String> {
    let mut release = false;
    let mut build_only = false;
    for arg in args {
        match arg.as_str() {
            "--release" => release = true,
            "--build-only" => build_only = true,
            other => return Err(format!("embedded: unknown argument `{other}`")),
        }
    }
    check_toolchain()?;
    let root = workspace_root();
    build_core(&root, release)?;
    if build_only {
        return Ok(());
    }
    check_firmware_tools()?;
    let elf_path = build_firmware(&root)?;
    let lines = run_firmware(&elf_path)?;
    let image =
        std::fs::read(&elf_path).map_err(|e| format!("cannot read {}: {e}", elf_path.display()))?;
    let sizes = elf::footprint(&image).map_err(|e| format!("{}: {e}", elf_path.display()))?;
    let results = parse_report(&lines)?;
    let host = host_checksums();
    report(&sizes, &results, &host)
}

/// A debian-toolchain cargo command for `TARGET` (environment cleaned of the
/// rustup toolchain's variables, which must not leak into it).
fn debian_cargo(dir: &Path, target_dir: &Path) -> Command {
    let mut cmd = Command::new(DEBIAN_CARGO);
    cmd.current_dir(dir)
        .env("RUSTC", DEBIAN_RUSTC)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .env_remove("RUSTDOC")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET");
    cmd
}

/// Step 1: the library, without and with `alloc`.
fn build_core(root: &Path, release: bool) -> Result<(), String> {
    let target_dir = root.join("target").join("embedded");
    for features in [None, Some("alloc")] {
        let label = features.map_or("no_std, no alloc".to_string(), |f| format!("no_std + {f}"));
        let start = Instant::now();
        let mut cmd = debian_cargo(root, &target_dir);
        cmd.args(["build", "-p", "accel-core", "--no-default-features"])
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

/// Step 2a: the firmware ELF file (release profile of `xtask/firmware`).
fn build_firmware(root: &Path) -> Result<PathBuf, String> {
    let dir = root.join("xtask").join("firmware");
    let target_dir = root.join("target").join("embedded-firmware");
    let start = Instant::now();
    eprintln!("embedded: building the firmware for {TARGET} (xtask/firmware)");
    let status = debian_cargo(&dir, &target_dir)
        .args(["build", "--release", "--locked"])
        .status()
        .map_err(|e| format!("could not run {DEBIAN_CARGO}: {e}"))?;
    if !status.success() {
        return Err(format!("firmware build failed: {status}"));
    }
    eprintln!(
        "embedded: firmware built in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(target_dir
        .join(TARGET)
        .join("release")
        .join("accel-firmware"))
}

/// Step 2b: runs the firmware under QEMU and returns its output lines.
fn run_firmware(elf_path: &Path) -> Result<Vec<String>, String> {
    eprintln!("embedded: running it on {QEMU} -machine mps2-an386 -cpu cortex-m4");
    let mut child = Command::new(QEMU)
        .args(["-machine", "mps2-an386", "-cpu", "cortex-m4", "-nographic"])
        .args(["-monitor", "none", "-serial", "none"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .arg("-kernel")
        .arg(elf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run {QEMU}: {e}; {FIRMWARE_HINT}"))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the firmware did not finish within {} s under {QEMU}",
                    RUN_LIMIT.as_secs()
                ));
            }
            Err(e) => return Err(format!("waiting for {QEMU}: {e}")),
        }
    };
    let text = reader.join().unwrap_or_default();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if let Some(panic) = lines.iter().find(|l| l.starts_with("accel-fw panic")) {
        return Err(format!("the firmware panicked: {panic}"));
    }
    if !status.success() {
        return Err(format!(
            "the firmware failed under {QEMU} ({status}); its output:\n{text}"
        ));
    }
    if !lines.iter().any(|l| l == "accel-fw done") {
        return Err(format!(
            "the firmware stopped before finishing; its output:\n{text}"
        ));
    }
    Ok(lines)
}

/// One workload's line of the firmware's report.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TargetResult {
    name: String,
    checksum: u64,
    stack: usize,
}

/// Parses `accel-fw <name> checksum=<hex> stack=<bytes>` lines.
fn parse_report(lines: &[String]) -> Result<Vec<TargetResult>, String> {
    let mut results = Vec::new();
    for line in lines {
        let Some(rest) = line.strip_prefix("accel-fw ") else {
            continue;
        };
        if rest == "done" {
            continue;
        }
        let mut words = rest.split(' ');
        let (Some(name), Some(checksum), Some(stack), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(format!("unreadable firmware line: {line:?}"));
        };
        let checksum = checksum
            .strip_prefix("checksum=")
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .ok_or_else(|| format!("unreadable checksum in firmware line: {line:?}"))?;
        let stack = stack
            .strip_prefix("stack=")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("unreadable stack figure in firmware line: {line:?}"))?;
        results.push(TargetResult {
            name: name.to_owned(),
            checksum,
            stack,
        });
    }
    Ok(results)
}

/// Step 3: the same workloads on the host, by name.
fn host_checksums() -> Vec<(String, u64)> {
    use workload::*;
    let mut plane = vec![0.0f32; BLUR_AREA];
    let mut scratch = vec![0.0f32; BLUR_SCRATCH];
    let mut out = Vec::new();
    for boundary in BOUNDARIES {
        let name = boundary.name();
        let sum = blur_reference(boundary, &mut plane, &mut scratch);
        out.push((format!("blur_reference/{name}"), sum));
        let sum = blur_blocked(boundary, &mut plane, &mut scratch);
        out.push((format!("blur_blocked/{name}"), sum));
    }
    let mut options = Box::new([[0.0f64; OPTIONS]; 5]);
    let mut put = [0.0f64; OPTIONS];
    out.push((
        "blackscholes_f64".into(),
        blackscholes_f64(&mut options, &mut put),
    ));
    let mut options = Box::new([[0.0f32; OPTIONS]; 5]);
    let mut put = [0.0f32; OPTIONS];
    out.push((
        "blackscholes_f32".into(),
        blackscholes_f32(&mut options, &mut put),
    ));
    out.push(("banded_sizes".into(), banded_sizes()));
    out
}

/// The stack budget of workload `name`.
fn budget(name: &str) -> Option<usize> {
    STACK_BUDGETS
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|&(_, bytes)| bytes)
}

/// Step 4: the table, and the verdict.
fn report(
    sizes: &elf::Footprint,
    target: &[TargetResult],
    host: &[(String, u64)],
) -> Result<(), String> {
    let kb = |b: u64| b as f64 / 1024.0;
    println!(
        "firmware ({TARGET}, QEMU mps2-an386 Cortex-M4F): flash {:.1} KiB (code {:.1} KiB, \
         constants {:.1} KiB, data {} B), static RAM {:.1} KiB",
        kb(sizes.flash()),
        kb(sizes.text),
        kb(sizes.rodata),
        sizes.data,
        kb(sizes.static_ram())
    );
    println!();
    println!("| workload | checksum on the Cortex-M4F | on the host | stack | budget |");
    println!("|---|---|---|---:|---:|");
    let mut failures = Vec::new();
    for (name, host_sum) in host {
        let Some(t) = target.iter().find(|t| &t.name == name) else {
            failures.push(format!("{name}: the firmware did not report it"));
            continue;
        };
        let limit = budget(name);
        println!(
            "| {name} | {:016x} | {host_sum:016x} | {} B | {} |",
            t.checksum,
            t.stack,
            limit.map_or("-".into(), |b| format!("{b} B"))
        );
        if t.checksum != *host_sum {
            failures.push(format!(
                "{name}: checksum {:016x} on the target, {host_sum:016x} on the host",
                t.checksum
            ));
        }
        if let Some(limit) = limit.filter(|&b| t.stack > b) {
            failures.push(format!(
                "{name}: {} B of stack, over its budget of {limit} B",
                t.stack
            ));
        }
    }
    for t in target {
        if !host.iter().any(|(name, _)| name == &t.name) {
            failures.push(format!("{}: reported by the firmware only", t.name));
        }
    }
    if failures.is_empty() {
        println!();
        println!(
            "embedded: {} workloads bit-identical to the host, every stack within budget",
            host.len()
        );
        Ok(())
    } else {
        Err(format!("embedded: {}", failures.join("; ")))
    }
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

/// The firmware also needs QEMU and a linker (`rust-lld` is Debian's symlink to
/// `lld-22`, which is a package of its own).
fn check_firmware_tools() -> Result<(), String> {
    // `metadata` follows the link: a dangling one fails here.
    if std::fs::metadata(RUST_LLD).is_err() {
        return Err(format!(
            "{RUST_LLD} is missing or dangling (it links the firmware); {FIRMWARE_HINT}"
        ));
    }
    let qemu = Command::new(QEMU).arg("--version").output();
    if !qemu.is_ok_and(|o| o.status.success()) {
        return Err(format!(
            "{QEMU} not found (it runs the firmware); {FIRMWARE_HINT}"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firmware_lines_parse_and_junk_is_refused() {
        let lines: Vec<String> = [
            "some qemu banner",
            "accel-fw blur_reference/skip checksum=00000000000000ff stack=3052",
            "accel-fw done",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            parse_report(&lines).unwrap(),
            [TargetResult {
                name: "blur_reference/skip".into(),
                checksum: 255,
                stack: 3052
            }]
        );
        for bad in [
            "accel-fw x checksum=zz stack=1",
            "accel-fw x checksum=01 stack=",
            "accel-fw x checksum=01",
        ] {
            assert!(parse_report(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn mismatches_and_overruns_fail_the_report() {
        let sizes = elf::Footprint::default();
        let host = vec![("blur_blocked/wrap".to_string(), 7u64)];
        let ok = [TargetResult {
            name: "blur_blocked/wrap".into(),
            checksum: 7,
            stack: 4096,
        }];
        assert!(report(&sizes, &ok, &host).is_ok());
        let wrong = [TargetResult {
            checksum: 8,
            ..ok[0].clone()
        }];
        assert!(
            report(&sizes, &wrong, &host)
                .unwrap_err()
                .contains("checksum")
        );
        let deep = [TargetResult {
            stack: 4097,
            ..ok[0].clone()
        }];
        assert!(report(&sizes, &deep, &host).unwrap_err().contains("budget"));
        assert!(
            report(&sizes, &[], &host)
                .unwrap_err()
                .contains("did not report")
        );
    }

    #[test]
    fn host_twin_names_every_workload_once() {
        let host = host_checksums();
        assert_eq!(host.len(), 2 * workload::BOUNDARIES.len() + 3);
        for (name, _) in &host {
            assert!(budget(name).is_some(), "{name} has no stack budget");
        }
        // The blocked executor is bit-identical to the reference on every boundary.
        for pair in host[..8].chunks(2) {
            assert_eq!(pair[0].1, pair[1].1, "{} vs {}", pair[0].0, pair[1].0);
        }
    }
}
