//! Image files through the `image` crate: PNG, JPEG, TIFF, BMP and WebP.
//!
//! Reading goes in two steps so that a huge image is refused before anything big is
//! allocated: the decoder is built (which reads only the header), its dimensions and
//! colour type are checked against available memory, and only then is the image
//! decoded. The decoded colour type (gray, gray+alpha, RGB, RGBA in 8 or 16 bits,
//! RGB/RGBA float) becomes the raster's [`Layout`] and is written back unchanged;
//! a format that cannot hold it is refused with the formats that can.

use std::io::{Seek, Write};

use image::codecs::bmp::BmpEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{
    ColorType, DynamicImage, ImageDecoder, ImageEncoder, ImageError, ImageFormat, ImageReader,
    Limits,
};

use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;

use crate::convert::{Background, Conversions, Depth};
use crate::density::{self, Density};
use crate::input::{Input, InputReader};
use crate::memory;
use crate::raster::{self, Interleaved, Layout, Planes, Raster, SampleType};
use crate::tiff_file;

/// The image formats this build reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// Portable Network Graphics.
    Png,
    /// JPEG (8-bit gray or RGB, lossy).
    Jpeg,
    /// TIFF.
    Tiff,
    /// Windows bitmap.
    Bmp,
    /// WebP (written lossless).
    WebP,
}

/// Quality used when writing JPEG: the output is re-encoded, so keep it high.
pub const JPEG_QUALITY: u8 = 95;

impl ImageKind {
    /// Every kind, in the order they are listed to users.
    pub const ALL: [ImageKind; 5] = [
        ImageKind::Png,
        ImageKind::Jpeg,
        ImageKind::Tiff,
        ImageKind::Bmp,
        ImageKind::WebP,
    ];

    /// The name users know it by.
    pub fn name(self) -> &'static str {
        match self {
            ImageKind::Png => "PNG",
            ImageKind::Jpeg => "JPEG",
            ImageKind::Tiff => "TIFF",
            ImageKind::Bmp => "BMP",
            ImageKind::WebP => "WebP",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
            ImageKind::Tiff => "tiff",
            ImageKind::Bmp => "bmp",
            ImageKind::WebP => "webp",
        }
    }

    fn from_image_format(format: ImageFormat) -> Option<Self> {
        match format {
            ImageFormat::Png => Some(ImageKind::Png),
            ImageFormat::Jpeg => Some(ImageKind::Jpeg),
            ImageFormat::Tiff => Some(ImageKind::Tiff),
            ImageFormat::Bmp => Some(ImageKind::Bmp),
            ImageFormat::WebP => Some(ImageKind::WebP),
            _ => None,
        }
    }

    /// The colour types this format stores and reads back as the same type.
    fn writable(self) -> &'static [ColorType] {
        use ColorType::*;
        match self {
            ImageKind::Png => &[L8, La8, Rgb8, Rgba8, L16, La16, Rgb16, Rgba16],
            ImageKind::Jpeg => &[L8, Rgb8],
            ImageKind::Tiff => &[L8, Rgb8, Rgba8, L16, Rgb16, Rgba16, Rgb32F, Rgba32F],
            // BMP and WebP store gray as colour and read it back as RGB(A): the
            // colour type would change, so gray is refused for them.
            ImageKind::Bmp | ImageKind::WebP => &[Rgb8, Rgba8],
        }
    }
}

/// The `image` colour type for a layout, if there is one.
fn colour_type(layout: &Layout) -> Option<ColorType> {
    use ColorType::*;
    Some(match (layout.sample, layout.channels) {
        (SampleType::U8, 1) => L8,
        (SampleType::U8, 2) => La8,
        (SampleType::U8, 3) => Rgb8,
        (SampleType::U8, 4) => Rgba8,
        (SampleType::U16, 1) => L16,
        (SampleType::U16, 2) => La16,
        (SampleType::U16, 3) => Rgb16,
        (SampleType::U16, 4) => Rgba16,
        (SampleType::F32, 3) => Rgb32F,
        (SampleType::F32, 4) => Rgba32F,
        _ => return None,
    })
}

