//! Formats and conversions (issue point 8) and the pixel density (point 2).

mod common;

use std::fs;
use std::io::Cursor;
use std::path::Path;

use common::*;
use image::{DynamicImage, ImageBuffer};

/// A float32 gray TIFF of `values` (`width × height`), as scientific tools write it.
fn gray_float_tiff(path: &Path, width: u32, height: u32, values: &[f32]) {
    let mut file = Cursor::new(Vec::new());
    tiff::encoder::TiffEncoder::new(&mut file)
        .unwrap()
        .write_image::<tiff::encoder::colortype::Gray32Float>(width, height, values)
        .unwrap();
    fs::write(path, file.into_inner()).unwrap();
}

/// The float32 samples of the first page of a TIFF file.
fn read_tiff_f32(path: &Path) -> (u32, u32, Vec<f32>) {
    let mut decoder = tiff::decoder::Decoder::new(fs::File::open(path).unwrap()).unwrap();
    let (w, h) = decoder.dimensions().unwrap();
    assert_eq!(decoder.colortype().unwrap(), tiff::ColorType::Gray(32));
    let tiff::decoder::DecodingResult::F32(v) = decoder.read_image().unwrap() else {
        panic!("not float")
    };
    (w, h, v)
}

#[test]
fn float32_gray_tiff_reads_and_writes_like_npy() {
    let dir = temp_dir();
    let d = dir.path();
    let values: Vec<f32> = (0..13 * 11)
        .map(|i| ((i * 37) % 101) as f32 / 7.0 - 3.0)
        .collect();
    gray_float_tiff(&d.join("in.tif"), 13, 11, &values);
    Npy::f32(&[11, 13], &values).write(&d.join("in.npy"));
    for (input, output) in [("in.tif", "out.tif"), ("in.npy", "out.npy")] {
        accel(
            d,
            &[
                "blur",
                input,
                output,
                "--iters",
                "5",
                "--boundary",
                "clamp",
                "-q",
            ],
        )
        .assert_ok();
    }
    let (w, h, got) = read_tiff_f32(&d.join("out.tif"));
    assert_eq!((w, h), (13, 11));
    let want = Npy::read(&d.join("out.npy")).values();
    let got: Vec<f64> = got.into_iter().map(f64::from).collect();
    assert_eq!(got, want, "the TIFF path blurs exactly as the .npy path");
    // And float gray goes from .npy to TIFF too, bit for bit at 0 iterations.
    accel(d, &["blur", "in.npy", "back.tiff", "--iters", "0", "-q"]).assert_ok();
    assert_eq!(read_tiff_f32(&d.join("back.tiff")).2, values);
}

#[test]
fn integer_npy_keeps_its_type() {
    let dir = temp_dir();
    let d = dir.path();
    let small: Vec<u16> = (0..60).map(|i| (i * 53 % 256) as u16).collect();
    let wide: Vec<u16> = (0..60).map(|i| (i * 4099 % 65536) as u16).collect();
    for (descr, values) in [("|u1", &small), ("<u2", &wide)] {
        Npy::int(descr, &[6, 10], values).write(&d.join("in.npy"));
        let floats: Vec<f32> = values.iter().map(|&v| f32::from(v)).collect();
        Npy::f32(&[6, 10], &floats).write(&d.join("f.npy"));
        accel(d, &["blur", "in.npy", "out.npy", "--iters", "3", "-q"]).assert_ok();
        accel(d, &["blur", "f.npy", "fout.npy", "--iters", "3", "-q"]).assert_ok();
        let out = Npy::read(&d.join("out.npy"));
        assert_eq!(
            (out.descr.as_str(), out.shape.clone()),
            (descr, vec![6, 10])
        );
        // The same blur as on floats, rounded to the type.
        let want: Vec<f64> = Npy::read(&d.join("fout.npy"))
            .values()
            .iter()
            .map(|v| v.round())
            .collect();
        assert_eq!(out.values(), want, "{descr}");
    }
}

