//! Opt-in conversions for an output format that cannot hold the data as it is.
//!
//! By default the output keeps the input's colour type and bit depth exactly,
//! and a format that cannot store them is refused with the formats that can.
//! Two conversions, asked for by name, lift that refusal:
//!
//! - `--flatten[=COLOUR]` composites the image over a background colour (white
//!   by default) and drops its alpha channel: an RGBA PNG can then be written as
//!   JPEG. Gray+alpha is composited over the background's luma (Rec. 601).
//! - `--depth 8` (or `16`) rescales the samples to that many bits: 16-bit to
//!   8-bit divides by 257 (so 65535 becomes 255), float samples are read as
//!   0..1 and scaled to the integer range. Values are rounded and clamped when
//!   the file is written.
//!
//! Both run after the blur, on the blurred planes: the stencil always sees the
//! input's own values. The output's layout is known before any work
//! ([`Conversions::layout`]), so a format that still cannot hold it is refused
//! before the input is blurred.

use crate::raster::{Layout, Planes, Raster, SampleType};

/// A background colour for `--flatten`, as fractions of full scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Background {
    /// Red, green and blue in 0..=1.
    pub rgb: [f32; 3],
}

impl Background {
    /// Parses `white`, `black`, `#rrggbb`, `#rgb` or `r,g,b` (each 0..=255).
    pub fn parse(text: &str) -> Result<Self, String> {
        let explain = "expected white, black, #rrggbb, #rgb or r,g,b with each 0..=255";
        let t = text.trim();
        let bytes: [u8; 3] = match t.to_ascii_lowercase().as_str() {
            "white" => [255; 3],
            "black" => [0; 3],
            hex if hex.starts_with('#') => {
                let digits = &hex[1..];
                let nibble = |c: char| c.to_digit(16).map(|d| d as u8);
                let parsed: Option<Vec<u8>> = digits.chars().map(nibble).collect();
                match parsed.as_deref() {
                    Some(&[r, g, b]) => [r * 17, g * 17, b * 17],
                    Some(&[r1, r0, g1, g0, b1, b0]) => [r1 * 16 + r0, g1 * 16 + g0, b1 * 16 + b0],
                    _ => return Err(explain.to_string()),
                }
            }
            list => {
                let parts: Vec<&str> = list.split(',').map(str::trim).collect();
                let [r, g, b] = parts[..] else {
                    return Err(explain.to_string());
                };
                let byte = |s: &str| s.parse::<u8>().map_err(|_| explain.to_string());
                [byte(r)?, byte(g)?, byte(b)?]
            }
        };
        Ok(Background {
            rgb: bytes.map(|b| f32::from(b) / 255.0),
        })
    }

    /// The background's gray value (Rec. 601 luma), for gray images.
    fn luma(self) -> f32 {
        let [r, g, b] = self.rgb;
        0.299 * r + 0.587 * g + 0.114 * b
    }
}

/// `--depth`: the bits per sample of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// 8-bit integer samples.
    Eight,
    /// 16-bit integer samples.
    Sixteen,
}

impl Depth {
    /// Parses `8` or `16`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "8" => Ok(Depth::Eight),
            "16" => Ok(Depth::Sixteen),
            _ => Err("expected 8 or 16 (bits per sample)".to_string()),
        }
    }

    fn sample(self) -> SampleType {
        match self {
            Depth::Eight => SampleType::U8,
            Depth::Sixteen => SampleType::U16,
        }
    }
}

/// The conversions asked for on the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Conversions {
    /// `--flatten`: composite over this colour and drop alpha.
    pub flatten: Option<Background>,
    /// `--depth`: rescale the samples to this many bits.
    pub depth: Option<Depth>,
}

impl Conversions {
    /// The layout a raster of `layout` has after [`Conversions::apply`].
    pub fn layout(&self, layout: Layout) -> Layout {
        let mut out = layout;
        if self.flatten.is_some() && layout.alpha {
            out.channels -= 1;
            out.alpha = false;
            out.flat = out.channels == 1;
        }
        if let Some(depth) = self.depth {
            out.sample = depth.sample();
        }
        out
    }

    /// Applies the conversions to `raster` (flatten first, at the input's scale).
    pub fn apply(&self, raster: &mut Raster) {
        if let Some(background) = self.flatten.filter(|_| raster.layout.alpha) {
            flatten(raster, background);
        }
        if let Some(depth) = self.depth {
            rescale(raster, depth.sample());
        }
    }
}

/// Composites the colour planes over `background` by the alpha plane, then
/// drops the alpha plane.
fn flatten(raster: &mut Raster, background: Background) {
    let full = raster.layout.sample.full_scale();
    let colours = raster.layout.channels - 1;
    let shade = |channel: usize| -> f32 {
        if colours == 1 {
            background.luma()
        } else {
            background.rgb[channel.min(2)]
        }
    };
    // Only images have alpha, and their planes are f32.
    let Planes::F32(planes) = &mut raster.planes else {
        return;
    };
    over(planes, full, shade);
    raster.layout = Conversions {
        flatten: Some(background),
        depth: None,
    }
    .layout(raster.layout);
}