/// Checks that `kind` can store `layout` exactly; the error names the formats that can.
pub fn check_writable(layout: &Layout, kind: ImageKind) -> Result<(), String> {
    if stores(kind, layout) {
        return Ok(());
    }
    let mut able: Vec<&str> = ImageKind::ALL
        .iter()
        .filter(|&&k| stores(k, layout))
        .map(|k| k.extension())
        .collect();
    able.push("npy");
    // The conversions that would make `kind` able to store it.
    let flatten = Conversions {
        flatten: Some(Background { rgb: [1.0; 3] }),
        depth: None,
    };
    let depth = Conversions {
        flatten: None,
        depth: Some(Depth::Eight),
    };
    let both = Conversions {
        depth: depth.depth,
        ..flatten
    };
    let hint = [
        (flatten, "--flatten"),
        (depth, "--depth 8"),
        (both, "--flatten --depth 8"),
    ]
    .into_iter()
    .find(|(c, _)| c.layout(*layout) != *layout && stores(kind, &c.layout(*layout)))
    .map(|(_, options)| format!(", or convert with {options}"))
    .unwrap_or_default();
    Err(format!(
        "{} cannot store {} samples without changing them; write .{} instead{hint}",
        kind.name(),
        layout,
        able.join(" or .")
    ))
}

/// Whether `kind` stores samples of `layout` exactly.
fn stores(kind: ImageKind, layout: &Layout) -> bool {
    // The `image` crate has no colour type for float32 gray; the TIFF writer
    // (the `tiff` crate directly) stores it.
    let gray_float = layout.sample == SampleType::F32 && layout.channels == 1;
    colour_type(layout).is_some_and(|c| kind.writable().contains(&c))
        || (gray_float && kind == ImageKind::Tiff)
}

/// A decoded image file.
#[derive(Debug)]
pub struct Decoded {
    /// The pixels and what they are.
    pub raster: Raster,
    /// The format the file was in.
    pub kind: ImageKind,
    /// Things the user should know that do not stop the run (one line each).
    pub warnings: Vec<String>,
}

/// Reads and decodes an image, refusing it before decoding if it has more than
/// `max_pixels` pixels or cannot fit in memory. `reader` reads `input` from its
/// first byte.
pub fn read(input: &Input, reader: InputReader<'_>, max_pixels: u64) -> Result<Decoded, String> {
    let io = |e: std::io::Error| crate::error::describe_io(&e);
    let mut reader = ImageReader::new(reader).with_guessed_format().map_err(io)?;
    let Some(format) = reader.format() else {
        return Err("not a recognised image (PNG, JPEG, TIFF, BMP, WebP) or .npy file".to_string());
    };
    let Some(kind) = ImageKind::from_image_format(format) else {
        return Err(format!(
            "{format:?} images are not supported (supported: PNG, JPEG, TIFF, BMP, WebP, .npy)"
        ));
    };
    let mut warnings = Vec::new();
    let mut density = None;
    match kind {
        ImageKind::Jpeg => {
            let bytes = input.bytes().map_err(io)?;
            check_jpeg_complete(&bytes)?;
            density = density::read_jpeg(&bytes);
        }
        ImageKind::Png => {
            density = density::read_png(input.reader().map_err(io)?);
            let png = PngDecoder::new(input.reader().map_err(io)?);
            if png.and_then(|d| d.is_apng()).unwrap_or(false) {
                warnings.push("is an animated PNG: only its first frame is blurred".to_string());
            }
        }
        ImageKind::WebP => {
            let webp = WebPDecoder::new(input.reader().map_err(io)?);
            if webp.is_ok_and(|d| d.has_animation()) {
                warnings.push("is an animated WebP: only its first frame is blurred".to_string());
            }
        }
        ImageKind::Tiff => {
            if let Ok(facts) = tiff_file::inspect(input.reader().map_err(io)?) {
                density = facts.density;
                if facts.more_pages {
                    warnings
                        .push("is a multi-page TIFF: only its first page is blurred".to_string());
                }
                if facts.gray_float {
                    let mut raster =
                        tiff_file::read_gray_float(input.reader().map_err(io)?, |w, h| {
                            check_pixel_limit(w, h, max_pixels)?;
                            check_memory(w, h, 1, u128::from(w) * u128::from(h) * 4)
                        })?;
                    raster.density = density;
                    return Ok(Decoded {
                        raster,
                        kind,
                        warnings,
                    });
                }
            }
        }
        ImageKind::Bmp => {}
    }
    let mut limits = Limits::no_limits();
    limits.max_alloc = memory::available_bytes();
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| describe_image_error(&e, kind))?;
    // The EXIF orientation (JPEG, TIFF, WebP, PNG eXIf): the pixels are turned
    // upright below and written without the tag, so the output looks the same in
    // every viewer whatever the iteration count. An unreadable tag counts as none.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let (width, height) = decoder.dimensions();
    check_pixel_limit(width, height, max_pixels)?;
    let colour = decoder.color_type();
    let channels = usize::from(colour.channel_count());
    check_memory(width, height, channels, u128::from(decoder.total_bytes()))?;
    // The colour profile travels with the pixels (an unreadable one counts as none).
    let icc_profile = decoder.icc_profile().ok().flatten();
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| describe_image_error(&e, kind))?;
    image.apply_orientation(orientation);
    let mut raster =
        to_raster(image).ok_or_else(|| format!("unsupported colour type {colour:?}"))?;
    raster.icc_profile = icc_profile;
    // A quarter turn swaps the density's axes with the pixels'.
    raster.density = density.map(|d| {
        if swaps_axes(orientation) {
            Density {
                x: d.y,
                y: d.x,
                ..d
            }
        } else {
            d
        }
    });
    Ok(Decoded {
        raster,
        kind,
        warnings,
    })
}