#[test]
fn flatten_and_depth_convert_only_when_asked() {
    let dir = temp_dir();
    let d = dir.path();
    // Opaque red, transparent green, half-covered blue.
    let rgba =
        ImageBuffer::from_raw(3, 1, vec![255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 128]).unwrap();
    DynamicImage::ImageRgba8(rgba)
        .save(d.join("rgba.png"))
        .unwrap();
    accel(d, &["blur", "rgba.png", "out.jpg"])
        .assert_error(1, &["'out.jpg'", "8-bit RGBA", "--flatten"]);
    accel(
        d,
        &[
            "blur",
            "rgba.png",
            "flat.png",
            "--iters",
            "0",
            "--flatten",
            "-q",
        ],
    )
    .assert_ok();
    let flat = load(&d.join("flat.png")).to_rgb8();
    assert_eq!(flat.as_raw(), &[255, 0, 0, 255, 255, 255, 127, 127, 255]);
    accel(
        d,
        &[
            "blur",
            "rgba.png",
            "black.png",
            "--iters",
            "0",
            "--flatten=#000000",
            "-q",
        ],
    )
    .assert_ok();
    assert_eq!(
        load(&d.join("black.png")).to_rgb8().as_raw(),
        &[255, 0, 0, 0, 0, 0, 0, 0, 128]
    );
    accel(
        d,
        &[
            "blur",
            "rgba.png",
            "ok.jpg",
            "--iters",
            "2",
            "--flatten",
            "-q",
        ],
    )
    .assert_ok();

    let deep: Vec<u16> = vec![0, 257, 65535, 32896];
    let img = DynamicImage::ImageLuma16(ImageBuffer::from_raw(2, 2, deep).unwrap());
    img.save(d.join("deep.png")).unwrap();
    accel(d, &["blur", "deep.png", "deep.jpg"]).assert_error(1, &["16-bit gray", "--depth 8"]);
    accel(
        d,
        &[
            "blur",
            "deep.png",
            "eight.png",
            "--iters",
            "0",
            "--depth",
            "8",
            "-q",
        ],
    )
    .assert_ok();
    let eight = load(&d.join("eight.png"));
    assert_eq!(eight.color(), image::ColorType::L8);
    assert_eq!(eight.as_bytes(), &[0, 1, 255, 128]);
}

#[test]
fn quality_picks_the_lossy_encoders() {
    let dir = temp_dir();
    let d = dir.path();
    random_image(Kind::Rgb8, 64, 48, 11)
        .save(d.join("in.png"))
        .unwrap();
    let size = |name: &str| fs::metadata(d.join(name)).unwrap().len();
    accel(d, &["blur", "in.png", "q95.jpg", "--iters", "1", "-q"]).assert_ok();
    accel(
        d,
        &[
            "blur",
            "in.png",
            "q30.jpg",
            "--iters",
            "1",
            "--quality",
            "30",
            "-q",
        ],
    )
    .assert_ok();
    assert!(
        size("q30.jpg") < size("q95.jpg"),
        "quality 30 is not smaller"
    );
    accel(
        d,
        &["blur", "in.png", "lossless.webp", "--iters", "1", "-q"],
    )
    .assert_ok();
    accel(
        d,
        &[
            "blur",
            "in.png",
            "lossy.webp",
            "--iters",
            "1",
            "--quality",
            "60",
            "-q",
        ],
    )
    .assert_ok();
    let chunk = |name: &str| fs::read(d.join(name)).unwrap()[12..16].to_vec();
    assert_eq!(chunk("lossless.webp"), b"VP8L");
    assert_eq!(chunk("lossy.webp"), b"VP8 ");
    let lossy = load(&d.join("lossy.webp"));
    assert_eq!((lossy.width(), lossy.height()), (64, 48));
}

/// The `pHYs` density of a PNG file, in pixels per metre.
fn png_phys(bytes: &[u8]) -> Option<(u32, u32, u8)> {
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if &bytes[at + 4..at + 8] == b"pHYs" {
            let data = &bytes[at + 8..at + 17];
            return Some((
                u32::from_be_bytes(data[0..4].try_into().unwrap()),
                u32::from_be_bytes(data[4..8].try_into().unwrap()),
                data[8],
            ));
        }
        at += 12 + len;
    }
    None
}

