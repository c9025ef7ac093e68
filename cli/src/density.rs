//! Pixel density (the "DPI" a print dialog shows), carried from input to output.
//!
//! PNG keeps it in a `pHYs` chunk (pixels per metre, or an aspect ratio only),
//! JPEG in its JFIF header (per inch, per centimetre, or an aspect ratio) and
//! TIFF in its `XResolution`, `YResolution` and `ResolutionUnit` tags. The `image`
//! crate reads none of these, so they are read here from the file's bytes, and
//! written back where the output format has a place for them: the PNG encoder's
//! output gets a `pHYs` chunk spliced in after its header, the JPEG encoder is
//! given the density, and TIFF is written through the `tiff` crate with the
//! resolution tags. BMP, WebP and `.npy` outputs carry none (the blur summary
//! does not warn: a missing density changes no pixel).

/// How many pixels per unit length, horizontally and vertically.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Density {
    /// Pixels per unit, horizontally.
    pub x: f64,
    /// Pixels per unit, vertically.
    pub y: f64,
    /// The unit of length, or none: then only the ratio `x : y` means something.
    pub unit: DensityUnit,
}

/// The length a [`Density`] counts pixels in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DensityUnit {
    /// No unit: the numbers give the pixels' aspect ratio only.
    AspectRatio,
    /// Pixels per inch.
    Inch,
    /// Pixels per centimetre.
    Centimetre,
    /// Pixels per metre (PNG's unit).
    Metre,
}

impl Density {
    /// The density in `unit`, converting between lengths (an aspect ratio stays one).
    fn per(self, unit: DensityUnit) -> (f64, f64) {
        let metres = |u: DensityUnit| match u {
            DensityUnit::Inch => 0.0254,
            DensityUnit::Centimetre => 0.01,
            DensityUnit::Metre => 1.0,
            DensityUnit::AspectRatio => 1.0,
        };
        if self.unit == DensityUnit::AspectRatio || unit == DensityUnit::AspectRatio {
            return (self.x, self.y);
        }
        let scale = metres(unit) / metres(self.unit);
        (self.x * scale, self.y * scale)
    }

    /// Rounds `(x, y)` to integers in `0..=max`, or `None` if either is out of range.
    fn whole(x: f64, y: f64, max: f64) -> Option<(f64, f64)> {
        let (x, y) = (x.round(), y.round());
        (x >= 1.0 && y >= 1.0 && x <= max && y <= max).then_some((x, y))
    }
}

/// The density stored in a PNG file's `pHYs` chunk, if it has one before its
/// image data; reads only the chunks before the image data.
pub fn read_png(mut reader: impl std::io::Read + std::io::Seek) -> Option<Density> {
    use std::io::SeekFrom;
    reader.seek(SeekFrom::Start(8)).ok()?; // the signature
    loop {
        let mut head = [0u8; 8];
        reader.read_exact(&mut head).ok()?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        match &head[4..8] {
            b"pHYs" if len == 9 => {
                let mut data = [0u8; 9];
                reader.read_exact(&mut data).ok()?;
                let x = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                let y = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
                let unit = if data[8] == 1 {
                    DensityUnit::Metre
                } else {
                    DensityUnit::AspectRatio
                };
                return (x > 0 && y > 0).then_some(Density {
                    x: f64::from(x),
                    y: f64::from(y),
                    unit,
                });
            }
            b"IDAT" | b"IEND" => return None,
            _ => {
                reader.seek(SeekFrom::Current(i64::from(len) + 4)).ok()?;
            }
        }
    }
}

