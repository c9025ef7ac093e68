//! Every bad input gets one line on stderr naming the file or value and the reason,
//! the right exit status (2 usage, 1 otherwise), no panic, and no output file.

mod common;

use std::fs;
use std::path::Path;

use common::*;

/// A small valid PNG in `dir/name`.
fn good_png(dir: &Path, name: &str) {
    random_image(Kind::Rgb8, 8, 6, 1)
        .save(dir.join(name))
        .unwrap();
}

/// Runs `blur <input> out.png` (plus `extra`) in `dir` and checks the failure and
/// that no output (nor temporary file) was left.
fn blur_fails(dir: &Path, input: &str, extra: &[&str], code: i32, needles: &[&str]) {
    let before = entries(dir);
    let mut args = vec!["blur", input, "out.png"];
    args.extend_from_slice(extra);
    accel(dir, &args).assert_error(code, needles);
    assert_eq!(
        entries(dir),
        before,
        "the directory changed after a failed run"
    );
}

#[test]
fn missing_unreadable_and_non_image_inputs() {
    let dir = temp_dir();
    let d = dir.path();
    blur_fails(d, "nope.png", &[], 1, &["'nope.png'", "no such file"]);
    fs::create_dir(d.join("folder.png")).unwrap();
    blur_fails(d, "folder.png", &[], 1, &["'folder.png'", "directory"]);
    fs::write(d.join("empty.png"), b"").unwrap();
    blur_fails(d, "empty.png", &[], 1, &["'empty.png'", "empty"]);
    fs::write(d.join("notes.txt"), b"hello, this is text").unwrap();
    blur_fails(
        d,
        "notes.txt",
        &[],
        1,
        &["'notes.txt'", "not a recognised image"],
    );
    fs::write(d.join("text.png"), b"hello, this is text").unwrap();
    blur_fails(d, "text.png", &[], 1, &["'text.png'", "PNG"]);
    fs::write(d.join("anim.gif"), b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap();
    blur_fails(d, "anim.gif", &[], 1, &["'anim.gif'", "not supported"]);
}

#[test]
fn unreadable_input_file() {
    let dir = temp_dir();
    let d = dir.path();
    good_png(d, "secret.png");
    let file = d.join("secret.png");
    let mut perms = fs::metadata(&file).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o000);
    fs::set_permissions(&file, perms).unwrap();
    if fs::read(&file).is_ok() {
        // Running as root: permissions do not stop us; use a file root cannot read.
        let run = accel(d, &["blur", "/proc/self/mem", "out.png"]);
        run.assert_error(1, &["'/proc/self/mem'"]);
        assert!(!d.join("out.png").exists());
    } else {
        blur_fails(
            d,
            "secret.png",
            &[],
            1,
            &["'secret.png'", "permission denied"],
        );
    }
}

#[test]
fn truncated_and_corrupt_images() {
    let dir = temp_dir();
    let d = dir.path();
    let img = random_image(Kind::Rgba8, 64, 48, 2);
    img.save(d.join("whole.png")).unwrap();
    img.save(d.join("whole.jpg")).ok(); // JPEG has no alpha: may fail, then use RGB
    random_image(Kind::Rgb8, 64, 48, 3)
        .save(d.join("whole.jpg"))
        .unwrap();
    img.save(d.join("whole.tiff")).unwrap();
    for name in ["whole.png", "whole.jpg", "whole.tiff"] {
        let bytes = fs::read(d.join(name)).unwrap();
        let cut = format!("cut.{}", name.split('.').nth(1).unwrap());
        fs::write(d.join(&cut), &bytes[..bytes.len() / 2]).unwrap();
        blur_fails(d, &cut, &[], 1, &[&format!("'{cut}'")]);
    }
    // A PNG whose image data is damaged: the chunk checksum no longer matches.
    let mut bytes = fs::read(d.join("whole.png")).unwrap();
    let idat = bytes.windows(4).position(|w| w == b"IDAT").unwrap();
    bytes[idat + 10] ^= 0xff;
    fs::write(d.join("bad.png"), &bytes).unwrap();
    blur_fails(d, "bad.png", &[], 1, &["'bad.png'", "corrupt"]);
}

