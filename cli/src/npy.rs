//! NumPy `.npy` files: float32, float64, uint8 or uint16, 2-D `H×W` or 3-D
//! `H×W×C`, little-endian, C order.
//!
//! The format is a magic string, a version, a header length and a Python dict literal
//! (`{'descr': '<f4', 'fortran_order': False, 'shape': (H, W), }`) padded with spaces
//! to a multiple of 64 bytes, followed by the raw array. Reading checks everything a
//! wrong file can get wrong (magic, version, dtype, byte order, Fortran order, rank,
//! truncation, trailing bytes) and says which; the size is checked against memory
//! before the data is read. Samples are moved, never computed on, so a file read and
//! written back is identical bit for bit (NaN payloads included).

use std::io::{self, BufRead, Read, Write};

use crate::raster::{Layout, Planes, Raster, SampleType};

/// The magic bytes every `.npy` file starts with.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The element type of an array we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// `<f4`.
    F32,
    /// `<f8`.
    F64,
    /// `|u1`.
    U8,
    /// `<u2`.
    U16,
}

impl Dtype {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::U8 => 1,
            Dtype::U16 => 2,
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }
}

/// A parsed and validated header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Element type.
    pub dtype: Dtype,
    /// Array shape (rank 2 or 3).
    pub shape: Vec<usize>,
}

impl Header {
    /// `(height, width, channels)`; channels is 1 for a 2-D array.
    pub fn dims(&self) -> (usize, usize, usize) {
        match self.shape[..] {
            [h, w] => (h, w, 1),
            [h, w, c] => (h, w, c),
            _ => unreachable!("rank is validated when parsing"),
        }
    }

    /// The shape written as `H×W` or `H×W×C`.
    pub fn shape_text(&self) -> String {
        self.shape
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("×")
    }

    /// Number of data bytes the shape calls for (`None` on overflow).
    pub fn data_bytes(&self) -> Option<u128> {
        self.shape
            .iter()
            .try_fold(self.dtype.size() as u128, |acc, &d| {
                acc.checked_mul(d as u128)
            })
    }
}

/// Reads and validates the header; on success the reader is positioned at the data.
pub fn read_header(reader: &mut impl Read) -> Result<Header, String> {
    let mut prefix = [0u8; 8];
    read_fully(reader, &mut prefix).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            "not a .npy file (too short for the .npy magic)".to_string()
        }
        _ => crate::error::describe_io(&e),
    })?;
    if &prefix[..6] != MAGIC {
        return Err("not a .npy file (missing the \\x93NUMPY magic)".to_string());
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let header_len = match major {
        1 => {
            let mut len = [0u8; 2];
            read_fully(reader, &mut len).map_err(|_| truncated_header())?;
            usize::from(u16::from_le_bytes(len))
        }
        2 | 3 => {
            let mut len = [0u8; 4];
            read_fully(reader, &mut len).map_err(|_| truncated_header())?;
            u32::from_le_bytes(len) as usize
        }
        _ => {
            return Err(format!(
                "unsupported .npy format version {major}.{minor} (expected 1.0, 2.0 or 3.0)"
            ));
        }
    };
    if header_len > 1 << 20 {
        return Err(format!("implausible .npy header length {header_len} bytes"));
    }
    let mut text = vec![0u8; header_len];
    read_fully(reader, &mut text).map_err(|_| truncated_header())?;
    let text = String::from_utf8(text)
        .map_err(|_| "malformed .npy header (not UTF-8 text)".to_string())?;
    parse_header_dict(&text)
}

fn truncated_header() -> String {
    "file is truncated inside the .npy header".to_string()
}