/// `png` (a complete PNG file) with a `pHYs` chunk for `density` inserted after
/// its `IHDR` chunk, which the format puts first.
pub fn add_to_png(png: &[u8], density: Density) -> Vec<u8> {
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    let unit = if density.unit == DensityUnit::AspectRatio {
        DensityUnit::AspectRatio
    } else {
        DensityUnit::Metre
    };
    let (x, y) = density.per(unit);
    let Some((x, y)) = Density::whole(x, y, f64::from(u32::MAX)) else {
        return png.to_vec();
    };
    if png.len() < AFTER_IHDR || &png[12..16] != b"IHDR" {
        return png.to_vec();
    }
    let mut body = Vec::with_capacity(13);
    body.extend_from_slice(b"pHYs");
    body.extend_from_slice(&(x as u32).to_be_bytes());
    body.extend_from_slice(&(y as u32).to_be_bytes());
    body.push(u8::from(unit == DensityUnit::Metre));
    let mut out = Vec::with_capacity(png.len() + 21);
    out.extend_from_slice(&png[..AFTER_IHDR]);
    out.extend_from_slice(&9u32.to_be_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    out.extend_from_slice(&png[AFTER_IHDR..]);
    out
}

/// The density in a JPEG file's JFIF header (the `APP0` segment that follows
/// the start-of-image marker), if it has one.
pub fn read_jpeg(bytes: &[u8]) -> Option<Density> {
    let app0 = bytes.get(2..20)?;
    if app0[0..2] != [0xFF, 0xE0] || &app0[4..9] != b"JFIF\0" {
        return None;
    }
    let unit = match app0[11] {
        1 => DensityUnit::Inch,
        2 => DensityUnit::Centimetre,
        _ => DensityUnit::AspectRatio,
    };
    let x = u16::from_be_bytes([app0[12], app0[13]]);
    let y = u16::from_be_bytes([app0[14], app0[15]]);
    // 1:1 without a unit is what encoders write when they know nothing.
    let unknown = unit == DensityUnit::AspectRatio && x == y;
    (x > 0 && y > 0 && !unknown).then_some(Density {
        x: f64::from(x),
        y: f64::from(y),
        unit,
    })
}

/// `density` as the JPEG encoder takes it (per inch where the input had a unit).
pub fn for_jpeg(density: Density) -> Option<image::codecs::jpeg::PixelDensity> {
    use image::codecs::jpeg::{PixelDensity, PixelDensityUnit};
    let (unit, ours) = match density.unit {
        DensityUnit::AspectRatio => (PixelDensityUnit::PixelAspectRatio, DensityUnit::AspectRatio),
        DensityUnit::Centimetre => (PixelDensityUnit::Centimeters, DensityUnit::Centimetre),
        DensityUnit::Inch | DensityUnit::Metre => (PixelDensityUnit::Inches, DensityUnit::Inch),
    };
    let (x, y) = density.per(ours);
    let (x, y) = Density::whole(x, y, f64::from(u16::MAX))?;
    Some(PixelDensity {
        density: (x as u16, y as u16),
        unit,
    })
}

/// The density of a TIFF image from its resolution tags, if it has them.
pub fn read_tiff<R: std::io::Read + std::io::Seek>(
    decoder: &mut tiff::decoder::Decoder<R>,
) -> Option<Density> {
    use tiff::tags::Tag;
    let mut rational = |tag: Tag| match decoder.find_tag(tag).ok()?? {
        tiff::decoder::ifd::Value::Rational(n, d) if n > 0 && d > 0 => {
            Some(f64::from(n) / f64::from(d))
        }
        other => other.into_f64().ok().filter(|v| *v > 0.0),
    };
    let x = rational(Tag::XResolution)?;
    let y = rational(Tag::YResolution)?;
    let unit = match decoder
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
    {
        Some(1) => DensityUnit::AspectRatio,
        Some(3) => DensityUnit::Centimetre,
        _ => DensityUnit::Inch, // 2, the tag's default
    };
    // 1:1 without a unit is what writers put when they know nothing.
    let unknown = unit == DensityUnit::AspectRatio && x == y;
    (!unknown).then_some(Density { x, y, unit })
}

/// The TIFF resolution tags for `density`: unit, x and y as rationals.
pub fn for_tiff(
    density: Density,
) -> (
    tiff::tags::ResolutionUnit,
    tiff::encoder::Rational,
    tiff::encoder::Rational,
) {
    use tiff::tags::ResolutionUnit;
    let (unit, ours) = match density.unit {
        DensityUnit::AspectRatio => (ResolutionUnit::None, DensityUnit::AspectRatio),
        DensityUnit::Centimetre => (ResolutionUnit::Centimeter, DensityUnit::Centimetre),
        DensityUnit::Inch | DensityUnit::Metre => (ResolutionUnit::Inch, DensityUnit::Inch),
    };
    let (x, y) = density.per(ours);
    // Hundredths keep 72 dpi and 300 dpi exact and 118.11 dpcm close enough.
    let rational = |v: f64| tiff::encoder::Rational {
        n: (v * 100.0).round().clamp(1.0, f64::from(u32::MAX)) as u32,
        d: 100,
    };
    (unit, rational(x), rational(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes() -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        image::DynamicImage::new_rgb8(3, 2)
            .write_to(&mut buf, image::ImageFormat::Png)
            .unwrap();
        buf.into_inner()
    }

    #[test]
    fn a_png_density_survives_the_splice_and_the_decoder() {
        let plain = png_bytes();
        assert_eq!(read_png(std::io::Cursor::new(&plain)), None);
        let dpi300 = Density {
            x: 300.0,
            y: 150.0,
            unit: DensityUnit::Inch,
        };
        let with = add_to_png(&plain, dpi300);
        let back = read_png(std::io::Cursor::new(&with)).unwrap();
        assert_eq!(back.unit, DensityUnit::Metre);
        // Stored as whole pixels per metre: within 0.0127 dpi.
        let (x, y) = back.per(DensityUnit::Inch);
        assert!(
            (x - 300.0).abs() < 0.02 && (y - 150.0).abs() < 0.02,
            "{x} {y}"
        );
        // The file still decodes, CRC and all.
        let img = image::load_from_memory(&with).unwrap();
        assert_eq!((img.width(), img.height()), (3, 2));
    }

    #[test]
    fn jpeg_and_tiff_densities_convert_units() {
        let jfif = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 2, 0, 118, 0, 59, 0, 0,
        ];
        let d = read_jpeg(&jfif).unwrap();
        assert_eq!((d.x, d.y, d.unit), (118.0, 59.0, DensityUnit::Centimetre));
        let mut unknown = jfif;
        unknown[13] = 0;
        unknown[15] = 118;
        unknown[17] = 118;
        assert_eq!(read_jpeg(&unknown), None);
        let png = Density {
            x: 11811.0,
            y: 11811.0,
            unit: DensityUnit::Metre,
        };
        let j = for_jpeg(png).unwrap();
        assert_eq!(j.density, (300, 300));
        let (unit, x, _) = for_tiff(png);
        assert_eq!(unit, tiff::tags::ResolutionUnit::Inch);
        assert_eq!((x.n, x.d), (30000, 100));
    }
}
