//! Helpers shared by the integration tests: running the real `accel` binary, making
//! test images and `.npy` files, and an independent `.npy` reader/writer (so the
//! binary's own implementation is checked against a second one, not against itself).
#![allow(dead_code)] // each test binary uses a different subset

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use image::{DynamicImage, ImageBuffer};

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// Exit status (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

/// Runs `accel` with `args` in `dir`, with no `ACCEL_NUM_THREADS` and no colour.
pub fn accel_in(dir: &Path, args: &[&str]) -> Run {
    accel_with_threads_env(dir, args, None)
}

/// Runs `accel` with `args` in `dir` and `ACCEL_NUM_THREADS` set to `threads`
/// (unset for `None`).
pub fn accel_with_threads_env(dir: &Path, args: &[&str], threads: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_accel"));
    command
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1"); // a backtrace must never appear, even when asked for
    match threads {
        Some(value) => command.env("ACCEL_NUM_THREADS", value),
        None => command.env_remove("ACCEL_NUM_THREADS"),
    };
    let out = command.output().expect("the accel binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `accel` with `args` in `dir` and the environment variables `vars` set.
pub fn accel_env(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_accel"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("ACCEL_NUM_THREADS");
    for (key, value) in vars {
        command.env(key, value);
    }
    let out = command.output().expect("the accel binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `accel` with `args` in `dir`, `stdin` on its standard input; returns the
/// run (its stdout lossily as text) and its stdout's exact bytes.
pub fn accel_piped(dir: &Path, args: &[&str], stdin: &[u8]) -> (Run, Vec<u8>) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_accel"))
        .args(args)
        .current_dir(dir)
        .env_remove("ACCEL_NUM_THREADS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the accel binary runs");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    // A writer thread, so a large input cannot deadlock against a full stdout.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("accel finishes");
    writer.join().expect("stdin writer");
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (run, out.stdout)
}

/// Runs `accel` with paths given relative to (or inside) `dir`.
pub fn accel(dir: &Path, args: &[&str]) -> Run {
    accel_in(dir, args)
}

impl Run {
    /// Asserts success (status 0) and no error output.
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "expected success, got {self:#?}");
        assert!(
            !self.stderr.contains("error"),
            "unexpected stderr: {self:#?}"
        );
        self
    }

    /// Asserts a failure with `code` and exactly one stderr line,
    /// `accel: error: …`, that contains every string in `needles`.
    pub fn assert_error(&self, code: i32, needles: &[&str]) -> &Self {
        assert_eq!(self.code, Some(code), "wrong exit status: {self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected exactly one stderr line: {self:#?}"
        );
        assert!(
            lines[0].starts_with("accel: error: "),
            "bad prefix: {self:#?}"
        );
        for needle in needles {
            assert!(
                lines[0].contains(needle),
                "stderr lacks {needle:?}: {self:#?}"
            );
        }
        for forbidden in ["panicked", "backtrace", "RUST_BACKTRACE", "thread '"] {
            assert!(!self.stderr.contains(forbidden), "panic output: {self:#?}");
        }
        assert!(
            self.stdout.is_empty(),
            "stdout should be empty on failure: {self:#?}"
        );
        self
    }
}

/// A fresh temporary directory.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Names of the entries in `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A deterministic pseudo-random sequence (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform f32 in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// The colour types a test image can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    L8,
    La8,
    Rgb8,
    Rgba8,
    L16,
    La16,
    Rgb16,
    Rgba16,
    Rgb32F,
    Rgba32F,
}

/// Every integer colour type (what PNG stores).
pub const INTEGER_KINDS: [Kind; 8] = [
    Kind::L8,
    Kind::La8,
    Kind::Rgb8,
    Kind::Rgba8,
    Kind::L16,
    Kind::La16,
    Kind::Rgb16,
    Kind::Rgba16,
];

/// Every 5th sample is the type's minimum or maximum, so clamping bugs show.
fn extreme<T>(i: usize, random: T, min: T, max: T) -> T {
    match i % 10 {
        0 => min,
        5 => max,
        _ => random,
    }
}

/// A random image of `kind`, full range of the sample type (floats in [-2, 2)),
/// with the extreme values present.
pub fn random_image(kind: Kind, width: u32, height: u32, seed: u64) -> DynamicImage {
    let mut rng = Rng::new(seed);
    let n = (width * height) as usize;
    let mut u8s = |c: usize| -> Vec<u8> {
        (0..n * c)
            .map(|i| extreme(i, rng.next() as u8, 0, u8::MAX))
            .collect()
    };
    let (w, h) = (width, height);
    match kind {
        Kind::L8 => DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, h, u8s(1)).unwrap()),
        Kind::La8 => DynamicImage::ImageLumaA8(ImageBuffer::from_raw(w, h, u8s(2)).unwrap()),
        Kind::Rgb8 => DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, u8s(3)).unwrap()),
        Kind::Rgba8 => DynamicImage::ImageRgba8(ImageBuffer::from_raw(w, h, u8s(4)).unwrap()),
        Kind::L16 => DynamicImage::ImageLuma16(ImageBuffer::from_raw(w, h, u16s(seed, n)).unwrap()),
        Kind::La16 => {
            DynamicImage::ImageLumaA16(ImageBuffer::from_raw(w, h, u16s(seed, 2 * n)).unwrap())
        }
        Kind::Rgb16 => {
            DynamicImage::ImageRgb16(ImageBuffer::from_raw(w, h, u16s(seed, 3 * n)).unwrap())
        }
        Kind::Rgba16 => {
            DynamicImage::ImageRgba16(ImageBuffer::from_raw(w, h, u16s(seed, 4 * n)).unwrap())
        }
        Kind::Rgb32F => {
            DynamicImage::ImageRgb32F(ImageBuffer::from_raw(w, h, f32s(seed, 3 * n)).unwrap())
        }
        Kind::Rgba32F => {
            DynamicImage::ImageRgba32F(ImageBuffer::from_raw(w, h, f32s(seed, 4 * n)).unwrap())
        }
    }
}

