//! The command line: clap (derive) definitions, value parsers and error condensing.
//!
//! Values are validated here, while parsing, so that a bad value is refused before
//! any file is touched: counts must be integers (not negative, and at least 1 where
//! zero makes no sense), band pairs must be two integers. Numeric options accept
//! leading hyphens so that `--threads -1` reaches our parser and is answered with
//! "must not be negative" rather than clap's "unexpected argument '-1'".
//! [`condense_clap_error`] turns clap's multi-line usage errors into the single line
//! the user contract asks for.

use std::num::IntErrorKind;
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::convert::{Background, Depth};

/// The exit statuses, listed at the end of every `--help`.
macro_rules! exit_statuses {
    () => {
        "\n\nExit status: 0 done; 1 an input, output or workload failure; 2 a bad \
         command line;\n3 a failed --compare accuracy check; 128+N killed by signal N \
         (130: Ctrl-C)."
    };
}

const TOP_EXAMPLES: &str = concat!(
    "\
Examples:
  accel blur in.png out.png --iters 100 --threads 36
  accel blur scan.tiff smooth.tiff --iters 10 --boundary clamp --no-alpha
  accel blur field.npy field_blurred.npy --iters 50 --json
  accel blackscholes --options 40000000 --compare
  accel fill --block-rows 500 --block-cols 500 --repeat 5
  accel info",
    exit_statuses!()
);

const BLUR_EXAMPLES: &str = concat!(
    "\
Examples:
  accel blur in.png out.png --iters 100 --threads 36
  accel blur photo.jpg photo_soft.png --iters 5
  accel blur rgba.png out.png --iters 20 --no-alpha --boundary wrap
  accel blur data.npy out.npy --iters 100 --compare --json
  accel blur in.png in.png --iters 3        (replaces in.png atomically)
  accel blur a.png b.jpg c.tif --out-dir soft/ --iters 10
  curl -s https://example.org/x.png | accel blur - - --format jpeg --flatten > x.jpg
  accel blur rgba16.png out.jpg --flatten=#202020 --depth 8 --quality 90

Formats: PNG, JPEG, TIFF, BMP, WebP and .npy (float32, float64, uint8 or uint16,
H×W or H×W×C, little-endian, C order), chosen by the output's extension or
--format; the input's format is read from its content. The colour type and bit
depth of the input are kept (except that palette images come out as RGB or RGBA,
and gray of fewer than 8 bits as 8-bit gray); a format that cannot hold them is
refused unless --flatten or --depth converts them. The ICC colour profile (PNG,
JPEG, lossless WebP) and the pixel density (PNG, JPEG, TIFF) are kept; the EXIF
orientation is applied to the pixels. Animated and multi-page files are read
from their first frame, with a warning. --iters 0 copies the pixels through
unchanged. The blur computes in float32, except for float64 arrays, which are
blurred in float64 (the summary says so).

With several inputs (--out-dir), one progress bar covers them all, a summary
line (or JSON object) is printed per file, and a file that fails is reported
and skipped: the exit status is then that of the first failure.

Weights: the benchmark's 5×5 Gaussian (rows 0.0030 0.0133 0.0219 0.0133 0.0030 /
0.0133 0.0596 0.0983 0.0596 0.0133 / 0.0219 0.0983 0.1621 0.0983 0.0219 / and
mirrored), which sums to 0.9997: flat areas darken by about 3 % per 100
iterations. --normalize rescales the weights to sum to 1. With --boundary skip
(the default) the 2-pixel frame keeps the input's values.",
    exit_statuses!()
);

const BLACKSCHOLES_EXAMPLES: &str = concat!(
    "\
Examples:
  accel blackscholes
  accel blackscholes --options 40000000 --threads 4 --compare
  accel blackscholes --options 1000000 --json
  accel blackscholes --explain",
    exit_statuses!()
);

const FILL_EXAMPLES: &str = concat!(
    "\
Examples:
  accel fill
  accel fill --block-rows 500 --block-cols 500 --repeat 5 --compare
  accel fill --block-rows 8 --block-size 3 --block-cols 6 --col-block-size 3 --bands 1,2 --sub-bands 0,1
  accel fill --sub-bands=-1,2 --json",
    exit_statuses!()
);

