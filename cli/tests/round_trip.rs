//! `accel blur --iters 0` through the real binary is lossless for every colour type,
//! bit depth and format, and `.npy` files come back bit for bit.

mod common;

use std::fs;

use common::*;
use image::DynamicImage;

fn zero_iters(dir: &std::path::Path, input: &str, output: &str) {
    accel(dir, &["blur", input, output, "--iters", "0", "--quiet"]).assert_ok();
}

fn assert_same_image(a: &DynamicImage, b: &DynamicImage, what: &str) {
    assert_eq!(a.color(), b.color(), "{what}: colour type changed");
    assert_eq!(
        (a.width(), a.height()),
        (b.width(), b.height()),
        "{what}: size changed"
    );
    let (sa, sb) = (samples(a), samples(b));
    assert!(
        sa.iter().zip(&sb).all(|(x, y)| x.to_bits() == y.to_bits()),
        "{what}: samples changed"
    );
}

#[test]
fn png_every_colour_type_and_bit_depth_is_lossless() {
    let dir = temp_dir();
    for (i, kind) in INTEGER_KINDS.into_iter().enumerate() {
        // Odd sizes, including ones smaller than the 5×5 stencil.
        for (w, h) in [(13, 7), (1, 1), (3, 9)] {
            let img = random_image(kind, w, h, i as u64 * 31 + u64::from(w));
            let input = path(dir.path(), "in.png");
            img.save(&input).unwrap();
            zero_iters(dir.path(), "in.png", "out.png");
            assert_same_image(
                &img,
                &load(&pb(dir.path(), "out.png")),
                &format!("{kind:?} {w}×{h} PNG→PNG"),
            );
        }
    }
}

#[test]
fn png_to_npy_keeps_sample_values_and_shape() {
    let dir = temp_dir();
    for (i, kind) in INTEGER_KINDS.into_iter().enumerate() {
        let img = random_image(kind, 6, 4, 100 + i as u64);
        img.save(path(dir.path(), "in.png")).unwrap();
        zero_iters(dir.path(), "in.png", "out.npy");
        let npy = Npy::read(&pb(dir.path(), "out.npy"));
        let channels = usize::from(img.color().channel_count());
        let want_shape = if channels == 1 {
            vec![4, 6]
        } else {
            vec![4, 6, channels]
        };
        assert_eq!(npy.shape, want_shape, "{kind:?}");
        // The sample type is kept: 8-bit as uint8, 16-bit as uint16.
        let sixteen = img.color().bytes_per_pixel() / img.color().channel_count() == 2;
        let want = if sixteen { "<u2" } else { "|u1" };
        assert_eq!(npy.descr, want, "{kind:?}");
        assert_eq!(npy.values(), samples(&img), "{kind:?}");
    }
}

#[test]
fn tiff_keeps_integer_and_float_types() {
    let dir = temp_dir();
    let kinds = [
        Kind::L8,
        Kind::Rgb8,
        Kind::Rgba8,
        Kind::L16,
        Kind::Rgb16,
        Kind::Rgba16,
        Kind::Rgb32F,
        Kind::Rgba32F,
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let img = random_image(kind, 9, 5, 200 + i as u64);
        img.save(path(dir.path(), "in.tiff")).unwrap();
        zero_iters(dir.path(), "in.tiff", "out.tif");
        assert_same_image(
            &img,
            &load(&pb(dir.path(), "out.tif")),
            &format!("{kind:?} TIFF→TIFF"),
        );
        if !matches!(kind, Kind::Rgb32F | Kind::Rgba32F) {
            // Across formats too: TIFF → PNG → TIFF.
            zero_iters(dir.path(), "in.tiff", "mid.png");
            zero_iters(dir.path(), "mid.png", "back.tiff");
            assert_same_image(
                &img,
                &load(&pb(dir.path(), "back.tiff")),
                &format!("{kind:?} TIFF→PNG→TIFF"),
            );
        }
    }
}