#[test]
fn huge_images_are_refused_before_allocating() {
    let dir = temp_dir();
    let d = dir.path();
    fs::write(d.join("huge.png"), huge_png(1_000_000, 1_000_000)).unwrap();
    // Over the pixel limit, refused from the header...
    blur_fails(
        d,
        "huge.png",
        &[],
        1,
        &[
            "'huge.png'",
            "1000000×1000000",
            "1000000.0 megapixels",
            "limit of 180.0 megapixels",
            "--max-pixels 1000000000000",
        ],
    );
    // ...and, with the limit raised, over the memory.
    blur_fails(
        d,
        "huge.png",
        &["--max-pixels", "1000000000000"],
        1,
        &["'huge.png'", "1000000×1000000×4", "too large"],
    );
    let npy = Npy {
        descr: "<f8".into(),
        shape: vec![1_000_000, 1_000_000, 3],
        data: vec![],
    };
    fs::write(d.join("huge.npy"), npy.to_bytes()).unwrap();
    blur_fails(
        d,
        "huge.npy",
        &[],
        1,
        &["'huge.npy'", "1000000×1000000×3", "too large"],
    );
    let npy = Npy {
        descr: "<f4".into(),
        shape: vec![usize::MAX / 2, 4, 4],
        data: vec![],
    };
    fs::write(d.join("overflow.npy"), npy.to_bytes()).unwrap();
    blur_fails(d, "overflow.npy", &[], 1, &["'overflow.npy'", "too large"]);
}

#[test]
fn bad_npy_files_say_what_is_wrong() {
    let dir = temp_dir();
    let d = dir.path();
    let a = Npy::f32(&[4, 5], &[0.5; 20]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("int.npy", a.to_bytes_with("<i4", false), "'<i4'"),
        ("i8.npy", a.to_bytes_with("|i1", false), "'|i1'"),
        ("complex.npy", a.to_bytes_with("<c8", false), "'<c8'"),
        ("big.npy", a.to_bytes_with(">f4", false), "big-endian"),
        ("fortran.npy", a.to_bytes_with("<f4", true), "Fortran"),
        (
            "rank1.npy",
            Npy::f32(&[20], &[0.5; 20]).to_bytes(),
            "rank 1",
        ),
        (
            "rank4.npy",
            Npy::f32(&[1, 2, 2, 5], &[0.5; 20]).to_bytes(),
            "rank 4",
        ),
        (
            "short.npy",
            {
                let b = a.to_bytes();
                b[..b.len() - 3].to_vec()
            },
            "truncated",
        ),
        (
            "long.npy",
            {
                let mut b = a.to_bytes();
                b.extend_from_slice(&[0; 4]);
                b
            },
            "after",
        ),
        ("header.npy", a.to_bytes()[..20].to_vec(), "truncated"),
        (
            "garbage.npy",
            b"this is not numpy at all".to_vec(),
            "not a .npy file",
        ),
        (
            "version.npy",
            {
                let mut b = a.to_bytes();
                b[6] = 7;
                b
            },
            "version 7",
        ),
    ];
    for (name, bytes, needle) in cases {
        fs::write(d.join(name), bytes).unwrap();
        blur_fails(d, name, &[], 1, &[&format!("'{name}'"), needle]);
    }
}