/// `accel`: accel's workloads on your own data.
#[derive(Debug, Parser)]
#[command(
    name = "accel",
    version,
    about = "Fused, parallel array workloads: blur images, price options, fill block-banded matrices",
    after_help = TOP_EXAMPLES,
    subcommand_required = true,
    arg_required_else_help = false
)]
pub struct Cli {
    /// The workload to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Blur an image (or a .npy array) with the iterated 5×5 Gaussian stencil.
    #[command(after_help = BLUR_EXAMPLES)]
    Blur(BlurArgs),
    /// Price European options with the fused Black-Scholes kernel.
    #[command(after_help = BLACKSCHOLES_EXAMPLES)]
    Blackscholes(BlackScholesArgs),
    /// Fill a banded-block-banded matrix (BlockBandedMatrices.jl layout) with ones.
    #[command(after_help = FILL_EXAMPLES)]
    Fill(FillArgs),
    /// Show the CPUs, pinning support, SIMD features and default thread count.
    Info(InfoArgs),
}

/// Options shared by every workload: how many threads and whether to pin them.
#[derive(Debug, Args)]
pub struct PoolArgs {
    /// Worker threads [default: all CPUs allowed to this process, or ACCEL_NUM_THREADS].
    /// More threads than CPUs is allowed; the threads then run unpinned and team regions run
    /// one member per CPU (the summary says so).
    #[arg(long, value_name = "T", value_parser = parse_at_least_one, allow_hyphen_values = true)]
    pub threads: Option<usize>,
    /// Do not pin worker threads to CPUs.
    #[arg(long)]
    pub no_pin: bool,
}

/// Options shared by every workload: reporting and the serial comparison.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Also run the plain serial reference on the same input, report the largest
    /// error and the speed-up; a failed accuracy check exits with status 3.
    #[arg(long)]
    pub compare: bool,
    /// Print one JSON object instead of the summary line.
    #[arg(long)]
    pub json: bool,
}

/// `accel blur`.
#[derive(Debug, Args)]
pub struct BlurArgs {
    /// INPUT OUTPUT; or, with --out-dir or -o, the input files alone. `-` is
    /// standard input or output.
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Write the result of the one input here (its extension, or --format,
    /// picks the format; `-` is standard output).
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUTPUT",
        conflicts_with = "out_dir"
    )]
    pub output: Option<PathBuf>,
    /// Blur every FILE and write each result into DIR under the input's file
    /// name (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// The output format, instead of the output's extension (needed for `-`;
    /// with --out-dir, the outputs take this format's extension).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// JPEG or WebP quality, 1 to 100 [default: JPEG 95; WebP lossless, as is 100].
    #[arg(long, value_name = "Q", value_parser = parse_quality, allow_hyphen_values = true)]
    pub quality: Option<u8>,
    /// Composite the image over a background colour and drop its alpha channel
    /// (for JPEG and other formats without alpha): white, black, #rrggbb or r,g,b.
    #[arg(long, value_name = "COLOUR", num_args = 0..=1, require_equals = true,
          default_missing_value = "white", value_parser = Background::parse)]
    pub flatten: Option<Background>,
    /// Rescale the samples to 8 or 16 bits (16-bit divides by 257; floats are
    /// read as 0..1), for formats that cannot hold the input's depth.
    #[arg(long, value_name = "BITS", value_parser = Depth::parse)]
    pub depth: Option<Depth>,
    /// Number of blur iterations (0 copies the image through unchanged).
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse_count, allow_hyphen_values = true)]
    pub iters: usize,
    /// What the stencil reads outside the image: skip leaves the 2-pixel frame as it
    /// was; zero-src reads zeros; wrap is periodic; clamp repeats the edge pixel.
    #[arg(long, value_enum, default_value_t = BoundaryArg::Skip)]
    pub boundary: BoundaryArg,
    /// Rescale the weights to sum to 1. By default they are the benchmark's
    /// 5×5 Gaussian, which sums to 0.9997: flat areas darken by about 3 % per 100
    /// iterations.
    #[arg(long)]
    pub normalize: bool,
    /// Leave the alpha channel untouched (by default it is blurred like the colours).
    #[arg(long)]
    pub no_alpha: bool,
    /// Blur the colours of RGBA and gray+alpha images as stored. By default they
    /// are blurred premultiplied by alpha, so the colour of transparent pixels
    /// does not bleed into visible ones.
    #[arg(long)]
    pub straight_alpha: bool,
    /// Refuse images with more pixels than this before decoding them, against
    /// decompression bombs (a small file whose header claims a huge image); .npy
    /// arrays are exempt, their size is the file's.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PIXELS, value_parser = parse_max_pixels, allow_hyphen_values = true)]
    pub max_pixels: u64,
    /// No progress bar and no summary line (errors are still reported).
    #[arg(long, short)]
    pub quiet: bool,
    /// Threads and pinning.
    #[command(flatten)]
    pub pool: PoolArgs,
    /// --compare and --json.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// The `--format` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// PNG.
    Png,
    /// JPEG.
    #[value(alias = "jpg")]
    Jpeg,
    /// TIFF.
    #[value(alias = "tif")]
    Tiff,
    /// BMP.
    Bmp,
    /// WebP.
    Webp,
    /// NumPy .npy.
    Npy,
}

