//! `accel blur` with iterations, through the real binary: a constant image stays
//! constant in the interior (darkened by the 0.9997 weight sum, computed here from
//! the weight table), and the output equals `accel_kernels::blur` called directly on
//! the same planes, for every boundary mode, thread count, colour depth and `.npy`
//! dtype.

mod common;

use accel_core::ir::stencil::Shape;
use accel_kernels::blur::{Blur, Boundary};
use accel_pool::{Pool, PoolConfig};
use common::*;
use image::{DynamicImage, ImageBuffer};

/// The 5×5 weights of ARCHITECTURE.md §5.3, written out here (not taken from the kernels).
const WEIGHTS: [[f64; 5]; 5] = [
    [0.0030, 0.0133, 0.0219, 0.0133, 0.0030],
    [0.0133, 0.0596, 0.0983, 0.0596, 0.0133],
    [0.0219, 0.0983, 0.1621, 0.0983, 0.0219],
    [0.0133, 0.0596, 0.0983, 0.0596, 0.0133],
    [0.0030, 0.0133, 0.0219, 0.0133, 0.0030],
];

fn weight_sum() -> f64 {
    WEIGHTS.iter().flatten().sum()
}

/// Distance of `(x, y)` from the nearest edge of a `w × h` plane.
fn edge_distance(x: usize, y: usize, w: usize, h: usize) -> usize {
    x.min(y).min(w - 1 - x).min(h - 1 - y)
}

#[test]
fn weight_table_sums_to_0_9997() {
    assert!((weight_sum() - 0.9997).abs() < 1e-12);
}

#[test]
fn constant_npy_darkens_by_the_weight_sum_in_the_interior() {
    let dir = temp_dir();
    let (w, h, c, iters) = (40usize, 30usize, 0.75f32, 5usize);
    Npy::f32(&[h, w], &vec![c; w * h]).write(&pb(dir.path(), "in.npy"));
    // After k iterations a pixel at least 2 + 2k from every edge has seen only the
    // constant: its value is c × S^k. Nearer the kept 2-pixel frame it lies between.
    let deep = f64::from(c) * weight_sum().powi(iters as i32);
    for threads in ["1", "2", "3", "5"] {
        let iters_text = iters.to_string();
        accel(
            dir.path(),
            &[
                "blur",
                "in.npy",
                "out.npy",
                "--iters",
                &iters_text,
                "--threads",
                threads,
                "--quiet",
            ],
        )
        .assert_ok();
        let out = Npy::read(&pb(dir.path(), "out.npy"));
        assert_eq!(out.shape, vec![h, w]);
        let values = out.values();
        let mut interior_bits = None;
        for y in 0..h {
            for x in 0..w {
                let v = values[y * w + x];
                let d = edge_distance(x, y, w, h);
                if d < 2 {
                    assert_eq!(v, f64::from(c), "frame pixel ({x},{y}) changed");
                } else if d >= 2 + 2 * iters {
                    assert!(
                        ((v - deep) / deep).abs() < 1e-5,
                        "({x},{y}) is {v}, expected {deep} ({threads} threads)"
                    );
                    let bits = v.to_bits();
                    assert_eq!(
                        *interior_bits.get_or_insert(bits),
                        bits,
                        "interior not constant"
                    );
                } else {
                    assert!(
                        v >= deep * (1.0 - 1e-5) && v <= f64::from(c) * (1.0 + 1e-6),
                        "({x},{y}) = {v} outside [{deep}, {c}]"
                    );
                }
            }
        }
        assert!(
            interior_bits.is_some(),
            "the test image has a deep interior"
        );
    }
}

#[test]
fn constant_rgb_png_stays_constant_after_rounding() {
    let dir = temp_dir();
    let (w, h, iters) = (60u32, 50u32, 10usize);
    let colour = [250u8, 201, 230]; // each darkens by more than half a level
    let raw: Vec<u8> = (0..w * h).flat_map(|_| colour).collect();
    DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, raw).unwrap())
        .save(pb(dir.path(), "in.png"))
        .unwrap();
    let iters_text = iters.to_string();
    accel(
        dir.path(),
        &[
            "blur",
            "in.png",
            "out.png",
            "--iters",
            &iters_text,
            "--quiet",
        ],
    )
    .assert_ok();
    let out = load(&pb(dir.path(), "out.png"));
    assert_eq!(out.color(), image::ColorType::Rgb8, "colour type kept");
    let samples = samples(&out);
    let factor = weight_sum().powi(iters as i32);
    for (channel, &value) in colour.iter().enumerate() {
        let exact = f64::from(value) * factor;
        // Rounding is only predictable away from a half: the chosen colours are.
        assert!(
            (exact.fract() - 0.5).abs() > 0.05,
            "bad test colour {value}"
        );
        let want = exact.round();
        let mut deep_pixels = 0;
        for y in 0..h as usize {
            for x in 0..w as usize {
                let got = samples[(y * w as usize + x) * 3 + channel];
                let d = edge_distance(x, y, w as usize, h as usize);
                if d < 2 {
                    assert_eq!(got, f64::from(value), "frame ({x},{y}) channel {channel}");
                } else if d >= 2 + 2 * iters {
                    assert_eq!(got, want, "({x},{y}) channel {channel}");
                    deep_pixels += 1;
                }
            }
        }
        assert!(deep_pixels > 0, "the test image has a deep interior");
    }
}

