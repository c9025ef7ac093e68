//! Which file format a path means, and reading/writing a [`Raster`] in it.
//!
//! The output's format is chosen by its extension (checked before any work, as a
//! usage error); the input's by its content (the `.npy` magic, else the image
//! signatures), so a mislabelled input still reads. Images go through
//! [`crate::image_file`], arrays through [`crate::npy`].

use std::io::{BufRead, Read, Seek, Write};
use std::path::Path;

use crate::args::FormatArg;
use crate::error::{Error, describe_io};
use crate::image_file::{self, EncodeOptions, ImageKind};
use crate::input::Input;
use crate::memory;
use crate::npy;
use crate::raster::{Layout, Raster};

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
    /// The format an output path asks for: `forced` (`--format`) if given, else
    /// the path's extension (case-insensitive). Standard output (`-`) needs
    /// `forced`; a known extension that disagrees with `forced` is refused.
    pub fn for_output(path: &Path, forced: Option<FileFormat>) -> Result<Self, Error> {
        if crate::input::is_stdio(path) {
            return forced.ok_or_else(|| {
                Error::usage(
                    "output",
                    "-",
                    "standard output has no extension to choose the format by; add --format \
                     (png, jpeg, tiff, bmp, webp or npy)",
                )
            });
        }
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
        let by_extension = ext.as_deref().and_then(Self::for_extension);
        match (forced, by_extension, ext) {
            (Some(f), Some(e), Some(ext)) if f != e => Err(Error::usage(
                "--format",
                f.extension(),
                format!(
                    "conflicts with the extension .{ext} of {}; drop one of them",
                    path.display()
                ),
            )),
            (Some(f), _, _) | (None, Some(f), _) => Ok(f),
            (None, None, Some(other)) => Err(Error::usage(
                "output extension",
                format!(".{other}"),
                format!(
                    "unsupported format for {} (supported: {OUTPUT_EXTENSIONS}; or name one \
                     with --format)",
                    path.display()
                ),
            )),
            (None, None, None) => Err(Error::usage(
                "output file name",
                path.display().to_string(),
                format!(
                    "has no extension to choose the format by (use one of {OUTPUT_EXTENSIONS}, \
                     or --format)"
                ),
            )),
        }
    }

    /// The format a lower-case extension names.
    fn for_extension(ext: &str) -> Option<Self> {
        Some(match ext {
            "png" => FileFormat::Image(ImageKind::Png),
            "jpg" | "jpeg" => FileFormat::Image(ImageKind::Jpeg),
            "tif" | "tiff" => FileFormat::Image(ImageKind::Tiff),
            "bmp" => FileFormat::Image(ImageKind::Bmp),
            "webp" => FileFormat::Image(ImageKind::WebP),
            "npy" => FileFormat::Npy,
            _ => return None,
        })
    }

    /// The format `--format` names.
    pub fn from_arg(arg: FormatArg) -> Self {
        match arg {
            FormatArg::Png => FileFormat::Image(ImageKind::Png),
            FormatArg::Jpeg => FileFormat::Image(ImageKind::Jpeg),
            FormatArg::Tiff => FileFormat::Image(ImageKind::Tiff),
            FormatArg::Bmp => FileFormat::Image(ImageKind::Bmp),
            FormatArg::Webp => FileFormat::Image(ImageKind::WebP),
            FormatArg::Npy => FileFormat::Npy,
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Image(kind) => kind.extension(),
            FileFormat::Npy => "npy",
        }
    }

    /// The name users know it by.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Image(kind) => kind.name(),
            FileFormat::Npy => "NPY",
        }
    }
}