#[test]
fn float_tiff_to_npy_is_bit_exact() {
    let dir = temp_dir();
    let img = random_image(Kind::Rgba32F, 5, 3, 7);
    img.save(path(dir.path(), "in.tiff")).unwrap();
    zero_iters(dir.path(), "in.tiff", "out.npy");
    let npy = Npy::read(&pb(dir.path(), "out.npy"));
    assert_eq!(npy.shape, vec![3, 5, 4]);
    let want: Vec<u8> = img
        .as_rgba32f()
        .unwrap()
        .as_raw()
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert_eq!(npy.data, want);
}

#[test]
fn bmp_and_webp_keep_8_bit_colour() {
    let dir = temp_dir();
    for (i, kind) in [Kind::Rgb8, Kind::Rgba8].into_iter().enumerate() {
        let img = random_image(kind, 11, 6, 300 + i as u64);
        img.save(path(dir.path(), "in.png")).unwrap();
        for ext in ["bmp", "webp"] {
            let out = format!("out.{ext}");
            zero_iters(dir.path(), "in.png", &out);
            assert_same_image(
                &img,
                &load(&pb(dir.path(), &out)),
                &format!("{kind:?} PNG→{ext}"),
            );
            zero_iters(dir.path(), &out, "back.png");
            assert_same_image(
                &img,
                &load(&pb(dir.path(), "back.png")),
                &format!("{kind:?} {ext}→PNG"),
            );
        }
    }
}

#[test]
fn jpeg_is_copied_unchanged_and_decodes_exactly() {
    let dir = temp_dir();
    for (i, kind) in [Kind::L8, Kind::Rgb8].into_iter().enumerate() {
        let img = random_image(kind, 16, 8, 400 + i as u64);
        img.save(path(dir.path(), "in.jpg")).unwrap();
        zero_iters(dir.path(), "in.jpg", "out.jpeg");
        assert_eq!(
            fs::read(pb(dir.path(), "in.jpg")).unwrap(),
            fs::read(pb(dir.path(), "out.jpeg")).unwrap()
        );
        // JPEG → PNG keeps exactly the decoded pixels.
        zero_iters(dir.path(), "in.jpg", "out.png");
        assert_same_image(
            &load(&pb(dir.path(), "in.jpg")),
            &load(&pb(dir.path(), "out.png")),
            "JPEG→PNG",
        );
    }
}

/// Bit patterns a lossy path would change: NaN payloads, signed zero, subnormals, infinities.
fn special_f32(n: usize) -> Vec<f32> {
    let specials = [
        0x7fc0_1234u32,
        0xffa0_0001,
        0x8000_0000,
        0x0000_0001,
        0x7f80_0000,
        0xff80_0000,
        0x3eaa_aaab,
    ];
    let mut rng = Rng::new(9);
    (0..n)
        .map(|i| {
            if i % 3 == 0 {
                f32::from_bits(specials[i / 3 % specials.len()])
            } else {
                f32::from_bits(rng.next() as u32)
            }
        })
        .collect()
}

fn special_f64(n: usize) -> Vec<f64> {
    let specials = [
        0x7ff8_0000_0000_1234u64,
        0x8000_0000_0000_0000,
        0x0000_0000_0000_0001,
        0xfff0_0000_0000_0000,
    ];
    let mut rng = Rng::new(10);
    (0..n)
        .map(|i| {
            if i % 3 == 0 {
                f64::from_bits(specials[i / 3 % specials.len()])
            } else {
                f64::from_bits(rng.next())
            }
        })
        .collect()
}

#[test]
fn npy_round_trip_is_bit_exact() {
    let dir = temp_dir();
    let cases = [
        Npy::f32(&[7, 5], &special_f32(35)),
        Npy::f32(&[4, 6, 3], &special_f32(72)),
        Npy::f32(&[2, 3, 1], &special_f32(6)),
        Npy::f32(&[0, 4], &[]),
        Npy::f64(&[3, 8], &special_f64(24)),
        Npy::f64(&[5, 2, 4], &special_f64(40)),
    ];
    for case in cases {
        fs::write(pb(dir.path(), "in.npy"), case.to_bytes()).unwrap();
        zero_iters(dir.path(), "in.npy", "out.npy");
        let back = Npy::read(&pb(dir.path(), "out.npy"));
        assert_eq!(back, case, "shape {:?} {}", case.shape, case.descr);
    }
}