fn u16s(seed: u64, len: usize) -> Vec<u16> {
    let mut rng = Rng::new(seed);
    (0..len)
        .map(|i| extreme(i, rng.next() as u16, 0, u16::MAX))
        .collect()
}

fn f32s(seed: u64, len: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.unit() * 4.0 - 2.0).collect()
}

/// An image's samples as f64, interleaved, whatever its type.
pub fn samples(img: &DynamicImage) -> Vec<f64> {
    match img {
        DynamicImage::ImageLuma8(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageLumaA8(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageRgb8(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageRgba8(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageLuma16(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageLumaA16(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageRgb16(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageRgba16(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageRgb32F(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        DynamicImage::ImageRgba32F(b) => b.as_raw().iter().map(|&v| f64::from(v)).collect(),
        other => panic!("unexpected image type {:?}", other.color()),
    }
}

/// Opens an image file (format by content).
pub fn load(path: &Path) -> DynamicImage {
    image::ImageReader::open(path)
        .expect("open")
        .with_guessed_format()
        .expect("guess")
        .decode()
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()))
}

/// An array read from a `.npy` file by the tests' own reader.
#[derive(Debug, Clone, PartialEq)]
pub struct Npy {
    /// `"<f4"` or `"<f8"`.
    pub descr: String,
    /// The shape.
    pub shape: Vec<usize>,
    /// Raw little-endian element bytes.
    pub data: Vec<u8>,
}

impl Npy {
    /// Float32 array from values.
    pub fn f32(shape: &[usize], values: &[f32]) -> Self {
        Npy {
            descr: "<f4".into(),
            shape: shape.to_vec(),
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    /// Float64 array from values.
    pub fn f64(shape: &[usize], values: &[f64]) -> Self {
        Npy {
            descr: "<f8".into(),
            shape: shape.to_vec(),
            data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    /// Uint8 or uint16 array from values (`descr` `|u1` or `<u2`).
    pub fn int(descr: &str, shape: &[usize], values: &[u16]) -> Self {
        let data = match descr {
            "|u1" => values.iter().map(|&v| v as u8).collect(),
            "<u2" => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            d => panic!("not an integer dtype: {d}"),
        };
        Npy {
            descr: descr.into(),
            shape: shape.to_vec(),
            data,
        }
    }

    /// The elements as f64 (from f32, f64, uint8 or uint16 data).
    pub fn values(&self) -> Vec<f64> {
        match self.descr.as_str() {
            "|u1" => self.data.iter().map(|&b| f64::from(b)).collect(),
            "<u2" => self
                .data
                .chunks_exact(2)
                .map(|c| f64::from(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
            "<f4" => self
                .data
                .chunks_exact(4)
                .map(|c| f64::from(f32::from_le_bytes(c.try_into().unwrap())))
                .collect(),
            "<f8" => self
                .data
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                .collect(),
            d => panic!("unexpected dtype {d}"),
        }
    }

    /// Serialises as numpy 1.x would (version 1.0, header padded to 64 bytes),
    /// with `descr`, `fortran` and the header text overridable for bad-input tests.
    pub fn to_bytes_with(&self, descr: &str, fortran: bool) -> Vec<u8> {
        let shape = match self.shape.len() {
            1 => format!("({},)", self.shape[0]),
            _ => format!(
                "({})",
                self.shape
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let fortran = if fortran { "True" } else { "False" };
        let dict =
            format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}");
        let mut header = dict.into_bytes();
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(b' ');
        }
        header.push(b'\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.data);
        out
    }

    /// Serialises as numpy would.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_bytes_with(&self.descr, false)
    }

    /// Writes the array to `path` as numpy would.
    pub fn write(&self, path: &Path) {
        fs::write(path, self.to_bytes()).expect("write .npy");
    }

    /// Parses a `.npy` file (versions 1–3, little-endian, C order only).
    pub fn parse(bytes: &[u8]) -> Self {
        assert_eq!(&bytes[..6], b"\x93NUMPY", "magic");
        let (len, start) = match bytes[6] {
            1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
            2 | 3 => (
                u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
                12,
            ),
            v => panic!("version {v}"),
        };
        assert_eq!((start + len) % 64, 0, "numpy aligns the data to 64 bytes");
        let header = std::str::from_utf8(&bytes[start..start + len]).unwrap();
        assert!(header.ends_with('\n'));
        let descr = header
            .split("'descr': '")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap()
            .to_string();
        assert!(header.contains("'fortran_order': False"), "{header}");
        let shape_text = header
            .split("'shape': (")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap();
        let shape: Vec<usize> = shape_text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let data = bytes[start + len..].to_vec();
        let item = match descr.as_str() {
            "<f8" => 8,
            "<u2" => 2,
            "|u1" => 1,
            _ => 4,
        };
        assert_eq!(
            data.len(),
            shape.iter().product::<usize>() * item,
            "data length"
        );
        Npy { descr, shape, data }
    }

    /// Reads a file.
    pub fn read(path: &Path) -> Self {
        Npy::parse(&fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    }
}

/// Path helper: `dir/name` as a String (the binary takes strings).
pub fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// Path helper returning a PathBuf.
pub fn pb(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// CRC-32 (IEEE), for crafting PNG chunks.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG chunk with its length and CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A PNG whose header claims `width × height` RGBA 16-bit but holds almost no data.
pub fn huge_png(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]); // 16-bit, RGBA, deflate, no filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    png
}