fn read_fully(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<()> {
    reader.read_exact(buf)
}

/// Parses the Python dict literal of the header and validates dtype, order and rank.
pub fn parse_header_dict(text: &str) -> Result<Header, String> {
    let mut parser = DictParser {
        text: text.trim_end_matches(['\n', ' ', '\0']),
        pos: 0,
    };
    let entries = parser
        .dict()
        .map_err(|e| format!("malformed .npy header ({e}): {}", text.trim()))?;
    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    for (key, value) in entries {
        match (key.as_str(), value) {
            ("descr", Value::Str(s)) => descr = Some(s),
            ("fortran_order", Value::Bool(b)) => fortran = Some(b),
            ("shape", Value::Tuple(t)) => shape = Some(t),
            ("descr" | "fortran_order" | "shape", _) => {
                return Err(format!("malformed .npy header (bad value for '{key}')"));
            }
            _ => {} // unknown keys are tolerated, as numpy does
        }
    }
    let descr = descr.ok_or("malformed .npy header (no 'descr')")?;
    let fortran = fortran.ok_or("malformed .npy header (no 'fortran_order')")?;
    let shape = shape.ok_or("malformed .npy header (no 'shape')")?;
    let dtype = parse_descr(&descr)?;
    if fortran {
        return Err(
            "array is in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray)"
                .to_string(),
        );
    }
    if !(2..=3).contains(&shape.len()) {
        let shape_text = shape
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("×");
        return Err(format!(
            "array has rank {} (shape ({shape_text})); expected 2 (H×W) or 3 (H×W×C)",
            shape.len()
        ));
    }
    Ok(Header { dtype, shape })
}

/// Accepts `<f4`, `<f8`, `<u2` and `|u1` (and `=` on little-endian machines; a
/// single byte has no order, so `<u1` and `=u1` pass too); names what is wrong
/// otherwise.
fn parse_descr(descr: &str) -> Result<Dtype, String> {
    let (order, kind) = descr.split_at(descr.len().min(1));
    let dtype = match kind {
        "f4" => Some(Dtype::F32),
        "f8" => Some(Dtype::F64),
        "u1" => Some(Dtype::U8),
        "u2" => Some(Dtype::U16),
        _ => None,
    };
    match (order, dtype) {
        ("<" | "|" | ">" | "=", Some(Dtype::U8)) => Ok(Dtype::U8),
        ("<", Some(d)) => Ok(d),
        ("=", Some(d)) if cfg!(target_endian = "little") => Ok(d),
        (">", Some(_)) => Err(format!(
            "dtype '{descr}' is big-endian; convert it with array.astype('<{kind}')"
        )),
        _ => Err(format!(
            "unsupported dtype '{descr}'; supported are float32 ('<f4'), float64 ('<f8'), \
             uint8 ('|u1') and uint16 ('<u2')"
        )),
    }
}

/// A value in the header dict.
#[derive(Debug, PartialEq)]
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

/// A tiny parser for the one dict literal the format allows.
struct DictParser<'a> {
    text: &'a str,
    pos: usize,
}

impl DictParser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: char) -> bool {
        self.skip_space();
        if self.rest().starts_with(token) {
            self.pos += token.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: char) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(format!("expected '{token}' at byte {}", self.pos))
        }
    }

    fn dict(&mut self) -> Result<Vec<(String, Value)>, String> {
        self.expect('{')?;
        let mut entries = Vec::new();
        loop {
            if self.eat('}') {
                break;
            }
            let key = self.string()?;
            self.expect(':')?;
            let value = self.value()?;
            entries.push((key, value));
            if !self.eat(',') {
                self.expect('}')?;
                break;
            }
        }
        self.skip_space();
        if !self.rest().is_empty() {
            return Err(format!(
                "unexpected text after the dict at byte {}",
                self.pos
            ));
        }
        Ok(entries)
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_space();
        let quote = self
            .rest()
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"');
        let Some(quote) = quote else {
            return Err(format!("expected a quoted string at byte {}", self.pos));
        };
        let body = &self.rest()[1..];
        let end = body.find(quote).ok_or("unterminated string")?;
        let s = body[..end].to_string();
        self.pos += end + 2;
        Ok(s)
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_space();
        let rest = self.rest();
        if rest.starts_with('\'') || rest.starts_with('"') {
            return self.string().map(Value::Str);
        }
        for (word, b) in [("True", true), ("False", false)] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(Value::Bool(b));
            }
        }
        if rest.starts_with('(') {
            return self.tuple().map(Value::Tuple);
        }
        Err(format!("unexpected value at byte {}", self.pos))
    }

    fn tuple(&mut self) -> Result<Vec<usize>, String> {
        self.expect('(')?;
        let mut items = Vec::new();
        loop {
            if self.eat(')') {
                break;
            }
            items.push(self.integer()?);
            if !self.eat(',') {
                self.expect(')')?;
                break;
            }
        }
        Ok(items)
    }

    fn integer(&mut self) -> Result<usize, String> {
        self.skip_space();
        let rest = self.rest();
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(format!(
                "expected a non-negative integer at byte {}",
                self.pos
            ));
        }
        let value = rest[..digits]
            .parse::<usize>()
            .map_err(|_| format!("dimension {} is too large", &rest[..digits]))?;
        self.pos += digits;
        if self.rest().starts_with('L') {
            self.pos += 1; // Python 2 long suffix
        }
        Ok(value)
    }
}

