//! Where an input comes from: a regular file, or a stream read to its end.
//!
//! A regular file is read in place (decoders seek in it, `.npy` data is read
//! straight into planes). Anything else — `-` for standard input, a named pipe,
//! `/dev/stdin`, a character device — cannot be measured or rewound, so it is
//! read into memory first, then decoded from there exactly like a file: the
//! format is sniffed from the content in both cases. The amount read from a
//! stream is bounded by the memory available, so an endless stream ends in an
//! error rather than in the out-of-memory killer.

use std::fs::File;
use std::io::{Cursor, IsTerminal, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, describe_io};
use crate::memory;

/// The spelling of standard input and standard output on the command line.
pub const STDIO: &str = "-";

/// Whether `path` is `-`, standard input or output.
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == STDIO
}

/// An input, checked and ready to decode.
#[derive(Debug)]
pub enum Input {
    /// A regular file of `len` bytes, read in place.
    File {
        /// The path as given.
        path: PathBuf,
        /// Its length in bytes (at least 1).
        len: u64,
    },
    /// A stream (standard input, a pipe, a device) read to its end.
    Stream {
        /// The name given on the command line (`-` for standard input).
        path: PathBuf,
        /// Everything the stream held (at least 1 byte).
        bytes: Vec<u8>,
    },
}

/// A reader over an [`Input`]'s bytes that decoders may seek in.
pub enum InputReader<'a> {
    /// A regular file.
    File(std::io::BufReader<File>),
    /// The bytes of a stream.
    Memory(Cursor<&'a [u8]>),
}

impl Read for InputReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            InputReader::File(r) => r.read(buf),
            InputReader::Memory(r) => r.read(buf),
        }
    }
}

impl std::io::BufRead for InputReader<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        match self {
            InputReader::File(r) => r.fill_buf(),
            InputReader::Memory(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match self {
            InputReader::File(r) => r.consume(amount),
            InputReader::Memory(r) => r.consume(amount),
        }
    }
}

impl std::io::Seek for InputReader<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        match self {
            InputReader::File(r) => r.seek(to),
            InputReader::Memory(r) => r.seek(to),
        }
    }
}

impl Input {
    /// Checks `path` cheaply (exists, not a directory, not empty) and, for a
    /// stream, reads it to its end.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let fail = |reason: String| Error::input(path, reason);
        if is_stdio(path) {
            if std::io::stdin().is_terminal() {
                return Err(Error::usage(
                    "input",
                    STDIO,
                    "standard input is a terminal; pipe or redirect an image into it",
                ));
            }
            let bytes = read_stream(std::io::stdin().lock()).map_err(fail)?;
            return Self::stream(path, bytes);
        }
        let meta = std::fs::metadata(path).map_err(|e| fail(describe_io(&e)))?;
        if meta.is_dir() {
            return Err(fail("is a directory, not a file".to_string()));
        }
        if !meta.is_file() {
            // A pipe, /dev/stdin or a device: its length says nothing.
            let file = File::open(path).map_err(|e| fail(describe_io(&e)))?;
            let bytes = read_stream(file).map_err(fail)?;
            return Self::stream(path, bytes);
        }
        if meta.len() == 0 {
            return Err(fail("file is empty".to_string()));
        }
        Ok(Input::File {
            path: path.to_path_buf(),
            len: meta.len(),
        })
    }

    fn stream(path: &Path, bytes: Vec<u8>) -> Result<Self, Error> {
        if bytes.is_empty() {
            return Err(Error::input(
                path,
                "the stream is empty (nothing was read before its end)",
            ));
        }
        Ok(Input::Stream {
            path: path.to_path_buf(),
            bytes,
        })
    }

    /// The path as given on the command line.
    pub fn path(&self) -> &Path {
        match self {
            Input::File { path, .. } | Input::Stream { path, .. } => path,
        }
    }

    /// The input's length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Input::File { len, .. } => *len,
            Input::Stream { bytes, .. } => bytes.len() as u64,
        }
    }

    /// A reader from the first byte.
    pub fn reader(&self) -> std::io::Result<InputReader<'_>> {
        Ok(match self {
            Input::File { path, .. } => {
                InputReader::File(std::io::BufReader::new(File::open(path)?))
            }
            Input::Stream { bytes, .. } => InputReader::Memory(Cursor::new(bytes)),
        })
    }

    /// The whole content, for the few checks that need it at once.
    pub fn bytes(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        Ok(match self {
            Input::File { path, .. } => std::fs::read(path)?.into(),
            Input::Stream { bytes, .. } => bytes.as_slice().into(),
        })
    }
}

/// Reads a stream to its end, refusing to hold more than the memory available.
fn read_stream(stream: impl Read) -> Result<Vec<u8>, String> {
    let limit = memory::available_bytes().unwrap_or(u64::MAX);
    let mut bytes = Vec::new();
    stream
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the stream: {}", describe_io(&e)))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "the stream holds more than the {} of memory available",
            memory::human_bytes(u128::from(limit))
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, Seek};

    #[test]
    fn a_regular_file_is_read_in_place_and_a_device_as_a_stream() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.bin");
        std::fs::write(&file, b"abc").unwrap();
        let input = Input::open(&file).unwrap();
        assert!(matches!(input, Input::File { len: 3, .. }));
        let mut r = input.reader().unwrap();
        assert_eq!(r.fill_buf().unwrap(), b"abc");
        r.consume(2);
        r.rewind().unwrap();
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"abc");

        let empty = dir.path().join("e.bin");
        std::fs::write(&empty, b"").unwrap();
        assert!(
            Input::open(&empty)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        let e = Input::open(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
        // /dev/null is a character device: read as a stream, found empty.
        let e = Input::open(Path::new("/dev/null")).unwrap_err().to_string();
        assert!(e.contains("stream is empty"), "{e}");
    }

    #[test]
    fn a_stream_is_held_in_memory() {
        let input = Input::stream(Path::new("-"), b"\x93NUMPY".to_vec()).unwrap();
        assert_eq!(input.len(), 6);
        assert_eq!(&*input.bytes().unwrap(), b"\x93NUMPY");
        assert!(is_stdio(input.path()));
        assert_eq!(read_stream(&b"xyz"[..]).unwrap(), b"xyz");
    }
}