/// The `--boundary` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BoundaryArg {
    /// Pixels within 2 of an edge are not written (the seed's behaviour).
    Skip,
    /// Reads outside the image are zero.
    ZeroSrc,
    /// Reads outside wrap around (periodic image, at any size).
    Wrap,
    /// Reads outside take the nearest edge pixel.
    Clamp,
}

impl BoundaryArg {
    /// The spelling used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            BoundaryArg::Skip => "skip",
            BoundaryArg::ZeroSrc => "zero-src",
            BoundaryArg::Wrap => "wrap",
            BoundaryArg::Clamp => "clamp",
        }
    }
}

/// `accel blackscholes`.
#[derive(Debug, Args)]
pub struct BlackScholesArgs {
    /// Number of options to price (the seed's inputs for size N).
    #[arg(long, value_name = "N", default_value = "10000000", value_parser = parse_at_least_one, allow_hyphen_values = true)]
    pub options: usize,
    /// Print what the array-style program became (its loops before and after
    /// fusion, their reads, writes and operations), the compiled formula and how
    /// its run is cut up, instead of running it.
    #[arg(long, conflicts_with_all = ["compare", "json"])]
    pub explain: bool,
    /// Threads and pinning.
    #[command(flatten)]
    pub pool: PoolArgs,
    /// --compare and --json.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `accel fill`.
#[derive(Debug, Args)]
pub struct FillArgs {
    /// Number of row blocks N.
    #[arg(long, value_name = "N", default_value = "100", value_parser = parse_at_least_one, allow_hyphen_values = true)]
    pub block_rows: usize,
    /// Rows per row block n.
    #[arg(long, value_name = "n", default_value = "500", value_parser = parse_at_least_one, allow_hyphen_values = true)]
    pub block_size: usize,
    /// Number of column blocks M.
    #[arg(long, value_name = "M", default_value = "100", value_parser = parse_at_least_one, allow_hyphen_values = true)]
    pub block_cols: usize,
    /// Columns per column block m.
    #[arg(long, value_name = "m", default_value = "500", value_parser = parse_at_least_one, allow_hyphen_values = true)]
    pub col_block_size: usize,
    /// Block bandwidths l,u (block (K,J) is stored iff -l ≤ J-K ≤ u).
    #[arg(long, value_name = "L,U", default_value = "1,2", value_parser = parse_pair, allow_hyphen_values = true)]
    pub bands: (isize, isize),
    /// Sub-block bandwidths λ,μ (may be negative: write --sub-bands=-1,2).
    #[arg(long, value_name = "λ,μ", default_value = "2,1", value_parser = parse_pair, allow_hyphen_values = true)]
    pub sub_bands: (isize, isize),
    /// Fill the matrix R times and report the best time.
    #[arg(long, value_name = "R", default_value = "5", value_parser = parse_at_least_one, allow_hyphen_values = true)]
    pub repeat: usize,
    /// Threads and pinning.
    #[command(flatten)]
    pub pool: PoolArgs,
    /// --compare and --json.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `accel info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Parses a non-negative integer count, explaining precisely what is wrong.
pub fn parse_count(text: &str) -> Result<usize, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("expected a non-negative integer, got nothing".to_string());
    }
    if let Some(rest) = trimmed.strip_prefix('-') {
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err("must not be negative".to_string());
        }
        return Err("not a number (expected a non-negative integer)".to_string());
    }
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits
            .parse::<usize>()
            .map_err(|_| format!("too large (the largest allowed is {})", usize::MAX));
    }
    if let Ok(x) = trimmed.parse::<f64>() {
        // 1e6 or 40.0: a whole number, but not in the digits a count is written in.
        if x.fract() == 0.0 && (0.0..1e19).contains(&x) {
            return Err(format!(
                "must be a whole number written in digits, like {}",
                x as u64
            ));
        }
        return Err("must be a whole number".to_string());
    }
    Err("not a number (expected a non-negative integer)".to_string())
}

