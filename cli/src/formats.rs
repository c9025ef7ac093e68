//! Which file format a path means, and reading/writing a [`Raster`] in it.
//!
//! The output's format is chosen by its extension (checked before any work, as a
//! usage error); the input's by its content (the `.npy` magic, else the image
//! signatures), so a mislabelled input still reads. Images go through
//! [`crate::image_file`], arrays through [`crate::npy`].

use std::fs::File;
use std::io::{BufReader, Read, Seek, Write};
use std::path::Path;

use crate::error::{Error, describe_io};
use crate::image_file::{self, ImageKind};
use crate::memory;
use crate::npy;
use crate::raster::Raster;

/// A file format the command reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// An image format handled by the `image` crate.
    Image(ImageKind),
    /// NumPy `.npy`.
    Npy,
}

/// The extensions accepted for output, as listed to users.
pub const OUTPUT_EXTENSIONS: &str = "png, jpg, jpeg, tif, tiff, bmp, webp, npy";

impl FileFormat {
    /// The format an output path asks for, from its extension (case-insensitive).
    pub fn for_output(path: &Path) -> Result<Self, Error> {
        if path.is_dir() {
            return Err(Error::output(
                path,
                format!(
                    "is a directory; name the file to write, e.g. '{}'",
                    path.join("out.png").display()
                ),
            ));
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let format = match ext.as_deref() {
            Some("png") => FileFormat::Image(ImageKind::Png),
            Some("jpg" | "jpeg") => FileFormat::Image(ImageKind::Jpeg),
            Some("tif" | "tiff") => FileFormat::Image(ImageKind::Tiff),
            Some("bmp") => FileFormat::Image(ImageKind::Bmp),
            Some("webp") => FileFormat::Image(ImageKind::WebP),
            Some("npy") => FileFormat::Npy,
            Some(other) => {
                return Err(Error::usage(
                    "output extension",
                    format!(".{other}"),
                    format!(
                        "unsupported format for {} (supported: {OUTPUT_EXTENSIONS})",
                        path.display()
                    ),
                ));
            }
            None => {
                return Err(Error::usage(
                    "output file name",
                    path.display().to_string(),
                    format!(
                        "has no extension to choose the format by (use one of {OUTPUT_EXTENSIONS})"
                    ),
                ));
            }
        };
        Ok(format)
    }

    /// The name users know it by.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Image(kind) => kind.name(),
            FileFormat::Npy => "NPY",
        }
    }
}

/// Cheap checks on the input path (exists, is a file, not empty), so these are
/// reported before any other work; returns the file's length.
pub fn probe_input(path: &Path) -> Result<u64, Error> {
    let fail = |reason: String| Error::input(path, reason);
    let meta = std::fs::metadata(path).map_err(|e| fail(describe_io(&e)))?;
    if meta.is_dir() {
        return Err(fail("is a directory, not a file".to_string()));
    }
    if meta.len() == 0 {
        return Err(fail("file is empty".to_string()));
    }
    Ok(meta.len())
}

/// Reads the input file, whatever supported format its content is in; an image
/// (not a `.npy` array) with more than `max_pixels` pixels is refused from its
/// header, before decoding.
pub fn read(path: &Path, max_pixels: u64) -> Result<(Raster, FileFormat), Error> {
    let fail = |reason: String| Error::input(path, reason);
    let len = probe_input(path)?;
    let mut file = File::open(path).map_err(|e| fail(describe_io(&e)))?;
    let mut magic = [0u8; 6];
    let got = read_up_to(&mut file, &mut magic).map_err(|e| fail(describe_io(&e)))?;
    let npy_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if &magic[..got] == npy::MAGIC.as_slice() || npy_name {
        file.rewind().map_err(|e| fail(describe_io(&e)))?;
        return read_npy(file, len)
            .map(|r| (r, FileFormat::Npy))
            .map_err(fail);
    }
    drop(file);
    image_file::read(path, max_pixels)
        .map(|(r, kind)| (r, FileFormat::Image(kind)))
        .map_err(fail)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Reads a `.npy` file after checking that its array fits in memory and in the file.
fn read_npy(file: File, file_len: u64) -> Result<Raster, String> {
    let mut reader = BufReader::new(file);
    let header = npy::read_header(&mut reader)?;
    let shape = header.shape_text();
    let (h, w, c) = header.dims();
    let data = header.data_bytes();
    // The planes hold the data as-is; blurring adds the kernel's scratch plane and,
    // for float64 data, an f32 copy of every plane.
    let copies = match header.dtype {
        npy::Dtype::F32 => 1,
        npy::Dtype::F64 => c as u128 + 1,
    };
    let extra = memory::product(&[h as u128, w as u128, 4, copies]);
    let needed = data.zip(extra).and_then(|(d, e)| d.checked_add(e));
    memory::ensure_fits(needed).map_err(|e| format!("array {shape} {e}"))?;
    let data = data.unwrap_or(0); // checked just above
    let header_len = reader.stream_position().map_err(|e| describe_io(&e))?;
    let available = u128::from(file_len.saturating_sub(header_len));
    if available < data {
        return Err(format!(
            "file is truncated: the {shape} array needs {data} bytes of data but the file has {available}"
        ));
    }
    npy::read_data(&mut reader, &header)
}

/// Checks before any work that `format` can hold `raster`'s samples exactly.
pub fn check_writable(raster: &Raster, format: FileFormat, output: &Path) -> Result<(), Error> {
    match format {
        FileFormat::Npy => Ok(()),
        FileFormat::Image(kind) => image_file::check_writable(&raster.layout, kind)
            .map_err(|reason| Error::output(output, reason)),
    }
}

/// Encodes `raster` in `format` into `writer`.
pub fn write<W: Write + Seek>(
    raster: &Raster,
    format: FileFormat,
    writer: &mut W,
) -> Result<(), String> {
    match format {
        FileFormat::Npy => npy::write(raster, writer).map_err(|e| describe_io(&e)),
        FileFormat::Image(kind) => image_file::write(raster, kind, writer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_formats_by_extension() {
        assert_eq!(
            FileFormat::for_output(Path::new("a/b.PNG")).unwrap(),
            FileFormat::Image(ImageKind::Png)
        );
        assert_eq!(
            FileFormat::for_output(Path::new("x.jpeg")).unwrap(),
            FileFormat::Image(ImageKind::Jpeg)
        );
        assert_eq!(
            FileFormat::for_output(Path::new("x.tif")).unwrap(),
            FileFormat::Image(ImageKind::Tiff)
        );
        assert_eq!(
            FileFormat::for_output(Path::new("x.npy")).unwrap(),
            FileFormat::Npy
        );
        let e = FileFormat::for_output(Path::new("x.gif")).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("'.gif'"), "{e}");
        let e = FileFormat::for_output(Path::new("noext")).unwrap_err();
        assert!(e.to_string().contains("'noext'"), "{e}");
    }
}