/// float64 arrays are blurred in f64: values beyond float32's range stay
/// finite and are blurred like any other (they used to be refused, when the
/// blur went through f32 copies); the summary says the blur ran in f64.
#[test]
fn float64_values_beyond_float32_are_blurred_in_f64() {
    let dir = temp_dir();
    let d = dir.path();
    let mut values = vec![0.5; 9 * 8 * 2];
    values[2 * (8 * 4 + 3) + 1] = -1e40; // row 4, column 3, channel 1
    Npy::f64(&[9, 8, 2], &values).write(&d.join("wide.npy"));
    let args = ["blur", "wide.npy", "out.npy", "--iters", "1"];
    let run = accel(d, &args);
    run.assert_ok();
    assert!(
        run.stdout.contains("computed in f64"),
        "the summary names the precision: {}",
        run.stdout
    );
    let out = Npy::read(&d.join("out.npy")).values();
    assert!(out.iter().all(|v| v.is_finite()), "no infinities");
    // The centre tap (0.1621) of the spike lands on its own pixel.
    let spike = out[2 * (8 * 4 + 3) + 1];
    assert!(spike < -0.16e40 && spike > -0.17e40, "{spike:e}");
}

/// The wrap boundary works on images thinner than the kernel (2 pixels each
/// way): reads wrap round as often as they need; the other boundaries too.
#[test]
fn images_thinner_than_the_kernel_wrap_periodically() {
    let dir = temp_dir();
    let d = dir.path();
    let blur = |input: &str, output: &str, boundary: &str| {
        accel(
            d,
            &[
                "blur",
                input,
                output,
                "--boundary",
                boundary,
                "--iters",
                "2",
            ],
        )
    };
    for (shape, name) in [
        ([9, 1], "tall.npy"),
        ([1, 9], "wide.npy"),
        ([1, 1], "dot.npy"),
    ] {
        Npy::f32(&shape, &vec![0.5; shape[0] * shape[1]]).write(&d.join(name));
        // A constant image under wrap: every read, however many times it wraps,
        // is 0.5, so each pixel becomes 0.5 × the weight sum (0.9997) twice.
        blur(name, "out.npy", "wrap").assert_ok();
        let want = 0.5f64 * 0.9997 * 0.9997;
        for v in Npy::read(&d.join("out.npy")).values() {
            assert!((v - want).abs() < 1e-6, "{name}: {v}");
        }
        blur(name, "ok.npy", "clamp").assert_ok();
    }
    // Nothing to blur at all: no refusal.
    Npy::f32(&[9, 1, 0], &[]).write(&d.join("none.npy"));
    blur("none.npy", "ok.npy", "wrap").assert_ok();
    Npy::f32(&[2, 2], &[0.5; 4]).write(&d.join("two.npy"));
    blur("two.npy", "ok.npy", "wrap").assert_ok();
}

#[test]
fn unsupported_output_formats() {
    let dir = temp_dir();
    let d = dir.path();
    good_png(d, "in.png");
    accel(d, &["blur", "in.png", "out.gif"]).assert_error(2, &["'.gif'", "png"]);
    accel(d, &["blur", "in.png", "out"]).assert_error(2, &["'out'", "extension"]);
    // The format exists but cannot hold the image: refused before any work.
    random_image(Kind::Rgb16, 8, 6, 4)
        .save(d.join("deep.png"))
        .unwrap();
    fs::write(d.join("keep.jpg"), b"existing").unwrap();
    accel(d, &["blur", "deep.png", "keep.jpg"])
        .assert_error(1, &["'keep.jpg'", "JPEG", "16-bit RGB", ".png"]);
    assert_eq!(fs::read(d.join("keep.jpg")).unwrap(), b"existing");
    let floats = Npy::f32(&[3, 4], &[0.25; 12]);
    fs::write(d.join("f.npy"), floats.to_bytes()).unwrap();
    accel(d, &["blur", "f.npy", "f.png"]).assert_error(1, &["'f.png'", "32-bit float", ".npy"]);
    assert_eq!(entries(d), vec!["deep.png", "f.npy", "in.png", "keep.jpg"]);
}