/// Whether applying `orientation` turns the image a quarter turn.
fn swaps_axes(orientation: image::metadata::Orientation) -> bool {
    use image::metadata::Orientation::*;
    matches!(
        orientation,
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH
    )
}

/// Refuses an image whose planes, the kernel's scratch and the decoder's
/// `decoded` bytes do not fit in the memory available. The scratch is counted
/// as two planes: one thread sweeping an edge-reading boundary holds the second
/// buffer and a padded copy (a slight over-count for the frame-free others).
fn check_memory(width: u32, height: u32, channels: usize, decoded: u128) -> Result<(), String> {
    let planes = memory::product(&[u128::from(width), u128::from(height), channels as u128, 4]);
    let scratch = memory::product(&[u128::from(width), u128::from(height), 4, 2]);
    let needed = planes
        .zip(scratch)
        .and_then(|(p, s)| p.checked_add(s)?.checked_add(decoded));
    memory::ensure_fits(needed).map_err(|e| format!("image {width}×{height}×{channels} {e}"))
}

/// Refuses a `width × height` image over `max_pixels` pixels, naming the limit
/// and the option that raises it (checked on the header, before any decoding).
fn check_pixel_limit(width: u32, height: u32, max_pixels: u64) -> Result<(), String> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels <= max_pixels {
        return Ok(());
    }
    let mega = |n: u64| n as f64 / 1e6;
    Err(format!(
        "image {width}×{height} has {:.1} megapixels, more than the limit of {:.1} \
         megapixels that guards against decompression bombs; if the file is trusted, pass \
         --max-pixels {pixels} (or more)",
        mega(pixels),
        mega(max_pixels)
    ))
}

/// The JPEG decoder fills a cut-off image with grey instead of failing, so look for
/// the end-of-image marker ourselves. Inside entropy-coded data every 0xFF is
/// followed by 0x00 or a restart marker, so `FF D9` after the first start-of-scan
/// (`FF DA`) can only be the real end of the image.
fn check_jpeg_complete(bytes: &[u8]) -> Result<(), String> {
    let scan = bytes.windows(2).position(|w| w == [0xFF, 0xDA]);
    let complete = scan.is_some_and(|start| bytes[start..].windows(2).any(|w| w == [0xFF, 0xD9]));
    if complete {
        Ok(())
    } else {
        Err("JPEG file is truncated (no end-of-image marker)".to_string())
    }
}

