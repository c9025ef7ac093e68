//! `-`, pipes and devices as inputs and outputs (issue point 7), and several
//! files in one run (point 9).

mod common;

use std::fs;
use std::path::Path;

use common::*;

/// A small RGB PNG's bytes, also written to `dir/name`.
fn png_file(dir: &Path, name: &str, seed: u64) -> Vec<u8> {
    let img = random_image(Kind::Rgb8, 23, 17, seed);
    img.save(dir.join(name)).unwrap();
    fs::read(dir.join(name)).unwrap()
}

#[test]
fn stdin_to_stdout_gives_the_same_bytes_as_files() {
    let dir = temp_dir();
    let d = dir.path();
    let png = png_file(d, "in.png", 1);
    accel(d, &["blur", "in.png", "file.png", "--iters", "3", "-q"]).assert_ok();
    let (run, bytes) = accel_piped(
        d,
        &["blur", "-", "-", "--format", "png", "--iters", "3"],
        &png,
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(bytes, fs::read(d.join("file.png")).unwrap());
    // The summary goes to stderr, out of the image's way.
    assert!(run.stderr.starts_with("blur - (PNG): 23×17"), "{run:#?}");
    // A format is sniffed from content on input; --format also names it for a file.
    let npy = Npy::f32(&[6, 7], &[0.25; 42]);
    let (run, _) = accel_piped(d, &["blur", "-", "from_stdin.npy"], &npy.to_bytes());
    run.assert_ok();
    assert_eq!(Npy::read(&d.join("from_stdin.npy")).shape, vec![6, 7]);
    accel(
        d,
        &["blur", "in.png", "-o", "noext", "--format", "jpeg", "-q"],
    )
    .assert_ok();
    assert_eq!(&fs::read(d.join("noext")).unwrap()[..2], [0xFF, 0xD8]);
    assert_eq!(
        entries(d),
        vec!["file.png", "from_stdin.npy", "in.png", "noext"]
    );
}

#[test]
fn streams_without_a_format_or_content_are_refused() {
    let dir = temp_dir();
    let d = dir.path();
    let png = png_file(d, "in.png", 2);
    let (run, _) = accel_piped(d, &["blur", "-", "-"], &png);
    run.assert_error(2, &["standard output", "--format"]);
    let (run, _) = accel_piped(d, &["blur", "-", "out.png"], b"");
    run.assert_error(1, &["'-'", "stream is empty"]);
    let (run, _) = accel_piped(d, &["blur", "-", "out.png"], b"not an image at all");
    run.assert_error(1, &["'-'", "not a recognised image"]);
    accel(d, &["blur", "in.png", "out.png", "--format", "jpeg"])
        .assert_error(2, &["--format", "conflicts with the extension .png"]);
    assert_eq!(entries(d), vec!["in.png"]);
}

#[test]
fn a_fifo_and_dev_stdin_are_read_as_streams() {
    let dir = temp_dir();
    let d = dir.path();
    let png = png_file(d, "in.png", 3);
    accel(d, &["blur", "in.png", "file.png", "--iters", "2", "-q"]).assert_ok();
    let want = fs::read(d.join("file.png")).unwrap();

    let (run, _) = accel_piped(
        d,
        &["blur", "/dev/stdin", "dev.png", "--iters", "2", "-q"],
        &png,
    );
    run.assert_ok();
    assert_eq!(fs::read(d.join("dev.png")).unwrap(), want);

    let fifo = d.join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let writer = {
        let (fifo, png) = (fifo.clone(), png.clone());
        std::thread::spawn(move || fs::write(fifo, png).unwrap())
    };
    accel(d, &["blur", "pipe", "fifo.png", "--iters", "2", "-q"]).assert_ok();
    writer.join().unwrap();
    assert_eq!(fs::read(d.join("fifo.png")).unwrap(), want);
}

#[test]
fn a_batch_writes_each_file_as_a_single_run_would() {
    let dir = temp_dir();
    let d = dir.path();
    png_file(d, "a.png", 4);
    random_image(Kind::L16, 9, 31, 5)
        .save(d.join("b.tiff"))
        .unwrap();
    Npy::f32(&[5, 8, 2], &(0..80).map(|i| i as f32).collect::<Vec<_>>()).write(&d.join("c.npy"));
    for name in ["a.png", "b.tiff", "c.npy"] {
        accel(
            d,
            &[
                "blur",
                name,
                &format!("single_{name}"),
                "--iters",
                "4",
                "-q",
            ],
        )
        .assert_ok();
    }
    let run = accel(
        d,
        &[
            "blur",
            "a.png",
            "b.tiff",
            "c.npy",
            "--out-dir",
            "out/new",
            "--iters",
            "4",
        ],
    );
    run.assert_ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{run:#?}");
    for (line, name) in lines.iter().zip(["a.png", "b.tiff", "c.npy"]) {
        assert!(
            line.starts_with(&format!("blur out/new/{name} (")),
            "{line}"
        );
        assert_eq!(
            fs::read(d.join("out/new").join(name)).unwrap(),
            fs::read(d.join(format!("single_{name}"))).unwrap(),
            "{name}"
        );
    }
    // --json: one object per file.
    let run = accel(
        d,
        &[
            "blur",
            "a.png",
            "c.npy",
            "--out-dir",
            "j",
            "--format",
            "npy",
            "--json",
        ],
    );
    run.assert_ok();
    let outputs: Vec<String> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["output"].to_string())
        .collect();
    assert_eq!(outputs, vec!["\"j/a.npy\"", "\"j/c.npy\""]);
}

#[test]
fn a_failed_file_is_reported_and_the_others_are_written() {
    let dir = temp_dir();
    let d = dir.path();
    png_file(d, "a.png", 6);
    fs::write(d.join("broken.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    png_file(d, "z.png", 7);
    let run = accel(
        d,
        &["blur", "a.png", "broken.png", "z.png", "--out-dir", "out"],
    );
    assert_eq!(run.code, Some(1), "{run:#?}");
    let errors: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{run:#?}");
    assert!(
        errors[0].starts_with("accel: error: input 'broken.png'"),
        "{run:#?}"
    );
    assert!(errors[1].contains("1 of 3 files failed"), "{run:#?}");
    assert_eq!(run.stdout.lines().count(), 2, "{run:#?}");
    assert_eq!(entries(&d.join("out")), vec!["a.png", "z.png"]);
    // Names that collide are refused before anything is read or written.
    fs::create_dir(d.join("sub")).unwrap();
    png_file(&d.join("sub"), "a.png", 8);
    accel(d, &["blur", "a.png", "sub/a.png", "--out-dir", "two"])
        .assert_error(2, &["'a.png' and 'sub/a.png'"]);
    assert!(!d.join("two").exists());
}