/// Parses a count that must be at least 1 (threads, sizes, repetitions).
pub fn parse_at_least_one(text: &str) -> Result<usize, String> {
    match parse_count(text)? {
        0 => Err("must be at least 1".to_string()),
        n => Ok(n),
    }
}

/// Parses `--quality`: an integer from 1 to 100.
pub fn parse_quality(text: &str) -> Result<u8, String> {
    match parse_count(text)? {
        q @ 1..=100 => Ok(q as u8),
        _ => Err("must be from 1 to 100".to_string()),
    }
}

/// The default `--max-pixels`: 180 megapixels, about where Pillow refuses an
/// image as a decompression bomb (ImageMagick's default policies are similar).
pub const DEFAULT_MAX_PIXELS: u64 = 180_000_000;

/// Parses `--max-pixels`: a pixel count of at least 1.
pub fn parse_max_pixels(text: &str) -> Result<u64, String> {
    parse_at_least_one(text).map(|n| n as u64)
}

/// Parses `a,b`: exactly two (possibly negative) integers separated by a comma.
pub fn parse_pair(text: &str) -> Result<(isize, isize), String> {
    let explain = "expected two integers separated by a comma, like 1,2";
    let mut parts = text.split(',');
    let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(explain.to_string());
    };
    let int = |s: &str| {
        let s = s.trim();
        s.parse::<isize>().map_err(|e| match e.kind() {
            IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => {
                format!("{s} is out of range ({} to {})", isize::MIN, isize::MAX)
            }
            _ => explain.to_string(),
        })
    };
    Ok((int(a)?, int(b)?))
}

/// What `main` should do with a clap parse error.
#[derive(Debug, PartialEq, Eq)]
pub enum ClapOutcome {
    /// `--help` or `--version`: print clap's full text to stdout and exit 0.
    Print,
    /// A usage error condensed to this one line (without the `accel: error: ` prefix).
    Fail(String),
}

