//! The progress bar over blur iterations.
//!
//! Shown on stderr only when a person is watching: stderr is a terminal and neither
//! `--quiet` nor `--json` was given. Otherwise every call is a no-op, so scripts and
//! pipes never see control characters.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over the iterations of all planes, or nothing. The planes are
/// blurred one after another, so the bar counts plane-iterations but shows them as
/// a percentage of "`iters` iterations × `channels` channels": a count like
/// 16/18000 for a 6000-iteration RGB blur would read as the wrong iteration count.
#[derive(Debug)]
pub struct IterationProgress {
    bar: Option<ProgressBar>,
}

impl IterationProgress {
    /// A bar for `iters` iterations of each of `channels` planes, shown only if
    /// `wanted` and stderr is a terminal.
    pub fn new(iters: usize, channels: usize, wanted: bool) -> Self {
        let total = (iters as u64).saturating_mul(channels as u64);
        if !wanted || total == 0 || !std::io::stderr().is_terminal() {
            return IterationProgress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {percent:>3}% of {msg} ({eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(Self::work(iters, channels));
        IterationProgress { bar: Some(bar) }
    }

    /// What the bar counts, in words: "100 iterations × 3 channels".
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

    /// Sets the number of plane-iterations done so far.
    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A spinner on stderr for a phase without a known length (decoding, encoding),
/// cleared when dropped; shown only on a terminal and when wanted.
#[derive(Debug)]
pub struct PhaseSpinner {
    bar: Option<ProgressBar>,
}

impl PhaseSpinner {
    /// Starts a spinner saying `what` ("decoding in.png").
    pub fn start(what: String, wanted: bool) -> Self {
        if !wanted || !std::io::stderr().is_terminal() {
            return PhaseSpinner { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_message(what);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        PhaseSpinner { bar: Some(bar) }
    }
}

impl Drop for PhaseSpinner {
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
    fn spinners_hide_when_not_wanted_or_not_on_a_terminal() {
        assert!(
            PhaseSpinner::start("decoding x".into(), false)
                .bar
                .is_none()
        );
        // Tests run with stderr captured: no terminal, no spinner.
        if !std::io::stderr().is_terminal() {
            assert!(PhaseSpinner::start("decoding x".into(), true).bar.is_none());
        }
    }

    #[test]
    fn hidden_when_not_wanted() {
        let p = IterationProgress::new(10, 3, false);
        assert!(p.bar.is_none());
        p.set(3);
        p.finish();
        assert!(IterationProgress::new(0, 3, true).bar.is_none());
    }

    #[test]
    fn names_the_iterations_and_channels_apart() {
        assert_eq!(
            IterationProgress::work(6000, 3),
            "6000 iterations × 3 channels"
        );
        assert_eq!(IterationProgress::work(1, 1), "1 iteration");
        assert_eq!(IterationProgress::work(5, 1), "5 iterations");
    }
}
