//! Which input goes to which output: the command line's files as a list of jobs.
//!
//! Three spellings, checked before any file is read:
//! - `accel blur INPUT OUTPUT`: one job (the form every example uses);
//! - `accel blur INPUT -o OUTPUT`: the same, named;
//! - `accel blur A B C --out-dir DIR`: one job per input, each written to
//!   `DIR/<input's file name>` (with `--format`, under that format's extension).
//!
//! Everything that can be refused from names alone is refused here, as a usage
//! error: an output format that cannot be chosen, two inputs that would write the
//! same output, `-` where no file name can be derived from it, `--quality` with
//! no JPEG or WebP output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::args::BlurArgs;
use crate::error::Error;
use crate::formats::FileFormat;
use crate::image_file::ImageKind;
use crate::input::is_stdio;

/// One input to blur and where its result goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The input as given (`-` for standard input).
    pub input: PathBuf,
    /// The output path (`-` for standard output).
    pub output: PathBuf,
    /// The output's format.
    pub format: FileFormat,
}

/// The jobs `args` asks for, in command-line order.
pub fn jobs(args: &BlurArgs) -> Result<Vec<Job>, Error> {
    let forced = args.format.map(FileFormat::from_arg);
    let pairs: Vec<(PathBuf, PathBuf)> = match (&args.output, &args.out_dir) {
        (Some(output), _) => match &args.files[..] {
            [input] => vec![(input.clone(), output.clone())],
            files => {
                return Err(Error::usage(
                    "-o",
                    output.display().to_string(),
                    format!(
                        "names one output, but {} inputs were given; use --out-dir DIR for several",
                        files.len()
                    ),
                ));
            }
        },
        (None, Some(dir)) => args
            .files
            .iter()
            .map(|input| Ok((input.clone(), output_in(dir, input, forced)?)))
            .collect::<Result<_, Error>>()?,
        (None, None) => match &args.files[..] {
            [input, output] => vec![(input.clone(), output.clone())],
            [input] => {
                return Err(Error::usage(
                    "command line",
                    input.display().to_string(),
                    "no output given: write 'accel blur INPUT OUTPUT', or use -o OUTPUT or \
                     --out-dir DIR",
                ));
            }
            files => {
                return Err(Error::usage(
                    "command line",
                    files[2].display().to_string(),
                    format!(
                        "{} files given: blur several with --out-dir DIR (then every file is \
                         an input)",
                        files.len()
                    ),
                ));
            }
        },
    };
    let mut jobs = Vec::with_capacity(pairs.len());
    let mut seen: HashMap<PathBuf, &Path> = HashMap::new();
    for (input, output) in &pairs {
        if !is_stdio(output)
            && let Some(first) = seen.insert(output.clone(), input)
        {
            return Err(Error::usage(
                "--out-dir",
                output.display().to_string(),
                format!(
                    "'{}' and '{}' would both be written there",
                    first.display(),
                    input.display()
                ),
            ));
        }
        let format = FileFormat::for_output(output, forced)?;
        jobs.push(Job {
            input: input.clone(),
            output: output.clone(),
            format,
        });
    }
    if let Some(q) = args.quality {
        let lossy = |f: FileFormat| {
            matches!(
                f,
                FileFormat::Image(ImageKind::Jpeg) | FileFormat::Image(ImageKind::WebP)
            )
        };
        if !jobs.iter().any(|j| lossy(j.format)) {
            return Err(Error::usage(
                "--quality",
                q.to_string(),
                "applies to JPEG and WebP output only, and no output is either",
            ));
        }
    }
    Ok(jobs)
}

/// `dir/<input's file name>`, with `forced`'s extension if given.
fn output_in(dir: &Path, input: &Path, forced: Option<FileFormat>) -> Result<PathBuf, Error> {
    let Some(name) = input.file_name().filter(|_| !is_stdio(input)) else {
        return Err(Error::usage(
            "input",
            input.display().to_string(),
            "has no file name to write under --out-dir; use -o OUTPUT",
        ));
    };
    let mut out = dir.join(name);
    if let Some(format) = forced {
        out.set_extension(format.extension());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Vec<Job>, Error> {
        let mut all = vec!["accel", "blur"];
        all.extend_from_slice(args);
        let Command::Blur(blur) = Cli::try_parse_from(all).unwrap().command else {
            panic!("not blur")
        };
        jobs(&blur)
    }

    fn pairs(args: &[&str]) -> Vec<(String, String)> {
        parse(args)
            .unwrap()
            .into_iter()
            .map(|j| {
                (
                    j.input.display().to_string(),
                    j.output.display().to_string(),
                )
            })
            .collect()
    }

    fn own(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn the_three_spellings() {
        assert_eq!(pairs(&["a.png", "b.jpg"]), own(&[("a.png", "b.jpg")]));
        assert_eq!(pairs(&["a.png", "-o", "b.jpg"]), own(&[("a.png", "b.jpg")]));
        assert_eq!(
            pairs(&["x/a.png", "b.jpg", "--out-dir", "out"]),
            own(&[("x/a.png", "out/a.png"), ("b.jpg", "out/b.jpg")])
        );
        assert_eq!(
            pairs(&["a.png", "b.jpg", "--out-dir", "out", "--format", "webp"]),
            own(&[("a.png", "out/a.webp"), ("b.jpg", "out/b.webp")])
        );
        assert_eq!(pairs(&["-", "-", "--format", "png"]), own(&[("-", "-")]));
    }

    #[test]
    fn refusals_name_the_problem() {
        let message = |args: &[&str]| {
            let e = parse(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            e.to_string()
        };
        assert!(message(&["a.png"]).contains("no output given"));
        assert!(message(&["a.png", "b.png", "c.png"]).contains("--out-dir"));
        assert!(message(&["a.png", "b.png", "-o", "c.png"]).contains("2 inputs"));
        let e = message(&["x/a.png", "y/a.png", "--out-dir", "o"]);
        assert!(e.contains("'x/a.png' and 'y/a.png'"), "{e}");
        assert!(message(&["b.png", "-", "--out-dir", "o"]).contains("no file name"));
        assert!(message(&["-", "--out-dir", "o"]).contains("no file name"));
        assert!(message(&["a.png", "-"]).contains("--format"));
        let e = message(&["a.png", "b.png", "--quality", "80"]);
        assert!(e.contains("JPEG and WebP"), "{e}");
        assert!(parse(&["a.png", "b.webp", "--quality", "80"]).is_ok());
    }
}