/// Reads an input, whatever supported format its content is in; an image (not
/// a `.npy` array) with more than `max_pixels` pixels is refused from its header,
/// before decoding.
pub fn read(input: &Input, max_pixels: u64) -> Result<(Raster, FileFormat, Vec<String>), Error> {
    let path = input.path();
    let fail = |reason: String| Error::input(path, reason);
    let mut reader = input.reader().map_err(|e| fail(describe_io(&e)))?;
    let mut magic = [0u8; 6];
    let got = read_up_to(&mut reader, &mut magic).map_err(|e| fail(describe_io(&e)))?;
    reader.rewind().map_err(|e| fail(describe_io(&e)))?;
    let npy_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if &magic[..got] == npy::MAGIC.as_slice() || npy_name {
        return read_npy(reader, input.len())
            .map(|r| (r, FileFormat::Npy, Vec::new()))
            .map_err(fail);
    }
    image_file::read(input, reader, max_pixels)
        .map(|decoded| {
            (
                decoded.raster,
                FileFormat::Image(decoded.kind),
                decoded.warnings,
            )
        })
        .map_err(fail)
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Reads a `.npy` array of `input_len` bytes after checking that it fits in
/// memory and in the input.
fn read_npy(mut reader: impl BufRead + Seek, input_len: u64) -> Result<Raster, String> {
    let header = npy::read_header(&mut reader)?;
    let shape = header.shape_text();
    let (h, w, c) = header.dims();
    let data = header.data_bytes();
    // The planes hold the data in f32 (f64 for float64), and the integer
    // types' planes are f32 copies; blurring adds the kernel's scratch, two
    // planes of the planes' type at most (the second buffer and, for one thread
    // with an edge-reading boundary, a padded copy).
    let (plane_bytes, planes) = match header.dtype {
        npy::Dtype::F64 => (8, 2),
        npy::Dtype::F32 => (4, 2),
        npy::Dtype::U8 | npy::Dtype::U16 => (4, c as u128 + 2),
    };
    let extra = memory::product(&[h as u128, w as u128, plane_bytes, planes]);
    let needed = data.zip(extra).and_then(|(d, e)| d.checked_add(e));
    memory::ensure_fits(needed).map_err(|e| format!("array {shape} {e}"))?;
    let data = data.unwrap_or(0); // checked just above
    let header_len = reader.stream_position().map_err(|e| describe_io(&e))?;
    let available = u128::from(input_len.saturating_sub(header_len));
    if available < data {
        return Err(format!(
            "file is truncated: the {shape} array needs {data} bytes of data but the file has {available}"
        ));
    }
    npy::read_data(&mut reader, &header)
}

/// Checks before any work that `format` can hold samples of `layout` exactly.
pub fn check_writable(layout: &Layout, format: FileFormat, output: &Path) -> Result<(), Error> {
    match format {
        FileFormat::Npy => Ok(()),
        FileFormat::Image(kind) => {
            image_file::check_writable(layout, kind).map_err(|reason| Error::output(output, reason))
        }
    }
}

/// Encodes `raster` in `format` into `writer`.
pub fn write<W: Write + Seek>(
    raster: &Raster,
    format: FileFormat,
    options: EncodeOptions,
    writer: &mut W,
) -> Result<(), String> {
    match format {
        FileFormat::Npy => npy::write(raster, writer).map_err(|e| describe_io(&e)),
        FileFormat::Image(kind) => image_file::write(raster, kind, options, writer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_formats_by_extension() {
        let by_ext = |p: &str| FileFormat::for_output(Path::new(p), None);
        assert_eq!(
            by_ext("a/b.PNG").unwrap(),
            FileFormat::Image(ImageKind::Png)
        );
        assert_eq!(
            by_ext("x.jpeg").unwrap(),
            FileFormat::Image(ImageKind::Jpeg)
        );
        assert_eq!(by_ext("x.tif").unwrap(), FileFormat::Image(ImageKind::Tiff));
        assert_eq!(by_ext("x.npy").unwrap(), FileFormat::Npy);
        let e = by_ext("x.gif").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("'.gif'"), "{e}");
        let e = by_ext("noext").unwrap_err();
        assert!(e.to_string().contains("'noext'"), "{e}");
        let png = FileFormat::Image(ImageKind::Png);
        let forced = |p: &str| FileFormat::for_output(Path::new(p), Some(png));
        assert_eq!(forced("-").unwrap(), png);
        assert_eq!(forced("noext").unwrap(), png);
        assert_eq!(forced("x.dat").unwrap(), png);
        let e = forced("x.jpg").unwrap_err();
        assert!(
            e.to_string().contains("conflicts with the extension .jpg"),
            "{e}"
        );
        let e = by_ext("-").unwrap_err();
        assert!(e.to_string().contains("--format"), "{e}");
    }
}