/// Reads exactly `header`'s data from `reader` into planes, then checks nothing follows.
pub fn read_data(reader: &mut impl BufRead, header: &Header) -> Result<Raster, String> {
    let (height, _, _) = header.dims();
    let raster = read_pixels(reader, header, height)?;
    let mut extra = [0u8; 1];
    if reader
        .read(&mut extra)
        .map_err(|e| crate::error::describe_io(&e))?
        != 0
    {
        return Err(format!(
            "has data after the {} array the header describes",
            header.shape_text()
        ));
    }
    Ok(raster)
}

/// Reads rows `rows` of `header`'s array from a file whose data starts at
/// byte `data_start` (one MPI rank's band), after checking that the file
/// holds exactly the data the header describes: a raster of `rows.len()`
/// rows, as [`read_data`] would give for those rows.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub fn read_rows(
    reader: &mut (impl Read + io::Seek),
    header: &Header,
    data_start: u64,
    file_len: u64,
    rows: std::ops::Range<usize>,
) -> Result<Raster, String> {
    let (_, width, channels) = header.dims();
    let data = header.data_bytes().unwrap_or(u128::MAX);
    let available = u128::from(file_len.saturating_sub(data_start));
    if available < data {
        return Err(format!(
            "file is truncated: the {} array needs {data} bytes of data but the file has {available}",
            header.shape_text()
        ));
    }
    if available > data {
        return Err(format!(
            "has data after the {} array the header describes",
            header.shape_text()
        ));
    }
    let row_bytes = (width * channels * header.dtype.size()) as u64;
    reader
        .seek(io::SeekFrom::Start(
            data_start + rows.start as u64 * row_bytes,
        ))
        .map_err(|e| crate::error::describe_io(&e))?;
    read_pixels(&mut io::BufReader::new(reader), header, rows.len())
}

/// Reads `height` rows of `header`'s width and channels from `reader`.
fn read_pixels(reader: &mut impl Read, header: &Header, height: usize) -> Result<Raster, String> {
    let (_, width, channels) = header.dims();
    let pixels = height * width; // fits: the caller checked data_bytes against memory
    let planes = match header.dtype {
        Dtype::F32 => Planes::F32(read_planes(reader, pixels, channels, f32::from_le_bytes)?),
        Dtype::F64 => Planes::F64(read_planes(reader, pixels, channels, f64::from_le_bytes)?),
        Dtype::U8 => Planes::F32(read_planes(reader, pixels, channels, |[b]: [u8; 1]| {
            f32::from(b)
        })?),
        Dtype::U16 => Planes::F32(read_planes(reader, pixels, channels, |b: [u8; 2]| {
            f32::from(u16::from_le_bytes(b))
        })?),
    };
    let sample = match header.dtype {
        Dtype::F32 => SampleType::F32,
        Dtype::F64 => SampleType::F64,
        Dtype::U8 => SampleType::U8,
        Dtype::U16 => SampleType::U16,
    };
    Ok(Raster {
        width,
        height,
        layout: Layout {
            sample,
            channels,
            alpha: false,
            flat: header.shape.len() == 2,
        },
        planes,
        icc_profile: None,
        density: None,
    })
}