/// The planes of an `H×W×C` (or `H×W`) f32 array, one `Vec` per channel.
fn planes_of(values: &[f32], pixels: usize, channels: usize) -> Vec<Vec<f32>> {
    (0..channels)
        .map(|c| (0..pixels).map(|i| values[i * channels + c]).collect())
        .collect()
}

fn boundary(name: &str) -> Boundary {
    name.parse().expect("a boundary name")
}

#[test]
fn npy_blur_equals_the_kernel_called_directly() {
    let dir = temp_dir();
    let pool = Pool::new(PoolConfig::new().threads(2)).unwrap();
    // 160×120×3: large enough for the kernel's team path (not run inline).
    for (w, h, c, iters, seed) in [
        (160usize, 120usize, 3usize, 9usize, 1u64),
        (7, 6, 2, 4, 2),
        // Wider than tall: a tall, narrow image is blurred transposed (tested
        // on its own below).
        (11, 3, 1, 2, 3),
    ] {
        let mut rng = Rng::new(seed);
        let values: Vec<f32> = (0..w * h * c).map(|_| rng.unit()).collect();
        let shape: Vec<usize> = if c == 1 { vec![h, w] } else { vec![h, w, c] };
        Npy::f32(&shape, &values).write(&pb(dir.path(), "in.npy"));
        for mode in ["skip", "zero-src", "wrap", "clamp"] {
            for threads in ["1", "3", "9"] {
                let iters_text = iters.to_string();
                accel(
                    dir.path(),
                    &[
                        "blur",
                        "in.npy",
                        "out.npy",
                        "--iters",
                        &iters_text,
                        "--boundary",
                        mode,
                        "--threads",
                        threads,
                        "--quiet",
                    ],
                )
                .assert_ok();
                let out = Npy::read(&pb(dir.path(), "out.npy"));
                assert_eq!(out.descr, "<f4");
                assert_eq!(out.shape, shape);
                let got = out.values();
                let blur = Blur::gaussian().iterations(iters).boundary(boundary(mode));
                for (ch, mut plane) in planes_of(&values, w * h, c).into_iter().enumerate() {
                    let mut serial = plane.clone();
                    blur.run(&pool, &mut [&mut plane], Shape::new(w, h))
                        .unwrap();
                    blur.run_serial(&mut serial, Shape::new(w, h)).unwrap();
                    assert_eq!(plane, serial, "the kernel disagrees with its reference");
                    for (i, want) in plane.iter().enumerate() {
                        assert_eq!(
                            got[i * c + ch].to_bits(),
                            f64::from(*want).to_bits(),
                            "{w}×{h}×{c} {mode} {threads} threads: pixel {i} channel {ch}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn float64_npy_is_blurred_in_f64_like_the_kernel() {
    let dir = temp_dir();
    let (w, h, iters) = (23usize, 17usize, 6usize);
    let mut rng = Rng::new(9);
    let values: Vec<f64> = (0..w * h)
        .map(|_| f64::from(rng.unit()) * 3.0 - 1.0)
        .collect();
    Npy::f64(&[h, w], &values).write(&pb(dir.path(), "in.npy"));
    accel(
        dir.path(),
        &[
            "blur",
            "in.npy",
            "out.npy",
            "--iters",
            "6",
            "--boundary",
            "clamp",
            "--threads",
            "2",
        ],
    )
    .assert_ok();
    let out = Npy::read(&pb(dir.path(), "out.npy"));
    assert_eq!(out.descr, "<f8", "dtype kept");
    let mut plane = values.clone();
    let blur = Blur::gaussian().iterations(iters).boundary(Boundary::Clamp);
    blur.run_serial(&mut plane, Shape::new(w, h)).unwrap();
    let want: Vec<u64> = plane.iter().map(|v| v.to_bits()).collect();
    let got: Vec<u64> = out.values().iter().map(|v| v.to_bits()).collect();
    assert_eq!(got, want);
}

#[test]
fn png16_blur_equals_the_kernel_rounded_and_alpha_can_be_kept() {
    let dir = temp_dir();
    let (w, h, iters) = (41u32, 29u32, 3usize);
    let img = random_image(Kind::Rgba16, w, h, 21);
    img.save(pb(dir.path(), "in.png")).unwrap();
    let input = samples(&img);
    let (wu, hu) = (w as usize, h as usize);
    let opts = Blur::gaussian()
        .iterations(iters)
        .boundary(Boundary::ZeroSrc);
    for (no_alpha, straight) in [(false, true), (true, true), (false, false), (true, false)] {
        let mut args = vec![
            "blur",
            "in.png",
            "out.png",
            "--iters",
            "3",
            "--boundary",
            "zero-src",
            "--threads",
            "3",
            "--quiet",
        ];
        if no_alpha {
            args.push("--no-alpha");
        }
        if straight {
            args.push("--straight-alpha");
        }
        accel(dir.path(), &args).assert_ok();
        let out = load(&pb(dir.path(), "out.png"));
        assert_eq!(out.color(), image::ColorType::Rgba16, "colour type kept");
        let got = samples(&out);
        let plane_of =
            |ch: usize| -> Vec<f32> { (0..wu * hu).map(|i| input[i * 4 + ch] as f32).collect() };
        // The alpha plane first: the colours are divided by its blurred value.
        let mut alpha = plane_of(3);
        if !no_alpha {
            opts.run_serial(&mut alpha, Shape::new(wu, hu)).unwrap();
        }
        let original_alpha = plane_of(3);
        for ch in 0..4 {
            let mut plane = plane_of(ch);
            if ch == 3 {
                plane = alpha.clone();
            } else if straight {
                opts.run_serial(&mut plane, Shape::new(wu, hu)).unwrap();
            } else {
                // Premultiplied: c·(a/65535), blurred, then ·65535/a' (0 where a' = 0).
                for (c, &a) in plane.iter_mut().zip(&original_alpha) {
                    *c *= a / 65535.0;
                }
                opts.run_serial(&mut plane, Shape::new(wu, hu)).unwrap();
                for (c, &a) in plane.iter_mut().zip(&alpha) {
                    *c = if a > 0.0 {
                        (*c * 65535.0 / a).clamp(0.0, 65535.0)
                    } else {
                        0.0
                    };
                }
            }
            for (i, v) in plane.iter().enumerate() {
                let want = f64::from(v.round().clamp(0.0, 65535.0));
                assert_eq!(
                    got[i * 4 + ch],
                    want,
                    "no_alpha={no_alpha} straight={straight} pixel {i} channel {ch}"
                );
            }
        }
    }
}

/// Premultiplied by default: a transparent red next to an opaque blue does not
/// turn the blue pixels reddish; `--straight-alpha` blurs the stored colours
/// (the red bleeds, as it used to).
#[test]
fn transparent_colour_does_not_bleed_into_visible_pixels() {
    let dir = temp_dir();
    let d = dir.path();
    let (w, h) = (16u32, 8u32);
    let img = image::RgbaImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            image::Rgba([255, 0, 0, 0]) // transparent red
        } else {
            image::Rgba([0, 0, 255, 255]) // opaque blue
        }
    });
    img.save(d.join("in.png")).unwrap();
    let args = [
        "blur",
        "in.png",
        "out.png",
        "--iters",
        "3",
        "--boundary",
        "clamp",
        "-q",
    ];
    // The largest red of a visible pixel after blurring with `args`.
    let max_red_visible = |args: &[&str]| {
        accel(d, args).assert_ok();
        let out = image::open(d.join("out.png")).unwrap().to_rgba8();
        out.pixels()
            .filter(|p| p[3] > 0)
            .map(|p| p[0])
            .max()
            .unwrap()
    };
    assert_eq!(
        max_red_visible(&args),
        0,
        "transparent red bled into visible pixels"
    );
    let mut straight = args.to_vec();
    straight.push("--straight-alpha");
    let max_red_visible = max_red_visible(&straight);
    assert!(
        max_red_visible > 50,
        "--straight-alpha should blur the stored red: {max_red_visible}"
    );
    let run = accel(d, &["blur", "in.png", "out.png", "--iters", "1"]);
    assert!(run.stdout.contains("premultiplied alpha"), "{}", run.stdout);
}

#[test]
fn compare_reports_zero_error_against_the_serial_reference() {
    let dir = temp_dir();
    random_image(Kind::Rgb8, 64, 48, 5)
        .save(pb(dir.path(), "in.png"))
        .unwrap();
    let run = accel(
        dir.path(),
        &[
            "blur",
            "in.png",
            "out.png",
            "--iters",
            "12",
            "--compare",
            "--json",
            "--threads",
            "2",
        ],
    );
    run.assert_ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(json["iters"], 12);
    assert_eq!(json["blurred_channels"], 3);
    for field in [
        "serial_seconds",
        "speedup",
        "max_abs_err",
        "max_rel_err",
        "seconds",
    ] {
        assert!(json[field].as_f64().is_some(), "{field} missing: {json}");
    }
    // The kernel promises the reference's bits.
    assert_eq!(json["max_abs_err"], 0.0);
    assert_eq!(json["max_rel_err"], 0.0);

    let run = accel(
        dir.path(),
        &["blur", "in.png", "out.png", "--iters", "2", "--compare"],
    );
    run.assert_ok();
    assert!(
        run.stdout.contains("serial") && run.stdout.contains("speed-up"),
        "{}",
        run.stdout
    );
}

#[test]
fn more_threads_than_cpus_run_unpinned_and_say_so() {
    let dir = temp_dir();
    random_image(Kind::L8, 30, 20, 6)
        .save(pb(dir.path(), "in.png"))
        .unwrap();
    let cpus = accel_pool::allowed_cpus().len();
    let threads = (cpus + 3).to_string();
    let run = accel(
        dir.path(),
        &[
            "blur",
            "in.png",
            "out.png",
            "--iters",
            "3",
            "--threads",
            &threads,
            "--json",
        ],
    );
    run.assert_ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(json["threads"].as_u64(), Some(cpus as u64 + 3));
    assert_eq!(json["pinned"], false);
    assert!(
        json["pinning"].as_str().unwrap().contains("unpinned"),
        "{json}"
    );
    let run = accel(
        dir.path(),
        &[
            "blur",
            "in.png",
            "out.png",
            "--iters",
            "3",
            "--threads",
            &threads,
        ],
    );
    run.assert_ok();
    assert!(run.stdout.contains("unpinned"), "{}", run.stdout);

    let too_many = (accel_pool::MAX_THREADS + 1).to_string();
    accel(
        dir.path(),
        &["blur", "in.png", "new.png", "--threads", &too_many],
    )
    .assert_error(2, &["--threads", &too_many]);
    assert!(!dir.path().join("new.png").exists());
}

/// A tall, narrow image is blurred transposed (rows of 5 pixels cost the row
/// kernels more than the pixels): the result is exactly the kernel's on the
/// transposed plane, turned back, and the same blur as on the plane as given
/// up to the order of the sums.
#[test]
fn tall_narrow_images_are_blurred_transposed() {
    let dir = temp_dir();
    let (w, h) = (5usize, 400usize);
    let mut rng = Rng::new(77);
    let values: Vec<f32> = (0..w * h).map(|_| rng.unit()).collect();
    Npy::f32(&[h, w], &values).write(&pb(dir.path(), "tall.npy"));
    for mode in ["skip", "clamp", "wrap", "zero-src"] {
        let args = [
            "blur",
            "tall.npy",
            "out.npy",
            "--iters",
            "7",
            "--boundary",
            mode,
            "-q",
        ];
        accel(dir.path(), &args).assert_ok();
        let got = Npy::read(&pb(dir.path(), "out.npy")).values();
        let opts = Blur::gaussian().iterations(7).boundary(boundary(mode));
        // The kernel on the transposed plane, turned back: bit for bit.
        let mut transposed: Vec<f32> = (0..w * h).map(|i| values[(i % h) * w + i / h]).collect();
        opts.run_serial(&mut transposed, Shape::new(h, w)).unwrap();
        for (i, &g) in got.iter().enumerate() {
            let (y, x) = (i / w, i % w);
            assert_eq!(g, f64::from(transposed[x * h + y]), "{mode}: pixel {i}");
        }
        // The same blur on the plane as given, to rounding.
        let mut direct = values.clone();
        opts.run_serial(&mut direct, Shape::new(w, h)).unwrap();
        for (&g, &d) in got.iter().zip(&direct) {
            assert!((g - f64::from(d)).abs() < 1e-5, "{mode}: {g} vs {d}");
        }
    }
}
