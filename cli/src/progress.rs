//! The progress bar over blur iterations.
//!
//! Shown on stderr only when a person is watching: stderr is a terminal and neither
//! `--quiet` nor `--json` was given. Otherwise every call is a no-op, so scripts and
//! pipes never see control characters.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar counting iterations over all planes, or nothing.
#[derive(Debug)]
pub struct IterationProgress {
    bar: Option<ProgressBar>,
}

impl IterationProgress {
    /// A bar for `total` steps, shown only if `wanted` and stderr is a terminal.
    pub fn new(total: u64, wanted: bool) -> Self {
        if !wanted || total == 0 || !std::io::stderr().is_terminal() {
            return IterationProgress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} iterations ({eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        IterationProgress { bar: Some(bar) }
    }

    /// Sets the number of steps done so far.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_when_not_wanted() {
        let p = IterationProgress::new(10, false);
        assert!(p.bar.is_none());
        p.set(3);
        p.finish();
        assert!(IterationProgress::new(0, true).bar.is_none());
    }
}