#[test]
fn bad_numbers_are_usage_errors_naming_the_value() {
    let dir = temp_dir();
    let d = dir.path();
    good_png(d, "in.png");
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["blur", "in.png", "out.png", "--threads", "0"],
            &["'0'", "--threads", "at least 1"],
        ),
        (
            &["blur", "in.png", "out.png", "--threads", "-2"],
            &["'-2'", "--threads", "negative"],
        ),
        (
            &["blur", "in.png", "out.png", "--threads", "two"],
            &["'two'", "--threads", "not a number"],
        ),
        (
            &["blur", "in.png", "out.png", "--iters", "-1"],
            &["'-1'", "--iters", "negative"],
        ),
        (
            &["blur", "in.png", "out.png", "--iters", "1.5"],
            &["'1.5'", "--iters", "whole number"],
        ),
        (
            &["blur", "in.png", "out.png", "--iters", "lots"],
            &["'lots'", "--iters"],
        ),
        (
            &["blur", "in.png", "out.png", "--boundary", "mirror"],
            &["'mirror'", "--boundary", "zero-src"],
        ),
        (
            &["blackscholes", "--options", "-5"],
            &["'-5'", "--options", "negative"],
        ),
        (&["blackscholes", "--options", "0"], &["'0'", "--options"]),
        (
            &["blackscholes", "--options", "1e6"],
            &["'1e6'", "--options"],
        ),
        (&["blackscholes", "--threads", "0"], &["'0'", "--threads"]),
        (
            &["fill", "--bands", "1"],
            &["'1'", "--bands", "two integers"],
        ),
        (&["fill", "--bands", "a,b"], &["'a,b'", "--bands"]),
        (&["fill", "--bands", "1,2,3"], &["'1,2,3'", "--bands"]),
        (&["fill", "--sub-bands", "1;2"], &["'1;2'", "--sub-bands"]),
        (
            &["fill", "--block-rows", "-3"],
            &["'-3'", "--block-rows", "negative"],
        ),
        (&["fill", "--block-size", "0"], &["'0'", "--block-size"]),
        (&["fill", "--repeat", "x"], &["'x'", "--repeat"]),
        (&["fill", "--threads", "0"], &["'0'", "--threads"]),
        (
            &["blur", "in.png"],
            &["'in.png'", "no output given", "--out-dir"],
        ),
        (
            &["blur", "in.png", "out.png", "--itres", "3"],
            &["'--itres'", "--iters"],
        ),
        (&["frobnicate"], &["'frobnicate'"]),
        (&[], &["subcommand"]),
    ];
    for (args, needles) in cases {
        accel(d, args).assert_error(2, needles);
    }
    assert_eq!(entries(d), vec!["in.png"]);
}

#[test]
fn output_directory_missing_or_not_writable() {
    let dir = temp_dir();
    let d = dir.path();
    good_png(d, "in.png");
    accel(d, &["blur", "in.png", "missing/out.png"])
        .assert_error(1, &["'missing/out.png'", "'missing'"]);
    fs::write(d.join("file"), b"x").unwrap();
    accel(d, &["blur", "in.png", "file/out.png"])
        .assert_error(1, &["'file/out.png'", "not a directory"]);
    fs::create_dir(d.join("out.png")).unwrap();
    accel(d, &["blur", "in.png", "out.png"]).assert_error(1, &["'out.png'", "is a directory"]);

    let locked = d.join("locked");
    fs::create_dir(&locked).unwrap();
    let mut perms = fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    fs::set_permissions(&locked, perms).unwrap();
    let root_can_write = fs::write(locked.join("probe"), b"").is_ok();
    let _ = fs::remove_file(locked.join("probe"));
    // As root, mode bits do not stop writes; /sys is read-only even for root.
    let target = if root_can_write {
        "/sys/accel-out.png".to_string()
    } else {
        "locked/out.png".to_string()
    };
    accel(d, &["blur", "in.png", &target])
        .assert_error(1, &[&format!("'{target}'"), "cannot create a file"]);
    assert!(!Path::new("/sys/accel-out.png").exists());
    assert!(entries(&locked).is_empty());
}