#[test]
fn pixel_density_travels_to_png_jpeg_and_tiff() {
    let dir = temp_dir();
    let d = dir.path();
    let img = random_image(Kind::Rgb8, 20, 10, 12).to_rgb8();
    // 300 × 150 dpi, as pixels per metre.
    let (x, y) = (11811u32, 5906u32);
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, 20, 10);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: x,
            yppu: y,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(img.as_raw()).unwrap();
    }
    fs::write(d.join("in.png"), &png).unwrap();
    for out in ["out.png", "out.jpg", "out.tif"] {
        accel(d, &["blur", "in.png", out, "--iters", "2", "-q"]).assert_ok();
    }
    assert_eq!(
        png_phys(&fs::read(d.join("out.png")).unwrap()),
        Some((x, y, 1))
    );
    let jpeg = fs::read(d.join("out.jpg")).unwrap();
    assert_eq!(&jpeg[6..11], b"JFIF\0");
    assert_eq!(jpeg[13], 1, "dots per inch");
    assert_eq!(&jpeg[14..18], &[1, 44, 0, 150], "300 × 150 dpi");
    let mut tiff = tiff::decoder::Decoder::new(fs::File::open(d.join("out.tif")).unwrap()).unwrap();
    let resolution = |t: &mut tiff::decoder::Decoder<fs::File>, tag| match t.get_tag(tag).unwrap() {
        tiff::decoder::ifd::Value::Rational(n, d) => f64::from(n) / f64::from(d),
        other => panic!("{other:?}"),
    };
    assert_eq!(resolution(&mut tiff, tiff::tags::Tag::XResolution), 300.0);
    assert_eq!(resolution(&mut tiff, tiff::tags::Tag::YResolution), 150.01);
    // And back from the JPEG and the TIFF into PNG.
    for input in ["out.jpg", "out.tif"] {
        accel(d, &["blur", input, "again.png", "--iters", "0", "-q"]).assert_ok();
        let (px, py, unit) = png_phys(&fs::read(d.join("again.png")).unwrap()).unwrap();
        assert_eq!(unit, 1);
        assert!(
            px.abs_diff(x) <= 1 && py.abs_diff(y) <= 1,
            "{input}: {px} {py}"
        );
    }
}

#[test]
fn ignored_frames_and_options_are_warned_about() {
    let dir = temp_dir();
    let d = dir.path();
    // A two-frame APNG.
    let mut apng = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut apng, 4, 4);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_animated(2, 0).unwrap();
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[10; 16]).unwrap();
        writer.write_image_data(&[200; 16]).unwrap();
    }
    fs::write(d.join("anim.png"), &apng).unwrap();
    let run = accel(d, &["blur", "anim.png", "first.png", "--iters", "0"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stderr.contains("animated PNG: only its first frame"),
        "{run:#?}"
    );
    assert_eq!(load(&d.join("first.png")).as_bytes(), &[10; 16]);

    let mut pages = Cursor::new(Vec::new());
    {
        let mut encoder = tiff::encoder::TiffEncoder::new(&mut pages).unwrap();
        for fill in [1u8, 2] {
            encoder
                .write_image::<tiff::encoder::colortype::Gray8>(3, 3, &[fill; 9])
                .unwrap();
        }
    }
    fs::write(d.join("pages.tif"), pages.into_inner()).unwrap();
    let run = accel(d, &["blur", "pages.tif", "page.png", "--iters", "0"]);
    assert!(
        run.stderr.contains("multi-page TIFF: only its first page"),
        "{run:#?}"
    );

    random_image(Kind::Rgb8, 5, 5, 13)
        .save(d.join("rgb.png"))
        .unwrap();
    let run = accel(d, &["blur", "rgb.png", "o.png", "--no-alpha", "--flatten"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let warnings: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{run:#?}");
    assert!(warnings[0].contains("--no-alpha: 'rgb.png' (8-bit RGB) has no alpha channel"));
    assert!(warnings[1].contains("--flatten"));
}