/// Condenses a clap error: help and version pass through whole, everything else
/// becomes one line (clap's first line plus any `tip:`), so the user sees exactly one
/// line per failure.
pub fn condense_clap_error(err: &clap::Error) -> ClapOutcome {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ClapOutcome::Print,
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            ClapOutcome::Fail(
                "no subcommand given: use one of blur, blackscholes, fill, info (see 'accel --help')"
                    .to_string(),
            )
        }
        kind => {
            let rendered = err.render().to_string();
            let mut line = String::new();
            let mut tips = Vec::new();
            for text in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if text.starts_with("Usage:") || text.starts_with("For more information") {
                    break;
                }
                if let Some(tip) = text.strip_prefix("tip: ") {
                    tips.push(tip);
                } else {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(text.strip_prefix("error: ").unwrap_or(text));
                }
            }
            if line.is_empty() {
                line.push_str("invalid command line");
            }
            if kind == ErrorKind::InvalidSubcommand {
                tips.push("the subcommands are blur, blackscholes, fill, info");
            }
            for tip in tips {
                line.push_str(" (tip: ");
                line.push_str(tip);
                line.push(')');
            }
            ClapOutcome::Fail(line)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("0"), Ok(0));
        assert_eq!(parse_count("17"), Ok(17));
        assert_eq!(parse_count("+3"), Ok(3));
        assert_eq!(parse_count("-1").unwrap_err(), "must not be negative");
        assert!(parse_count("abc").unwrap_err().contains("not a number"));
        assert!(parse_count("2.5").unwrap_err().contains("whole number"));
        assert!(parse_count("1e6").unwrap_err().contains("like 1000000"));
        assert!(
            parse_pair("99999999999999999999,1")
                .unwrap_err()
                .contains("99999999999999999999 is out of range")
        );
        assert!(
            parse_count("99999999999999999999999")
                .unwrap_err()
                .contains("too large")
        );
        assert!(parse_count("").is_err());
        assert_eq!(parse_at_least_one("0").unwrap_err(), "must be at least 1");
        assert_eq!(parse_at_least_one("4"), Ok(4));
    }

    #[test]
    fn pairs() {
        assert_eq!(parse_pair("1,2"), Ok((1, 2)));
        assert_eq!(parse_pair("-1, 2"), Ok((-1, 2)));
        for bad in ["1", "1,2,3", "a,b", "1,", ",2", "1;2", ""] {
            assert!(parse_pair(bad).is_err(), "{bad:?} was accepted");
        }
    }

    fn fail_line(args: &[&str]) -> String {
        let err = Cli::try_parse_from(args).expect_err("should fail");
        match condense_clap_error(&err) {
            ClapOutcome::Fail(line) => line,
            ClapOutcome::Print => panic!("expected a failure for {args:?}"),
        }
    }

    #[test]
    fn clap_errors_become_one_line_naming_the_value() {
        let line = fail_line(&["accel", "blur", "a.png", "b.png", "--threads", "0"]);
        assert!(!line.contains('\n'));
        assert!(line.contains("'0'") && line.contains("--threads"), "{line}");
        let line = fail_line(&["accel", "blur", "a.png", "b.png", "--iters", "-3"]);
        assert!(line.contains("'-3'") && line.contains("negative"), "{line}");
        let line = fail_line(&["accel", "fill", "--bands", "1"]);
        assert!(
            line.contains("'1'") && line.contains("two integers"),
            "{line}"
        );
        let line = fail_line(&["accel", "blur", "a.png", "b.png", "--iter", "3"]);
        assert!(line.contains("--iter") && !line.contains('\n'), "{line}");
        let line = fail_line(&["accel"]);
        assert!(line.contains("subcommand"), "{line}");
        let line = fail_line(&["accel", "blur"]);
        assert!(line.contains("<FILE>") && !line.contains("Usage"), "{line}");
        let line = fail_line(&["accel", "blur", "a", "-o", "b", "--out-dir", "c"]);
        assert!(line.contains("--out-dir"), "{line}");
        let line = fail_line(&["accel", "blur", "a", "b", "--quality", "0"]);
        assert!(line.contains("'0'") && line.contains("1 to 100"), "{line}");
        let line = fail_line(&["accel", "blur", "a", "b", "--flatten=pink"]);
        assert!(
            line.contains("'pink'") && line.contains("#rrggbb"),
            "{line}"
        );
        let line = fail_line(&["accel", "blur", "a", "b", "--depth", "12"]);
        assert!(line.contains("'12'") && line.contains("8 or 16"), "{line}");
        let line = fail_line(&["accel", "blur", "a", "b", "--boundary", "x"]);
        assert!(line.contains("'x'") && line.contains("zero-src"), "{line}");
        let line = fail_line(&["accel", "frob"]);
        assert!(
            line.contains("'frob'") && line.contains("blackscholes"),
            "{line}"
        );
    }

    #[test]
    fn help_and_version_pass_through() {
        for args in [
            &["accel", "--help"][..],
            &["accel", "--version"],
            &["accel", "blur", "--help"],
        ] {
            let err = Cli::try_parse_from(args).expect_err("help exits");
            assert_eq!(condense_clap_error(&err), ClapOutcome::Print);
        }
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["accel", "fill"]).unwrap();
        let Command::Fill(f) = cli.command else {
            panic!("not fill")
        };
        assert_eq!(
            (f.block_rows, f.block_size, f.block_cols, f.col_block_size),
            (100, 500, 100, 500)
        );
        assert_eq!((f.bands, f.sub_bands), ((1, 2), (2, 1)));
        let cli = Cli::try_parse_from(["accel", "blur", "a", "b"]).unwrap();
        let Command::Blur(b) = cli.command else {
            panic!("not blur")
        };
        assert_eq!(b.iters, 1);
        assert_eq!(b.boundary, BoundaryArg::Skip);
        assert_eq!(b.pool.threads, None);
        let cli = Cli::try_parse_from(["accel", "fill", "--sub-bands=-1,2"]).unwrap();
        let Command::Fill(f) = cli.command else {
            panic!("not fill")
        };
        assert_eq!(f.sub_bands, (-1, 2));
    }
}