#[test]
fn failed_runs_leave_an_existing_output_untouched() {
    let dir = temp_dir();
    let d = dir.path();
    fs::write(d.join("out.png"), b"precious").unwrap();
    fs::write(d.join("broken.png"), b"\x89PNG\r\n\x1a\nrubbish").unwrap();
    accel(d, &["blur", "broken.png", "out.png"]).assert_error(1, &["'broken.png'"]);
    accel(d, &["blur", "absent.png", "out.png"]).assert_error(1, &["'absent.png'"]);
    accel(d, &["blur", "broken.png", "out.png", "--threads", "0"]).assert_error(2, &["'0'"]);
    assert_eq!(fs::read(d.join("out.png")).unwrap(), b"precious");
    assert_eq!(entries(d), vec!["broken.png", "out.png"]);
}

#[test]
fn failing_in_place_leaves_the_input_untouched() {
    let dir = temp_dir();
    let d = dir.path();
    random_image(Kind::Rgba8, 8, 6, 5)
        .save(d.join("pic.png"))
        .unwrap();
    let before = fs::read(d.join("pic.png")).unwrap();
    // Same path, but the PNG cannot be written as... itself named .jpg: use a
    // format that cannot hold RGBA, writing over a JPEG-named copy of the input.
    fs::write(d.join("pic.jpg"), &before).unwrap();
    accel(d, &["blur", "pic.jpg", "pic.jpg"]).assert_error(1, &["'pic.jpg'", "RGBA"]);
    assert_eq!(fs::read(d.join("pic.jpg")).unwrap(), before);
    assert_eq!(entries(d), vec!["pic.jpg", "pic.png"]);
}

/// A long blur of `in.png` in `dir`, its signal dispositions set to default (or
/// SIGHUP to ignored, as `nohup` does), killed when dropped.
#[cfg(unix)]
struct LongBlur(std::process::Child);

#[cfg(unix)]
impl LongBlur {
    /// A blur that holds its temporary output file for a minute (a test-build
    /// hook), so a signal finds it there; returns once the file exists.
    fn start(dir: &Path, ignore_hangups: bool) -> Self {
        Self::spawn(dir, ignore_hangups, true)
    }

    /// A blur of minutes, still decoding or blurring (no temporary file yet)
    /// when this returns.
    fn start_blurring(dir: &Path) -> Self {
        Self::spawn(dir, false, false)
    }

    fn spawn(dir: &Path, ignore_hangups: bool, hold_output: bool) -> Self {
        use std::os::unix::process::CommandExt;
        use std::process::{Command, Stdio};
        use std::time::{Duration, Instant};
        let mut command = Command::new(env!("CARGO_BIN_EXE_accel"));
        let iters = if hold_output { "1" } else { "100000000" };
        command
            .args(["blur", "in.png", "out.png", "--iters", iters])
            .args(["--threads", "1", "--quiet"])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if hold_output {
            command.env("ACCEL_TEST_HOLD_OUTPUT_MS", "60000");
        }
        // SAFETY: between fork and exec the closure only calls `signal`, which is
        // async-signal-safe, and allocates nothing.
        unsafe {
            command.pre_exec(move || {
                // The test harness may itself run with signals ignored (`nohup`,
                // a background job); the child must start from the defaults.
                for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                    libc::signal(s, libc::SIG_DFL);
                }
                if ignore_hangups {
                    libc::signal(libc::SIGHUP, libc::SIG_IGN);
                }
                Ok(())
            });
        }
        let blur = LongBlur(command.spawn().expect("the accel binary runs"));
        if !hold_output {
            // Decoding 8×6 pixels takes microseconds: by now it blurs.
            std::thread::sleep(Duration::from_millis(300));
            return blur;
        }
        // Wait until the temporary output exists.
        let start = Instant::now();
        while !entries(dir).iter().any(|e| e.starts_with(".accel-")) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no temporary file appeared: {:?}",
                entries(dir)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        blur
    }

    fn signal(&self, signal: i32) {
        let pid = libc::pid_t::try_from(self.0.id()).unwrap();
        // SAFETY: sends a signal to our own child, which has not been waited for
        // (so the pid is still its).
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }

    fn wait(&mut self) -> std::process::ExitStatus {
        self.0.wait().expect("the child ends")
    }
}