/// Explains a decoding error in one plain sentence.
fn describe_image_error(err: &ImageError, kind: ImageKind) -> String {
    match err {
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("{} file is truncated", kind.name())
        }
        ImageError::IoError(e) => crate::error::describe_io(e),
        ImageError::Decoding(e) => format!(
            "corrupt or truncated {} file ({})",
            kind.name(),
            plain_chunk_names(&e.to_string())
        ),
        ImageError::Unsupported(e) => format!("unsupported {} variant ({e})", kind.name()),
        ImageError::Limits(_) => format!(
            "{} image is too large for the available memory",
            kind.name()
        ),
        other => format!("cannot decode {} file ({other})", kind.name()),
    }
}

/// The png decoder names a chunk by its Rust debug form, `ChunkType { type: IDAT,
/// critical: true, … }`; a user needs only `IDAT`.
fn plain_chunk_names(message: &str) -> String {
    const OPEN: &str = "ChunkType { type: ";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let (Some(comma), Some(close)) = (after.find(','), after.find('}')) else {
            break;
        };
        if comma > close {
            break;
        }
        out.push_str(&rest[..start]);
        out.push_str(after[..comma].trim());
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Splits a decoded image into planes, keeping its colour type.
fn to_raster(image: DynamicImage) -> Option<Raster> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let colour = image.color();
    let channels = usize::from(colour.channel_count());
    let (sample, planes) = match &image {
        DynamicImage::ImageLuma8(b) => (
            SampleType::U8,
            raster::deinterleave(b.as_raw(), 1, f32::from),
        ),
        DynamicImage::ImageLumaA8(b) => (
            SampleType::U8,
            raster::deinterleave(b.as_raw(), 2, f32::from),
        ),
        DynamicImage::ImageRgb8(b) => (
            SampleType::U8,
            raster::deinterleave(b.as_raw(), 3, f32::from),
        ),
        DynamicImage::ImageRgba8(b) => (
            SampleType::U8,
            raster::deinterleave(b.as_raw(), 4, f32::from),
        ),
        DynamicImage::ImageLuma16(b) => (
            SampleType::U16,
            raster::deinterleave(b.as_raw(), 1, f32::from),
        ),
        DynamicImage::ImageLumaA16(b) => (
            SampleType::U16,
            raster::deinterleave(b.as_raw(), 2, f32::from),
        ),
        DynamicImage::ImageRgb16(b) => (
            SampleType::U16,
            raster::deinterleave(b.as_raw(), 3, f32::from),
        ),
        DynamicImage::ImageRgba16(b) => (
            SampleType::U16,
            raster::deinterleave(b.as_raw(), 4, f32::from),
        ),
        DynamicImage::ImageRgb32F(b) => {
            (SampleType::F32, raster::deinterleave(b.as_raw(), 3, |v| v))
        }
        DynamicImage::ImageRgba32F(b) => {
            (SampleType::F32, raster::deinterleave(b.as_raw(), 4, |v| v))
        }
        _ => return None,
    };
    Some(Raster {
        width,
        height,
        layout: Layout {
            sample,
            channels,
            alpha: colour.has_alpha(),
            flat: channels == 1,
        },
        planes: Planes::F32(planes),
        icc_profile: None,
        density: None,
    })
}

/// Choices about how an image is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EncodeOptions {
    /// JPEG and WebP quality, 1 to 100; `None` is JPEG 95 and lossless WebP.
    /// WebP at 100 is lossless too.
    pub quality: Option<u8>,
}

