//! Image files through the `image` crate: PNG, JPEG, TIFF, BMP and WebP.
//!
//! Reading goes in two steps so that a huge image is refused before anything big is
//! allocated: the decoder is built (which reads only the header), its dimensions and
//! colour type are checked against available memory, and only then is the image
//! decoded. The decoded colour type (gray, gray+alpha, RGB, RGBA in 8 or 16 bits,
//! RGB/RGBA float) becomes the raster's [`Layout`] and is written back unchanged;
//! a format that cannot hold it is refused with the formats that can.

use std::io::{Seek, Write};
use std::path::Path;

use image::codecs::bmp::BmpEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::tiff::TiffEncoder;
use image::codecs::webp::WebPEncoder;
use image::{
    ColorType, DynamicImage, ImageDecoder, ImageEncoder, ImageError, ImageFormat, ImageReader,
    Limits,
};

use crate::memory;
use crate::raster::{self, Layout, Planes, Raster, SampleType};

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
    let colour = colour_type(layout);
    if colour.is_some_and(|c| kind.writable().contains(&c)) {
        return Ok(());
    }
    let mut able: Vec<&str> = ImageKind::ALL
        .iter()
        .filter(|k| colour.is_some_and(|c| k.writable().contains(&c)))
        .map(|k| k.extension())
        .collect();
    able.push("npy");
    Err(format!(
        "{} cannot store {} samples without changing them; write .{} instead",
        kind.name(),
        layout,
        able.join(" or .")
    ))
}

/// Reads and decodes an image, refusing it before decoding if it has more than
/// `max_pixels` pixels or cannot fit in memory. Returns the raster and the format
/// it was in.
pub fn read(path: &Path, max_pixels: u64) -> Result<(Raster, ImageKind), String> {
    let reader = ImageReader::open(path).map_err(|e| crate::error::describe_io(&e))?;
    let mut reader = reader
        .with_guessed_format()
        .map_err(|e| crate::error::describe_io(&e))?;
    let Some(format) = reader.format() else {
        return Err("not a recognised image (PNG, JPEG, TIFF, BMP, WebP) or .npy file".to_string());
    };
    let Some(kind) = ImageKind::from_image_format(format) else {
        return Err(format!(
            "{format:?} images are not supported (supported: PNG, JPEG, TIFF, BMP, WebP, .npy)"
        ));
    };
    if kind == ImageKind::Jpeg {
        check_jpeg_complete(path)?;
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
    let decoded = u128::from(decoder.total_bytes());
    let planes = memory::product(&[u128::from(width), u128::from(height), channels as u128, 4]);
    let scratch = memory::product(&[u128::from(width), u128::from(height), 4]);
    let needed = planes
        .zip(scratch)
        .and_then(|(p, s)| p.checked_add(s)?.checked_add(decoded));
    memory::ensure_fits(needed).map_err(|e| format!("image {width}×{height}×{channels} {e}"))?;
    // The colour profile travels with the pixels (an unreadable one counts as none).
    let icc_profile = decoder.icc_profile().ok().flatten();
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| describe_image_error(&e, kind))?;
    image.apply_orientation(orientation);
    let mut raster =
        to_raster(image).ok_or_else(|| format!("unsupported colour type {colour:?}"))?;
    raster.icc_profile = icc_profile;
    Ok((raster, kind))
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
fn check_jpeg_complete(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| crate::error::describe_io(&e))?;
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
    })
}

/// Encodes `raster` as `kind` into `writer`, in the raster's own colour type.
/// Integer samples are rounded to nearest and clamped to their range.
pub fn write<W: Write + Seek>(
    raster: &Raster,
    kind: ImageKind,
    writer: &mut W,
) -> Result<(), String> {
    check_writable(&raster.layout, kind)?;
    let colour = colour_type(&raster.layout).ok_or("no image colour type for these samples")?;
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
    let bytes: Vec<u8> = match raster.layout.sample {
        SampleType::U8 => raster::interleave(planes, raster::to_u8),
        SampleType::U16 => raster::interleave(planes, raster::to_u16)
            .into_iter()
            .flat_map(u16::to_ne_bytes)
            .collect(),
        SampleType::F32 => raster::interleave(planes, |v| v)
            .into_iter()
            .flat_map(f32::to_ne_bytes)
            .collect(),
        SampleType::F64 => unreachable!("F64 samples always live in F64 planes"),
    };
    let colour = colour.into();
    // PNG, JPEG and WebP carry an ICC profile; this image crate writes none into
    // TIFF or BMP (`keeps_icc_profile`).
    let profile = raster
        .icc_profile
        .as_deref()
        .filter(|_| keeps_icc_profile(kind));
    let result = match kind {
        ImageKind::Png => write_with_profile(
            PngEncoder::new(&mut *writer),
            profile,
            &bytes,
            width,
            height,
            colour,
        ),
        ImageKind::Jpeg => write_with_profile(
            JpegEncoder::new_with_quality(&mut *writer, JPEG_QUALITY),
            profile,
            &bytes,
            width,
            height,
            colour,
        ),
        ImageKind::Tiff => {
            TiffEncoder::new(&mut *writer).write_image(&bytes, width, height, colour)
        }
        ImageKind::Bmp => BmpEncoder::new(writer).write_image(&bytes, width, height, colour),
        ImageKind::WebP => write_with_profile(
            WebPEncoder::new_lossless(&mut *writer),
            profile,
            &bytes,
            width,
            height,
            colour,
        ),
    };
    result.map_err(|e| match e {
        ImageError::IoError(io) => crate::error::describe_io(&io),
        other => format!("cannot encode as {}: {other}", kind.name()),
    })
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

/// Whether output in `kind` keeps an input's ICC profile.
pub fn keeps_icc_profile(kind: ImageKind) -> bool {
    matches!(kind, ImageKind::Png | ImageKind::Jpeg | ImageKind::WebP)
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
        let e = check_writable(&layout(SampleType::F32, 1), ImageKind::Tiff).unwrap_err();
        assert!(e.ends_with("write .npy instead"), "{e}");
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
            };
            for kind in ImageKind::ALL {
                if check_writable(&raster.layout, kind).is_err() || kind == ImageKind::Jpeg {
                    continue;
                }
                let mut buf = Cursor::new(Vec::new());
                write(&raster, kind, &mut buf).unwrap();
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
        };
        let mut buf = Cursor::new(Vec::new());
        write(&raster, ImageKind::Png, &mut buf).unwrap();
        let image = image::load_from_memory(buf.get_ref()).unwrap();
        assert_eq!(to_raster(image).unwrap(), raster);
    }
}