#[cfg(unix)]
impl Drop for LongBlur {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An interrupt (Ctrl-C, `kill`, a closed terminal) in the middle of a blur ends the
/// process by that signal and leaves no temporary file next to the output.
#[cfg(unix)]
#[test]
fn interrupted_runs_leave_no_temporary_file() {
    use std::os::unix::process::ExitStatusExt;
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let dir = temp_dir();
        let d = dir.path();
        good_png(d, "in.png");
        let mut blur = LongBlur::start(d, false);
        blur.signal(signal);
        let status = blur.wait();
        assert_eq!(status.signal(), Some(signal), "signal {signal}: {status:?}");
        assert_eq!(entries(d), ["in.png"], "signal {signal} left files behind");
    }
}

/// A run killed outright (SIGKILL: no handler runs) while it decodes or blurs
/// leaves nothing behind: the temporary file is created only once the result is
/// ready.
#[cfg(unix)]
#[test]
fn a_run_killed_while_blurring_leaves_no_file() {
    let dir = temp_dir();
    let d = dir.path();
    good_png(d, "in.png");
    let mut blur = LongBlur::start_blurring(d);
    assert!(blur.0.try_wait().unwrap().is_none(), "the blur ended early");
    blur.signal(libc::SIGKILL);
    blur.wait();
    assert_eq!(entries(d), ["in.png"], "a killed blur left files behind");
}

/// Over the pixel limit an image is refused from its header, naming the limit
/// and the option; the option lets it through; `.npy` arrays are exempt.
#[test]
fn decompression_bombs_are_refused_unless_allowed() {
    let dir = temp_dir();
    let d = dir.path();
    // 225 megapixels declared by a 69-byte file: refused by default.
    fs::write(d.join("bomb.png"), huge_png(15_000, 15_000)).unwrap();
    blur_fails(
        d,
        "bomb.png",
        &[],
        1,
        &[
            "'bomb.png'",
            "15000×15000 has 225.0 megapixels",
            "limit of 180.0 megapixels",
            "decompression bombs",
            "--max-pixels 225000000",
        ],
    );
    // Allowed, it is decoded, and fails as the truncated file it is.
    let run = accel(
        d,
        &["blur", "bomb.png", "out.png", "--max-pixels", "225000000"],
    );
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(!run.stderr.contains("megapixels"), "{run:#?}");
    // A small limit applies to small images too.
    good_png(d, "small.png");
    blur_fails(
        d,
        "small.png",
        &["--max-pixels", "47"],
        1,
        &["8×6", "--max-pixels 48"],
    );
    accel(d, &["blur", "small.png", "out.png", "--max-pixels", "48"]).assert_ok();
    // .npy arrays are exempt: their size is the file's.
    Npy::f32(&[8, 6], &[0.5; 48]).write(&d.join("small.npy"));
    accel(d, &["blur", "small.npy", "out.npy", "--max-pixels", "1"]).assert_ok();
    // The limit must be a pixel count.
    accel(d, &["blur", "small.png", "o.png", "--max-pixels", "0"])
        .assert_error(2, &["'0'", "--max-pixels", "at least 1"]);
}