fn read_planes<T, const N: usize>(
    reader: &mut impl Read,
    pixels: usize,
    channels: usize,
    decode: fn([u8; N]) -> T,
) -> Result<Vec<Vec<T>>, String> {
    let mut planes: Vec<Vec<T>> = (0..channels).map(|_| Vec::with_capacity(pixels)).collect();
    if channels == 0 {
        return Ok(planes);
    }
    let pixel_bytes = channels * N;
    let per_chunk = (1 << 16) / pixel_bytes + 1;
    let mut buf = vec![0u8; per_chunk * pixel_bytes];
    let mut done = 0;
    while done < pixels {
        let n = per_chunk.min(pixels - done);
        let chunk = &mut buf[..n * pixel_bytes];
        reader.read_exact(chunk).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => format!(
                "file is truncated: the data ends within pixel {} of {pixels}",
                done + 1
            ),
            _ => crate::error::describe_io(&e),
        })?;
        for pixel in chunk.chunks_exact(pixel_bytes) {
            for (plane, sample) in planes.iter_mut().zip(pixel.chunks_exact(N)) {
                let mut bytes = [0u8; N];
                bytes.copy_from_slice(sample);
                plane.push(decode(bytes));
            }
        }
        done += n;
    }
    Ok(planes)
}

/// The header bytes for `dtype` and `shape`, padded to a multiple of 64 bytes.
pub fn header_bytes(dtype: Dtype, shape: &[usize]) -> Vec<u8> {
    let descr = match dtype {
        Dtype::F32 => "<f4",
        Dtype::F64 => "<f8",
        Dtype::U8 => "|u1",
        Dtype::U16 => "<u2",
    };
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape_text = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut dict =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Version 1.0 stores the header length in 2 bytes; longer headers need 2.0.
    let padded_len = |prefix: usize| {
        let unpadded = prefix + dict.len() + 1; // + the closing newline
        dict.len() + 1 + (64 - unpadded % 64) % 64
    };
    let (version, prefix) = if padded_len(10) <= usize::from(u16::MAX) {
        (1u8, 10)
    } else {
        (2u8, 12)
    };
    let target = padded_len(prefix);
    dict.push_str(&" ".repeat(target - dict.len() - 1));
    dict.push('\n');
    let mut out = Vec::with_capacity(prefix + dict.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out
}

/// Writes `raster` as `.npy` in its own sample type: float64 as `<f8`, float32
/// as `<f4`, 8-bit samples as `|u1` and 16-bit ones as `<u2` (rounded to nearest
/// and clamped to the type's range, as images are). Rasters marked `flat` (2-D
/// arrays, gray images) are written 2-D.
pub fn write(raster: &Raster, writer: &mut impl Write) -> io::Result<()> {
    writer.write_all(&header_for(raster, raster.height))?;
    write_data(raster, writer)
}

/// The header [`write()`] gives `raster`, for an array of `height` rows (its
/// own, or the whole array's when `raster` is one MPI rank's band).
pub fn header_for(raster: &Raster, height: usize) -> Vec<u8> {
    let (w, c) = (raster.width, raster.planes.len());
    let flat = c == 1 && raster.layout.flat;
    let shape: Vec<usize> = if flat {
        vec![height, w]
    } else {
        vec![height, w, c]
    };
    let dtype = match (&raster.planes, raster.layout.sample) {
        (Planes::F64(_), _) => Dtype::F64,
        (Planes::F32(_), SampleType::U8) => Dtype::U8,
        (Planes::F32(_), SampleType::U16) => Dtype::U16,
        (Planes::F32(_), _) => Dtype::F32,
    };
    header_bytes(dtype, &shape)
}

/// The data [`write()`] writes after the header: `raster`'s samples,
/// interleaved pixel by pixel, in the header's type.
pub fn write_data(raster: &Raster, writer: &mut impl Write) -> io::Result<()> {
    match &raster.planes {
        Planes::F32(planes) => match raster.layout.sample {
            SampleType::U8 => write_interleaved(planes, writer, |v: f32| [crate::raster::to_u8(v)]),
            SampleType::U16 => write_interleaved(planes, writer, |v: f32| {
                crate::raster::to_u16(v).to_le_bytes()
            }),
            SampleType::F32 | SampleType::F64 => {
                write_interleaved(planes, writer, |v: f32| v.to_le_bytes())
            }
        },
        Planes::F64(planes) => write_interleaved(planes, writer, |v: f64| v.to_le_bytes()),
    }
}

fn write_interleaved<T: Copy, const N: usize>(
    planes: &[Vec<T>],
    writer: &mut impl Write,
    encode: impl Fn(T) -> [u8; N],
) -> io::Result<()> {
    let pixels = planes.first().map_or(0, Vec::len);
    let mut buf = Vec::with_capacity(1 << 16);
    for i in 0..pixels {
        for plane in planes {
            buf.extend_from_slice(&encode(plane[i]));
        }
        if buf.len() >= 1 << 16 {
            writer.write_all(&buf)?;
            buf.clear();
        }
    }
    writer.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> Result<Header, String> {
        parse_header_dict(text)
    }

    #[test]
    fn parses_numpy_headers() {
        let h = header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }").unwrap();
        assert_eq!(
            h,
            Header {
                dtype: Dtype::F32,
                shape: vec![3, 4]
            }
        );
        let h = header("{\"shape\": (2,3,4), \"fortran_order\": False, \"descr\": \"<f8\"}  \n")
            .unwrap();
        assert_eq!(h.dims(), (2, 3, 4));
        assert_eq!(h.dtype, Dtype::F64);
        let h = header("{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 4L), }").unwrap();
        assert_eq!(h.shape, vec![3, 4]);
    }

    #[test]
    fn names_what_is_wrong() {
        let e = header("{'descr': '>f4', 'fortran_order': False, 'shape': (3, 4), }").unwrap_err();
        assert!(e.contains("big-endian") && e.contains(">f4"), "{e}");
        let e = header("{'descr': '<i4', 'fortran_order': False, 'shape': (3, 4), }").unwrap_err();
        assert!(e.contains("'<i4'"), "{e}");
        let e = header("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }").unwrap_err();
        assert!(e.contains("Fortran"), "{e}");
        let e = header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }").unwrap_err();
        assert!(e.contains("rank 1"), "{e}");
        let e = header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4), }")
            .unwrap_err();
        assert!(e.contains("rank 4"), "{e}");
        assert!(
            header("{'descr': '<f4', 'shape': (3, 4), }")
                .unwrap_err()
                .contains("fortran_order")
        );
        assert!(
            header("{'descr': '<f4' 'fortran_order'")
                .unwrap_err()
                .contains("malformed")
        );
        assert!(header("").unwrap_err().contains("malformed"));
        assert!(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4), }").is_err());
    }

    #[test]
    fn headers_are_64_byte_aligned_and_parse_back() {
        for shape in [
            vec![0, 0],
            vec![1, 1],
            vec![480, 640, 3],
            vec![123456789, 7, 1000],
        ] {
            for dtype in [Dtype::F32, Dtype::F64, Dtype::U8, Dtype::U16] {
                let bytes = header_bytes(dtype, &shape);
                assert_eq!(bytes.len() % 64, 0);
                assert_eq!(*bytes.last().unwrap(), b'\n');
                let parsed = read_header(&mut &bytes[..]).unwrap();
                assert_eq!(
                    parsed,
                    Header {
                        dtype,
                        shape: shape.clone()
                    }
                );
            }
        }
    }

    #[test]
    fn round_trip_is_bit_exact() {
        let bits = [
            0x7fc0_1234u32,
            0xff80_0000,
            0x0000_0001,
            0x8000_0000,
            0x3f80_0000,
            0x7f7f_ffff,
        ];
        let plane: Vec<f32> = (0..12)
            .map(|i| f32::from_bits(bits[i % bits.len()] ^ i as u32))
            .collect();
        let raster = Raster {
            width: 4,
            height: 1,
            layout: Layout {
                sample: SampleType::F32,
                channels: 3,
                alpha: false,
                flat: false,
            },
            planes: Planes::F32(vec![
                plane[..4].to_vec(),
                plane[4..8].to_vec(),
                plane[8..].to_vec(),
            ]),
            icc_profile: None,
            density: None,
        };
        let mut file = Vec::new();
        write(&raster, &mut file).unwrap();
        let mut reader = &file[..];
        let h = read_header(&mut reader).unwrap();
        assert_eq!(h.shape, vec![1, 4, 3]);
        let back = read_data(&mut reader, &h).unwrap();
        let (Planes::F32(a), Planes::F32(b)) = (&raster.planes, &back.planes) else {
            panic!()
        };
        for (pa, pb) in a.iter().zip(b) {
            let ba: Vec<u32> = pa.iter().map(|v| v.to_bits()).collect();
            let bb: Vec<u32> = pb.iter().map(|v| v.to_bits()).collect();
            assert_eq!(ba, bb);
        }
    }

    #[test]
    fn integer_arrays_keep_their_type_and_values() {
        for (dtype, descr, max) in [(Dtype::U8, "|u1", 255u32), (Dtype::U16, "<u2", 65535)] {
            let values: Vec<f32> = (0..15u32).map(|i| (i * 4099 % (max + 1)) as f32).collect();
            let raster = Raster {
                width: 5,
                height: 3,
                layout: Layout {
                    sample: if dtype == Dtype::U8 {
                        SampleType::U8
                    } else {
                        SampleType::U16
                    },
                    channels: 1,
                    alpha: false,
                    flat: true,
                },
                planes: Planes::F32(vec![values]),
                icc_profile: None,
                density: None,
            };
            let mut file = Vec::new();
            write(&raster, &mut file).unwrap();
            assert!(
                String::from_utf8_lossy(&file).contains(descr),
                "{descr} missing"
            );
            assert_eq!(file.len() % 64, (15 * dtype.size()) % 64);
            let mut reader = &file[..];
            let h = read_header(&mut reader).unwrap();
            assert_eq!((h.dtype, h.shape.clone()), (dtype, vec![3, 5]));
            assert_eq!(read_data(&mut reader, &h).unwrap(), raster);
        }
        for descr in ["<u1", "=u1", "|u1"] {
            assert_eq!(parse_descr(descr), Ok(Dtype::U8));
        }
        assert!(parse_descr(">u2").unwrap_err().contains("big-endian"));
        assert!(parse_descr("<i2").unwrap_err().contains("uint16 ('<u2')"));
    }

    #[test]
    fn truncated_and_trailing_data_are_refused() {
        let h = Header {
            dtype: Dtype::F64,
            shape: vec![2, 2],
        };
        let data = [0u8; 31];
        assert!(
            read_data(&mut &data[..], &h)
                .unwrap_err()
                .contains("truncated")
        );
        let data = [0u8; 33];
        assert!(read_data(&mut &data[..], &h).unwrap_err().contains("after"));
        let data = [0u8; 32];
        assert!(read_data(&mut &data[..], &h).is_ok());
    }

    #[test]
    fn bad_prefixes() {
        assert!(
            read_header(&mut &b"\x89PNG\r\n\x1a\n"[..])
                .unwrap_err()
                .contains("not a .npy")
        );
        assert!(
            read_header(&mut &b"\x93NUM"[..])
                .unwrap_err()
                .contains("not a .npy")
        );
        assert!(
            read_header(&mut &b"\x93NUMPY\x09\x00"[..])
                .unwrap_err()
                .contains("version 9.0")
        );
        assert!(
            read_header(&mut &b"\x93NUMPY\x01\x00\x40\x00{'descr'"[..])
                .unwrap_err()
                .contains("truncated")
        );
    }
}