/// Encodes `raster` as `kind` into `writer`, in the raster's own colour type,
/// with its colour profile and density where the format holds them. Integer
/// samples are rounded to nearest and clamped to their range.
pub fn write<W: Write + Seek>(
    raster: &Raster,
    kind: ImageKind,
    options: EncodeOptions,
    writer: &mut W,
) -> Result<(), String> {
    check_writable(&raster.layout, kind)?;
    let too_large = || {
        format!(
            "{}×{} is too large for a {} file",
            raster.width,
            raster.height,
            kind.name()
        )
    };
    let width = u32::try_from(raster.width).map_err(|_| too_large())?;
    let height = u32::try_from(raster.height).map_err(|_| too_large())?;
    let Planes::F32(planes) = &raster.planes else {
        return Err(format!(
            "{} cannot store 64-bit float samples; write .npy instead",
            kind.name()
        ));
    };
    let samples = match raster.layout.sample {
        SampleType::U8 => Interleaved::U8(raster::interleave(planes, raster::to_u8)),
        SampleType::U16 => Interleaved::U16(raster::interleave(planes, raster::to_u16)),
        SampleType::F32 => Interleaved::F32(raster::interleave(planes, |v| v)),
        SampleType::F64 => unreachable!("F64 samples always live in F64 planes"),
    };
    if kind == ImageKind::Tiff {
        return tiff_file::write(
            &samples,
            &raster.layout,
            width,
            height,
            raster.density,
            writer,
        );
    }
    let colour: image::ExtendedColorType = colour_type(&raster.layout)
        .ok_or("no image colour type for these samples")?
        .into();
    let bytes = samples.ne_bytes();
    let profile = raster
        .icc_profile
        .as_deref()
        .filter(|_| keeps_icc_profile(kind, options));
    let encode_error = |e: ImageError| match e {
        ImageError::IoError(io) => crate::error::describe_io(&io),
        other => format!("cannot encode as {}: {other}", kind.name()),
    };
    let io_error = |e: std::io::Error| crate::error::describe_io(&e);
    match kind {
        ImageKind::Png => {
            // Encoded in memory so that the density chunk can join it.
            let mut png = Vec::new();
            write_with_profile(
                PngEncoder::new(&mut png),
                profile,
                &bytes,
                width,
                height,
                colour,
            )
            .map_err(encode_error)?;
            if let Some(d) = raster.density {
                png = density::add_to_png(&png, d);
            }
            writer.write_all(&png).map_err(io_error)
        }
        ImageKind::Jpeg => {
            let quality = options.quality.unwrap_or(JPEG_QUALITY);
            let mut encoder = JpegEncoder::new_with_quality(&mut *writer, quality);
            if let Some(d) = raster.density.and_then(density::for_jpeg) {
                encoder.set_pixel_density(d);
            }
            write_with_profile(encoder, profile, &bytes, width, height, colour)
                .map_err(encode_error)
        }
        ImageKind::Bmp => BmpEncoder::new(writer)
            .write_image(&bytes, width, height, colour)
            .map_err(encode_error),
        ImageKind::WebP => match options.quality.filter(|&q| q < 100) {
            None => write_with_profile(
                WebPEncoder::new_lossless(&mut *writer),
                profile,
                &bytes,
                width,
                height,
                colour,
            )
            .map_err(encode_error),
            Some(quality) => {
                let encoder = if raster.layout.alpha {
                    webp::Encoder::from_rgba(&bytes, width, height)
                } else {
                    webp::Encoder::from_rgb(&bytes, width, height)
                };
                let mut config = webp::WebPConfig::new()
                    .map_err(|()| "cannot set up the WebP encoder".to_string())?;
                config.lossless = 0;
                config.quality = f32::from(quality);
                let encoded = encoder
                    .encode_advanced(&config)
                    .map_err(|e| format!("cannot encode as WebP: {e:?}"))?;
                writer.write_all(&encoded).map_err(io_error)
            }
        },
        ImageKind::Tiff => unreachable!("written above"),
    }
}

/// Writes an image with `encoder`, giving it `profile` first where there is one
/// (the encoders of `keeps_icc_profile` accept any profile).
fn write_with_profile<E: ImageEncoder>(
    mut encoder: E,
    profile: Option<&[u8]>,
    bytes: &[u8],
    width: u32,
    height: u32,
    colour: image::ExtendedColorType,
) -> image::ImageResult<()> {
    if let Some(profile) = profile {
        let _ = encoder.set_icc_profile(profile.to_vec());
    }
    encoder.write_image(bytes, width, height, colour)
}

