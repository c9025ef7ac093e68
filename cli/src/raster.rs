//! The in-memory image: one plane per channel, plus what the samples were on disk.
//!
//! The kernels blur one plane at a time, so every input is split into planes
//! (row-major, `width × height` each). Samples keep their on-disk values: 8-bit
//! samples are 0..=255, 16-bit samples 0..=65535, float samples as they are, so that
//! the way back is exact for unchanged data: integers go back by rounding to nearest
//! and clamping to the type's range. `.npy` float64 data is kept in `f64` planes,
//! blurred in `f64` and written back as it is; everything else is in `f32` planes.

use std::fmt;

/// The sample type a file stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleType {
    /// Unsigned 8-bit integers.
    U8,
    /// Unsigned 16-bit integers.
    U16,
    /// 32-bit floats.
    F32,
    /// 64-bit floats (only `.npy`).
    F64,
}

impl SampleType {
    /// A short name for messages: "8-bit", "16-bit", "32-bit float", "64-bit float".
    pub fn describe(self) -> &'static str {
        match self {
            SampleType::U8 => "8-bit",
            SampleType::U16 => "16-bit",
            SampleType::F32 => "32-bit float",
            SampleType::F64 => "64-bit float",
        }
    }

    /// The full-scale value: opaque alpha, white. Integer samples keep their
    /// stored range; float samples are taken as 0..1.
    pub fn full_scale(self) -> f32 {
        match self {
            SampleType::U8 => 255.0,
            SampleType::U16 => 65535.0,
            SampleType::F32 | SampleType::F64 => 1.0,
        }
    }
}

/// How the channels of a pixel are to be understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// What each sample is on disk.
    pub sample: SampleType,
    /// Number of channels (planes).
    pub channels: usize,
    /// Whether the last channel is alpha (only for images; `.npy` has no alpha).
    pub alpha: bool,
    /// Whether the data is 2-D: a `.npy` `H×W` array or a single-channel image
    /// (written back to `.npy` as `H×W` rather than `H×W×1`).
    pub flat: bool,
}

impl Layout {
    /// The colour model's name: gray, gray+alpha, RGB, RGBA, or "N channels".
    pub fn colour_name(&self) -> String {
        match (self.channels, self.alpha) {
            (1, false) => "gray".to_string(),
            (2, true) => "gray+alpha".to_string(),
            (3, false) => "RGB".to_string(),
            (4, true) => "RGBA".to_string(),
            (n, _) => format!("{n}-channel"),
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.sample.describe(), self.colour_name())
    }
}

/// The sample planes, one per channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Planes {
    /// Planes in `f32` (every image format, float32 `.npy`).
    F32(Vec<Vec<f32>>),
    /// Planes in `f64` (float64 `.npy`).
    F64(Vec<Vec<f64>>),
}

impl Planes {
    /// Number of planes.
    pub fn len(&self) -> usize {
        match self {
            Planes::F32(p) => p.len(),
            Planes::F64(p) => p.len(),
        }
    }
}

/// A decoded image or array.
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// What the samples are.
    pub layout: Layout,
    /// The samples, one row-major plane per channel.
    pub planes: Planes,
    /// The colour profile the input carried (ICC), written back where the
    /// output format can hold one.
    pub icc_profile: Option<Vec<u8>>,
    /// The pixel density (DPI) the input stated, written back where the output
    /// format has a place for it.
    pub density: Option<crate::density::Density>,
}

/// Interleaved samples (pixel by pixel) in the type they are stored in, as
/// encoders take them.
#[derive(Debug, Clone, PartialEq)]
pub enum Interleaved {
    /// 8-bit samples.
    U8(Vec<u8>),
    /// 16-bit samples.
    U16(Vec<u16>),
    /// 32-bit float samples.
    F32(Vec<f32>),
}

impl Interleaved {
    /// The samples as native-endian bytes.
    pub fn ne_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        match self {
            Interleaved::U8(v) => v.as_slice().into(),
            Interleaved::U16(v) => v.iter().flat_map(|s| s.to_ne_bytes()).collect(),
            Interleaved::F32(v) => v.iter().flat_map(|s| s.to_ne_bytes()).collect(),
        }
    }
}

/// Splits interleaved samples (`channels` per pixel) into one plane per channel.
pub fn deinterleave<T: Copy, U>(
    samples: &[T],
    channels: usize,
    convert: impl Fn(T) -> U,
) -> Vec<Vec<U>> {
    if channels == 0 {
        return Vec::new();
    }
    let pixels = samples.len() / channels;
    let mut planes: Vec<Vec<U>> = (0..channels).map(|_| Vec::with_capacity(pixels)).collect();
    for pixel in samples.chunks_exact(channels) {
        for (plane, &s) in planes.iter_mut().zip(pixel) {
            plane.push(convert(s));
        }
    }
    planes
}

/// Joins planes into interleaved samples.
pub fn interleave<T: Copy, U>(planes: &[Vec<T>], convert: impl Fn(T) -> U) -> Vec<U> {
    let pixels = planes.first().map_or(0, Vec::len);
    let mut out = Vec::with_capacity(pixels * planes.len());
    for i in 0..pixels {
        for plane in planes {
            out.push(convert(plane[i]));
        }
    }
    out
}

/// Rounds to nearest and clamps into 0..=255 (NaN becomes 0).
pub fn to_u8(v: f32) -> u8 {
    if v.is_nan() {
        0
    } else {
        v.round().clamp(0.0, 255.0) as u8
    }
}

/// Rounds to nearest and clamps into 0..=65535 (NaN becomes 0).
pub fn to_u16(v: f32) -> u16 {
    if v.is_nan() {
        0
    } else {
        v.round().clamp(0.0, 65535.0) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_inverts_deinterleave() {
        let samples: Vec<u16> = (0..24).collect();
        for channels in [1, 2, 3, 4] {
            let planes = deinterleave(&samples, channels, f32::from);
            assert_eq!(planes.len(), channels);
            assert_eq!(planes[0].len(), 24 / channels);
            assert_eq!(planes[channels - 1][0], (channels - 1) as f32);
            assert_eq!(interleave(&planes, to_u16), samples);
        }
    }

    #[test]
    fn rounding_and_clamping() {
        assert_eq!(to_u8(-3.0), 0);
        assert_eq!(to_u8(254.5), 255);
        assert_eq!(to_u8(254.49), 254);
        assert_eq!(to_u8(1e9), 255);
        assert_eq!(to_u8(f32::NAN), 0);
        assert_eq!(to_u16(65535.4), 65535);
        assert_eq!(to_u16(70000.0), 65535);
        assert_eq!(to_u16(0.5), 1);
        for v in 0..=65535u16 {
            assert_eq!(to_u16(f32::from(v)), v);
        }
    }

    #[test]
    fn layout_names() {
        let l = Layout {
            sample: SampleType::U16,
            channels: 4,
            alpha: true,
            flat: false,
        };
        assert_eq!(l.to_string(), "16-bit RGBA");
        let l = Layout {
            sample: SampleType::F64,
            channels: 5,
            alpha: false,
            flat: false,
        };
        assert_eq!(l.to_string(), "64-bit float 5-channel");
    }
}