/// An array without pixels (any zero dimension) has nothing to blur: every shape is
/// written back as it came, with any iteration count, and the summary says so.
#[test]
fn empty_arrays_are_copied_through_at_any_iteration_count() {
    let dir = temp_dir();
    let d = dir.path();
    for shape in [&[0, 5][..], &[5, 0], &[0, 0], &[4, 4, 0], &[0, 3, 2]] {
        let case = Npy::f32(shape, &[]);
        fs::write(pb(d, "in.npy"), case.to_bytes()).unwrap();
        let run = accel(d, &["blur", "in.npy", "out.npy", "--iters", "3"]);
        run.assert_ok();
        assert!(
            run.stdout.contains("nothing to blur"),
            "{shape:?}: {run:#?}"
        );
        assert_eq!(Npy::read(&pb(d, "out.npy")), case, "shape {shape:?}");
    }
}

#[test]
fn output_may_be_the_input() {
    let dir = temp_dir();
    let img = random_image(Kind::Rgba16, 8, 8, 500);
    img.save(path(dir.path(), "same.png")).unwrap();
    zero_iters(dir.path(), "same.png", "same.png");
    assert_same_image(&img, &load(&pb(dir.path(), "same.png")), "in place");
    assert_eq!(
        entries(dir.path()),
        vec!["same.png".to_string()],
        "no temporary file may remain"
    );
}

/// `jpeg` with an EXIF APP1 segment right after SOI whose one tag is
/// Orientation = `orientation`.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes()); // first IFD right after the header
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]); // padding of the 4-byte value field
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A JPEG stored sideways with EXIF Orientation 6 (rotate 90° clockwise to
/// display) comes out upright, with or without blurring: the same size, and at
/// 0 iterations the same pixels, as the decoded image turned by hand.
#[test]
fn exif_orientation_is_applied_on_decode() {
    let dir = temp_dir();
    let d = dir.path();
    let stored = random_image(Kind::Rgb8, 16, 8, 5);
    let mut jpeg = Vec::new();
    stored
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    fs::write(d.join("sideways.jpg"), with_exif_orientation(&jpeg, 6)).unwrap();
    let decoded = image::load_from_memory(&jpeg).unwrap();
    zero_iters(d, "sideways.jpg", "upright.png");
    assert_same_image(
        &load(&d.join("upright.png")),
        &decoded.rotate90(),
        "orientation 6",
    );
    accel(
        d,
        &[
            "blur",
            "sideways.jpg",
            "blurred.png",
            "--iters",
            "2",
            "--quiet",
        ],
    )
    .assert_ok();
    let blurred = load(&d.join("blurred.png"));
    assert_eq!(
        (blurred.width(), blurred.height()),
        (8, 16),
        "blurred output not upright"
    );
}

/// The input's ICC colour profile is written back into PNG, JPEG and WebP
/// output, blurred or not; TIFF output says on stderr that it is dropped.
#[test]
fn icc_profiles_travel_to_formats_that_hold_them() {
    use image::{ImageDecoder, ImageEncoder};
    let dir = temp_dir();
    let d = dir.path();
    let img = random_image(Kind::Rgb8, 12, 10, 9).to_rgb8();
    // Any bytes: the formats store a profile without interpreting it.
    let profile: Vec<u8> = (0..300u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut png = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
    encoder.set_icc_profile(profile.clone()).unwrap();
    encoder
        .write_image(img.as_raw(), 12, 10, image::ExtendedColorType::Rgb8)
        .unwrap();
    fs::write(d.join("in.png"), &png).unwrap();
    for (output, iters) in [("out.png", "2"), ("out.jpg", "2"), ("out.webp", "0")] {
        accel(d, &["blur", "in.png", output, "--iters", iters, "-q"]).assert_ok();
        let mut decoder = image::ImageReader::open(d.join(output))
            .unwrap()
            .with_guessed_format()
            .unwrap()
            .into_decoder()
            .unwrap();
        assert_eq!(
            decoder.icc_profile().unwrap(),
            Some(profile.clone()),
            "{output}"
        );
    }
    let run = accel(d, &["blur", "in.png", "out.tif", "--iters", "1", "-q"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stderr.contains("warning") && run.stderr.contains("ICC colour profile"),
        "{run:#?}"
    );
}
