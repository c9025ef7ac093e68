//! The progress bar of `accel blur`: one bar over every file of the run.
//!
//! Shown on stderr only when a person is watching: stderr is a terminal and neither
//! `--quiet` nor `--json` was given. Otherwise every call is a no-op, so scripts and
//! pipes never see control characters.
//!
//! The bar counts iterations over all files (`files × iters`); within a file the
//! planes are blurred together, so a file's progress is its plane-iterations
//! divided by its plane count. Its message says which file and which phase
//! (decoding, blurring, writing), so the phases around the kernel, which can take
//! longer than the kernel, show too. Lines printed while the bar is up go through
//! [`RunProgress::suspend`].

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar over a whole `accel blur` run, or nothing.
#[derive(Debug)]
pub struct RunProgress {
    bar: Option<ProgressBar>,
    files: usize,
    iters: usize,
}

/// The position of one file within the run: which file, and how many planes it
/// blurs together.
#[derive(Debug, Clone, Copy)]
pub struct FileSlot {
    index: usize,
    planes: usize,
}

impl RunProgress {
    /// A bar over `files` files of `iters` iterations each, shown only if
    /// `wanted` and stderr is a terminal.
    pub fn new(files: usize, iters: usize, wanted: bool) -> Self {
        let hidden = RunProgress {
            bar: None,
            files,
            iters,
        };
        if !wanted || files == 0 || !std::io::stderr().is_terminal() {
            return hidden;
        }
        let total = (files as u64).saturating_mul(iters.max(1) as u64);
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {percent:>3}% {msg} ({eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        RunProgress {
            bar: Some(bar),
            files,
            iters,
        }
    }

    /// Says what the run is doing now ("decoding in.png"), prefixed with the
    /// file's number when there are several.
    pub fn phase(&self, index: usize, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(self.label(index, what));
        }
    }

    /// The message for file `index` doing `what`.
    fn label(&self, index: usize, what: &str) -> String {
        if self.files > 1 {
            format!("file {} of {}: {what}", index + 1, self.files)
        } else {
            what.to_string()
        }
    }

    /// Starts blurring file `index`, `planes` planes at once, and returns the slot
    /// that [`RunProgress::set`] reports against.
    pub fn begin_blur(&self, index: usize, planes: usize) -> FileSlot {
        self.phase(
            index,
            &format!("blurring {}", Self::work(self.iters, planes)),
        );
        self.set(FileSlot { index, planes }, 0);
        FileSlot { index, planes }
    }

    /// What a file's blur counts, in words: "100 iterations × 3 channels".
    fn work(iters: usize, channels: usize) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let iterations = plural(iters, "iteration", "iterations");
        if channels == 1 {
            iterations
        } else {
            format!("{iterations} × {}", plural(channels, "channel", "channels"))
        }
    }

    /// Sets the plane-iterations done so far in `slot`'s file.
    pub fn set(&self, slot: FileSlot, done: u64) {
        if let Some(bar) = &self.bar {
            let within = done / slot.planes.max(1) as u64;
            bar.set_position(slot.index as u64 * self.iters.max(1) as u64 + within);
        }
    }

    /// Marks file `index` as done (written or failed).
    pub fn finish_file(&self, index: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position((index as u64 + 1) * self.iters.max(1) as u64);
        }
    }

    /// Runs `print` with the bar hidden, so a line printed meanwhile is not torn.
    pub fn suspend<T>(&self, print: impl FnOnce() -> T) -> T {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }
}

impl Drop for RunProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_when_not_wanted_or_not_on_a_terminal() {
        let p = RunProgress::new(3, 10, false);
        assert!(p.bar.is_none());
        let slot = p.begin_blur(1, 3);
        p.set(slot, 3);
        p.finish_file(1);
        assert_eq!(p.suspend(|| 7), 7);
        // Tests run with stderr captured: no terminal, no bar.
        if !std::io::stderr().is_terminal() {
            assert!(RunProgress::new(1, 10, true).bar.is_none());
        }
    }

    #[test]
    fn names_the_file_the_iterations_and_channels_apart() {
        assert_eq!(RunProgress::work(6000, 3), "6000 iterations × 3 channels");
        assert_eq!(RunProgress::work(1, 1), "1 iteration");
        assert_eq!(RunProgress::work(5, 1), "5 iterations");
        let one = RunProgress::new(1, 5, false);
        assert_eq!(one.label(0, "decoding a.png"), "decoding a.png");
        let three = RunProgress::new(3, 5, false);
        assert_eq!(
            three.label(1, "writing b.png"),
            "file 2 of 3: writing b.png"
        );
    }
}