/// Whether output in `kind`, encoded with `options`, keeps an input's ICC
/// profile: PNG, JPEG and lossless WebP do; this build writes none into TIFF,
/// BMP or lossy WebP.
pub fn keeps_icc_profile(kind: ImageKind, options: EncodeOptions) -> bool {
    match kind {
        ImageKind::Png | ImageKind::Jpeg => true,
        ImageKind::WebP => options.quality.is_none_or(|q| q >= 100),
        ImageKind::Tiff | ImageKind::Bmp => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn chunk_types_are_named_plainly() {
        let m = "CRC error: expected 0x47 have 0x96 while decoding ChunkType { type: IDAT, critical: true, private: false, reserved: false, safecopy: false } chunk.";
        assert_eq!(
            super::plain_chunk_names(m),
            "CRC error: expected 0x47 have 0x96 while decoding IDAT chunk."
        );
        assert_eq!(super::plain_chunk_names("no chunk here"), "no chunk here");
        assert_eq!(
            super::plain_chunk_names("ChunkType { type: X"),
            "ChunkType { type: X"
        );
    }

    use super::*;
    use std::io::Cursor;

    fn layout(sample: SampleType, channels: usize) -> Layout {
        Layout {
            sample,
            channels,
            alpha: channels.is_multiple_of(2),
            flat: channels == 1,
        }
    }

    #[test]
    fn writability_table() {
        assert!(check_writable(&layout(SampleType::U16, 3), ImageKind::Png).is_ok());
        let e = check_writable(&layout(SampleType::U16, 3), ImageKind::Jpeg).unwrap_err();
        assert!(
            e.contains("JPEG") && e.contains("16-bit RGB") && e.contains(".png"),
            "{e}"
        );
        let e = check_writable(&layout(SampleType::U8, 4), ImageKind::Jpeg).unwrap_err();
        assert!(e.contains("RGBA"), "{e}");
        let e = check_writable(&layout(SampleType::F32, 1), ImageKind::Png).unwrap_err();
        assert!(
            e.ends_with("write .tiff or .npy instead, or convert with --depth 8"),
            "{e}"
        );
        assert!(check_writable(&layout(SampleType::F32, 1), ImageKind::Tiff).is_ok());
        assert!(check_writable(&layout(SampleType::F32, 4), ImageKind::Tiff).is_ok());
        assert!(check_writable(&layout(SampleType::F64, 3), ImageKind::Tiff).is_err());
    }

    #[test]
    fn every_colour_type_survives_its_formats_in_memory() {
        let kinds = [
            (SampleType::U8, 1),
            (SampleType::U8, 2),
            (SampleType::U8, 3),
            (SampleType::U8, 4),
            (SampleType::U16, 1),
            (SampleType::U16, 2),
            (SampleType::U16, 3),
            (SampleType::U16, 4),
            (SampleType::F32, 3),
            (SampleType::F32, 4),
        ];
        for (sample, channels) in kinds {
            let max = match sample {
                SampleType::U8 => 255.0,
                SampleType::U16 => 65535.0,
                _ => 1.5,
            };
            let planes: Vec<Vec<f32>> = (0..channels)
                .map(|c| {
                    (0..35)
                        .map(|i| [0.0, max, (i * 7 + c) as f32 % max][i % 3])
                        .collect()
                })
                .collect();
            let raster = Raster {
                width: 7,
                height: 5,
                layout: layout(sample, channels),
                planes: Planes::F32(planes),
                icc_profile: None,
                density: None,
            };
            for kind in ImageKind::ALL {
                if check_writable(&raster.layout, kind).is_err() || kind == ImageKind::Jpeg {
                    continue;
                }
                let mut buf = Cursor::new(Vec::new());
                write(&raster, kind, EncodeOptions::default(), &mut buf).unwrap();
                let image = image::load_from_memory(buf.get_ref()).unwrap();
                assert_eq!(
                    to_raster(image).unwrap(),
                    raster,
                    "{} via {}",
                    raster.layout,
                    kind.name()
                );
            }
        }
    }

    #[test]
    fn png_in_memory_round_trip_keeps_16_bit() {
        let plane: Vec<f32> = (0..12).map(|i| (i * 5000) as f32).collect();
        let raster = Raster {
            width: 4,
            height: 3,
            layout: layout(SampleType::U16, 1),
            planes: Planes::F32(vec![plane]),
            icc_profile: None,
            density: None,
        };
        let mut buf = Cursor::new(Vec::new());
        write(&raster, ImageKind::Png, EncodeOptions::default(), &mut buf).unwrap();
        let image = image::load_from_memory(buf.get_ref()).unwrap();
        assert_eq!(to_raster(image).unwrap(), raster);
    }
}
