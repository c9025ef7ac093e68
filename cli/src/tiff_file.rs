//! TIFF through the `tiff` crate directly, for what the `image` crate leaves out.
//!
//! The `image` crate decodes most TIFF files, and still does here. It has no
//! colour type for one-channel float32 (`Gray32Float`, common for scientific and
//! HDR data), reads no resolution tags and stops at the first page. So a TIFF
//! input is first inspected with the `tiff` crate (its resolution, whether more
//! pages follow, whether it is float gray), a float gray one is decoded here, and
//! every TIFF output is written here: one uncompressed page in the raster's own
//! colour type, with the resolution tags when the input had a density.

use std::io::{Read, Seek, Write};

use tiff::decoder::{Decoder, DecodingResult};
use tiff::encoder::{TiffEncoder, colortype};
use tiff::tags::Tag;

use crate::density::{self, Density};
use crate::raster::{Interleaved, Layout, Planes, Raster, SampleType};

/// What the `image` crate does not say about a TIFF file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TiffFacts {
    /// The first page's density, from its resolution tags.
    pub density: Option<Density>,
    /// Whether pages follow the first.
    pub more_pages: bool,
    /// Whether the first page is one channel of 32-bit floats.
    pub gray_float: bool,
}

/// Reads the first page's header.
pub fn inspect(reader: impl Read + Seek) -> Result<TiffFacts, String> {
    let mut decoder = Decoder::new(reader).map_err(|e| e.to_string())?;
    let gray_float = matches!(decoder.colortype(), Ok(tiff::ColorType::Gray(32)))
        && decoder
            .find_tag_unsigned::<u16>(Tag::SampleFormat)
            .ok()
            .flatten()
            == Some(3); // IEEE floating point
    Ok(TiffFacts {
        density: density::read_tiff(&mut decoder),
        more_pages: decoder.more_images(),
        gray_float,
    })
}

/// Decodes the first page of a float32 gray TIFF; `check(width, height)` may
/// refuse its size before the pixels are read.
pub fn read_gray_float(
    reader: impl Read + Seek,
    check: impl FnOnce(u32, u32) -> Result<(), String>,
) -> Result<Raster, String> {
    let corrupt = |e: tiff::TiffError| format!("corrupt or truncated TIFF file ({e})");
    let mut decoder = Decoder::new(reader).map_err(corrupt)?;
    let (width, height) = decoder.dimensions().map_err(corrupt)?;
    check(width, height)?;
    let DecodingResult::F32(samples) = decoder.read_image().map_err(corrupt)? else {
        return Err("unsupported TIFF variant (gray samples that are not float32)".to_string());
    };
    let pixels = width as usize * height as usize;
    if samples.len() < pixels {
        return Err("TIFF file is truncated".to_string());
    }
    Ok(Raster {
        width: width as usize,
        height: height as usize,
        layout: Layout {
            sample: SampleType::F32,
            channels: 1,
            alpha: false,
            flat: true,
        },
        planes: Planes::F32(vec![samples[..pixels].to_vec()]),
        icc_profile: None,
        density: None,
    })
}

/// Writes `samples` (of `layout`, `width × height`) as a one-page TIFF, with
/// resolution tags for `density`.
pub fn write<W: Write + Seek>(
    samples: &Interleaved,
    layout: &Layout,
    width: u32,
    height: u32,
    density: Option<Density>,
    writer: &mut W,
) -> Result<(), String> {
    let fail = |e: tiff::TiffError| match e {
        tiff::TiffError::IoError(io) => crate::error::describe_io(&io),
        other => format!("cannot encode as TIFF: {other}"),
    };
    let mut encoder = TiffEncoder::new(writer).map_err(fail)?;
    let channels = layout.channels;
    macro_rules! page {
        ($colour:ty, $data:expr) => {
            write_page::<$colour, W>(&mut encoder, width, height, $data, density).map_err(fail)
        };
    }
    match (samples, channels) {
        (Interleaved::U8(v), 1) => page!(colortype::Gray8, v),
        (Interleaved::U8(v), 3) => page!(colortype::RGB8, v),
        (Interleaved::U8(v), 4) => page!(colortype::RGBA8, v),
        (Interleaved::U16(v), 1) => page!(colortype::Gray16, v),
        (Interleaved::U16(v), 3) => page!(colortype::RGB16, v),
        (Interleaved::U16(v), 4) => page!(colortype::RGBA16, v),
        (Interleaved::F32(v), 1) => page!(colortype::Gray32Float, v),
        (Interleaved::F32(v), 3) => page!(colortype::RGB32Float, v),
        (Interleaved::F32(v), 4) => page!(colortype::RGBA32Float, v),
        _ => Err(format!("TIFF cannot store {layout} samples here")),
    }
}

fn write_page<C: colortype::ColorType, W: Write + Seek>(
    encoder: &mut TiffEncoder<&mut W>,
    width: u32,
    height: u32,
    data: &[C::Inner],
    density: Option<Density>,
) -> tiff::TiffResult<()>
where
    [C::Inner]: tiff::encoder::TiffValue,
{
    let mut page = encoder.new_image::<C>(width, height)?;
    if let Some(d) = density {
        let (unit, x, y) = density::for_tiff(d);
        let tags = page.encoder();
        tags.write_tag(Tag::ResolutionUnit, unit.to_u16())?;
        tags.write_tag(Tag::XResolution, x)?;
        tags.write_tag(Tag::YResolution, y)?;
    }
    page.write_data(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn float_gray_and_resolution_survive_a_round_trip() {
        let values: Vec<f32> = (0..12).map(|i| i as f32 * 0.37 - 1.5).collect();
        let layout = Layout {
            sample: SampleType::F32,
            channels: 1,
            alpha: false,
            flat: true,
        };
        let density = Density {
            x: 300.0,
            y: 72.0,
            unit: density::DensityUnit::Inch,
        };
        let mut file = Cursor::new(Vec::new());
        write(
            &Interleaved::F32(values.clone()),
            &layout,
            4,
            3,
            Some(density),
            &mut file,
        )
        .unwrap();
        let facts = inspect(Cursor::new(file.get_ref())).unwrap();
        assert!(facts.gray_float && !facts.more_pages);
        assert_eq!(facts.density, Some(density));
        let raster = read_gray_float(Cursor::new(file.get_ref()), |w, h| {
            assert_eq!((w, h), (4, 3));
            Ok(())
        })
        .unwrap();
        assert_eq!(raster.planes, Planes::F32(vec![values]));
        let refused = read_gray_float(Cursor::new(file.get_ref()), |_, _| Err("no".into()));
        assert_eq!(refused.unwrap_err(), "no");
    }

    #[test]
    fn more_pages_are_seen() {
        let mut file = Cursor::new(Vec::new());
        {
            let mut encoder = TiffEncoder::new(&mut file).unwrap();
            for _ in 0..2 {
                encoder
                    .write_image::<colortype::Gray8>(2, 2, &[1, 2, 3, 4])
                    .unwrap();
            }
        }
        let facts = inspect(Cursor::new(file.get_ref())).unwrap();
        assert!(facts.more_pages && !facts.gray_float);
        assert_eq!(facts.density, None);
    }
}