/// [`flatten`]'s compositing: pops the alpha plane and blends each colour
/// plane with its shade of the background (in f64, then rounded once).
fn over(planes: &mut Vec<Vec<f32>>, full: f32, shade: impl Fn(usize) -> f32) {
    let Some(alpha) = planes.pop() else { return };
    for (channel, plane) in planes.iter_mut().enumerate() {
        let back = f64::from(shade(channel) * full);
        for (c, &a) in plane.iter_mut().zip(&alpha) {
            let a = (f64::from(a) / f64::from(full)).clamp(0.0, 1.0);
            *c = (f64::from(*c) * a + back * (1.0 - a)) as f32;
        }
    }
}

/// Rescales every plane from the raster's sample type to `to`; float64 planes
/// become f32 planes (integer samples live in f32 planes).
fn rescale(raster: &mut Raster, to: SampleType) {
    let from = raster.layout.sample;
    if from == to {
        return;
    }
    let factor = f64::from(to.full_scale()) / f64::from(from.full_scale());
    let planes = match &mut raster.planes {
        Planes::F32(planes) => std::mem::take(planes)
            .into_iter()
            .map(|p| {
                p.into_iter()
                    .map(|v| (f64::from(v) * factor) as f32)
                    .collect()
            })
            .collect(),
        Planes::F64(planes) => std::mem::take(planes)
            .into_iter()
            .map(|p| p.into_iter().map(|v| (v * factor) as f32).collect())
            .collect(),
    };
    raster.planes = Planes::F32(planes);
    raster.layout.sample = to;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(sample: SampleType, planes: Vec<Vec<f32>>, alpha: bool) -> Raster {
        let channels = planes.len();
        Raster {
            width: planes[0].len(),
            height: 1,
            layout: Layout {
                sample,
                channels,
                alpha,
                flat: channels == 1,
            },
            planes: Planes::F32(planes),
            icc_profile: None,
            density: None,
        }
    }

    #[test]
    fn backgrounds_parse_in_every_spelling() {
        assert_eq!(Background::parse("white").unwrap().rgb, [1.0; 3]);
        assert_eq!(Background::parse("Black").unwrap().rgb, [0.0; 3]);
        assert_eq!(
            Background::parse("#ff0080").unwrap(),
            Background::parse("255, 0, 128").unwrap()
        );
        assert_eq!(
            Background::parse("#f08").unwrap(),
            Background::parse("#ff0088").unwrap()
        );
        for bad in ["", "#12", "#gg0000", "1,2", "1,2,300", "red"] {
            assert!(Background::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn flatten_composites_over_the_background_and_drops_alpha() {
        // Opaque red, transparent green, half-transparent blue; over white.
        let mut r = raster(
            SampleType::U8,
            vec![
                vec![255.0, 0.0, 0.0],
                vec![0.0, 255.0, 0.0],
                vec![0.0, 0.0, 255.0],
                vec![255.0, 0.0, 127.5],
            ],
            true,
        );
        let conversions = Conversions {
            flatten: Some(Background::parse("white").unwrap()),
            depth: None,
        };
        let want = conversions.layout(r.layout);
        conversions.apply(&mut r);
        assert_eq!(r.layout, want);
        assert_eq!((r.layout.channels, r.layout.alpha), (3, false));
        assert_eq!(
            r.planes,
            Planes::F32(vec![
                vec![255.0, 255.0, 127.5],
                vec![0.0, 255.0, 127.5],
                vec![0.0, 255.0, 255.0],
            ])
        );
        // Gray+alpha over black; an image without alpha is left alone.
        let mut g = raster(SampleType::U16, vec![vec![1000.0], vec![0.0]], true);
        let black = Conversions {
            flatten: Some(Background::parse("black").unwrap()),
            depth: None,
        };
        black.apply(&mut g);
        assert_eq!(g.planes, Planes::F32(vec![vec![0.0]]));
        assert!(g.layout.flat);
        let mut rgb = raster(SampleType::U8, vec![vec![1.0]; 3], false);
        black.apply(&mut rgb);
        assert_eq!(rgb.planes.len(), 3);
    }

    #[test]
    fn depth_rescales_to_the_full_range() {
        let eight = Conversions {
            flatten: None,
            depth: Some(Depth::Eight),
        };
        let mut r = raster(SampleType::U16, vec![vec![0.0, 257.0, 65535.0]], false);
        eight.apply(&mut r);
        assert_eq!(r.layout.sample, SampleType::U8);
        assert_eq!(r.planes, Planes::F32(vec![vec![0.0, 1.0, 255.0]]));
        let mut f = raster(SampleType::F32, vec![vec![0.0, 0.5, 1.0]], false);
        eight.apply(&mut f);
        assert_eq!(f.planes, Planes::F32(vec![vec![0.0, 127.5, 255.0]]));
        let mut wide = raster(SampleType::U8, vec![vec![0.0, 1.0, 255.0]], false);
        wide.layout.sample = SampleType::F64;
        wide.planes = Planes::F64(vec![vec![0.0, 0.25, 1.0]]);
        Conversions {
            flatten: None,
            depth: Some(Depth::Sixteen),
        }
        .apply(&mut wide);
        assert_eq!(wide.planes, Planes::F32(vec![vec![0.0, 16383.75, 65535.0]]));
        assert_eq!(Depth::parse("8"), Ok(Depth::Eight));
        assert!(Depth::parse("12").is_err());
    }
}