/// Like `cp`, an existing output the caller may not write is refused, even in a
/// directory that would let a rename replace it; the file is left untouched.
/// Run as root, the check drops to the unprivileged user `nobody` (uid 65534).
#[cfg(unix)]
#[test]
fn write_protected_outputs_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    use std::process::Command;
    let dir = temp_dir();
    let d = dir.path();
    let mode = |p: &Path, m: u32| fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
    // A world-writable, non-sticky directory the other user can reach.
    mode(d, 0o777);
    let bin = d.join("accel");
    fs::copy(env!("CARGO_BIN_EXE_accel"), &bin).unwrap();
    mode(&bin, 0o755);
    good_png(d, "in.png");
    mode(&d.join("in.png"), 0o644);
    fs::write(d.join("ro.png"), b"keep me").unwrap();
    mode(&d.join("ro.png"), 0o444);
    fs::write(d.join("theirs.png"), b"keep me").unwrap();
    mode(&d.join("theirs.png"), 0o644);
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let run_as_user = |output: &str| {
        let mut command = Command::new(&bin);
        command.args(["blur", "in.png", output]).current_dir(d);
        if root {
            command.uid(65534).gid(65534);
        }
        command.output().expect("accel runs")
    };
    let mut cases = vec!["ro.png"];
    if root {
        // Root owns it, 644: the other user may not write it.
        cases.push("theirs.png");
    }
    for output in cases {
        let out = run_as_user(output);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{output}: {stderr}");
        assert!(
            stderr.contains(&format!("'{output}'")) && stderr.contains("not writable by you"),
            "{output}: {stderr}"
        );
        assert_eq!(
            fs::read(d.join(output)).unwrap(),
            b"keep me",
            "{output} changed"
        );
    }
    // A new file in the same directory is fine.
    let out = run_as_user("new.png");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!entries(d).iter().any(|e| e.starts_with(".accel-")));
}

/// A hang-up the run inherited as ignored (`nohup accel …`) stays ignored.
#[cfg(unix)]
#[test]
fn an_ignored_hangup_stays_ignored() {
    use std::os::unix::process::ExitStatusExt;
    let dir = temp_dir();
    let d = dir.path();
    good_png(d, "in.png");
    let mut blur = LongBlur::start(d, true);
    blur.signal(libc::SIGHUP);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        blur.0.try_wait().unwrap().is_none(),
        "the blur died of an ignored SIGHUP"
    );
    blur.signal(libc::SIGTERM);
    assert_eq!(blur.wait().signal(), Some(libc::SIGTERM));
    assert_eq!(entries(d), ["in.png"]);
}

/// A directory as the output is named as one, whatever its name looks like.
#[test]
fn a_directory_as_output_is_named_as_one() {
    let dir = temp_dir();
    let d = dir.path();
    good_png(d, "in.png");
    fs::create_dir(d.join("results")).unwrap();
    fs::create_dir(d.join("looks.png")).unwrap();
    for output in ["results", "looks.png", "."] {
        accel(d, &["blur", "in.png", output]).assert_error(
            1,
            &[&format!("output '{output}'"), "is a directory", "out.png"],
        );
    }
}

/// A blur whose summary cannot be printed (stdout is a full device) still
/// succeeds: the image was written, and stderr says the summary is lost. A
/// workload whose summary *is* its output still fails.
#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_does_not_fail_a_written_blur() {
    use std::process::{Command, Stdio};
    let dir = temp_dir();
    let d = dir.path();
    good_png(d, "in.png");
    let full = || {
        Stdio::from(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
    };
    let out = Command::new(env!("CARGO_BIN_EXE_accel"))
        .args(["blur", "in.png", "out.png", "--iters", "1"])
        .current_dir(d)
        .stdout(full())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("out.png"),
        "{stderr}"
    );
    assert!(d.join("out.png").exists());
    let out = Command::new(env!("CARGO_BIN_EXE_accel"))
        .args(["blackscholes", "--options", "1000"])
        .current_dir(d)
        .stdout(full())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
