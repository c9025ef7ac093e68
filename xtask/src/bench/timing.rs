//! Timing protocol: warm up, then sample contenders interleaved (A B A B …) until a
//! time budget or a sample count is reached.
//!
//! Interleaving matters on shared machines: a slow minute (another job, thermal
//! throttling) then hits every contender alike instead of whichever ran during it.
//! We report the median (robust to the occasional preempted run), min and max, and
//! the max/min spread as a measure of how noisy the machine was.

use std::time::{Duration, Instant};

/// How long and how often to sample.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Untimed runs of each contender before sampling starts.
    pub warmup: usize,
    /// Samples per contender we always take.
    pub min_samples: usize,
    /// Samples per contender we never exceed.
    pub max_samples: usize,
    /// Stop adding rounds once this much time has been spent sampling.
    pub max_time: Duration,
}

impl Budget {
    /// A budget scaled for one workload size in the given suite mode.
    pub fn new(quick: bool) -> Self {
        if quick {
            Budget {
                warmup: 1,
                min_samples: 3,
                max_samples: 5,
                max_time: Duration::from_millis(300),
            }
        } else {
            Budget {
                warmup: 1,
                min_samples: 5,
                max_samples: 15,
                max_time: Duration::from_secs(3),
            }
        }
    }
}

/// The timed runs of one contender, in seconds.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// Every sample, in the order taken.
    pub secs: Vec<f64>,
}

impl Samples {
    fn sorted(&self) -> Vec<f64> {
        let mut v = self.secs.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// The median sample (mean of the middle two for an even count).
    pub fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => f64::NAN,
            n if !n.is_multiple_of(2) => v[n / 2],
            n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
        }
    }

    /// The fastest sample.
    pub fn min(&self) -> f64 {
        self.secs.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The slowest sample.
    pub fn max(&self) -> f64 {
        self.secs.iter().copied().fold(0.0, f64::max)
    }

    /// max / min: 1.0 on a perfectly quiet machine.
    pub fn spread(&self) -> f64 {
        self.max() / self.min()
    }
}

/// Samples every contender interleaved, round by round, and returns their samples
/// in the same order as `contenders`.
pub fn interleaved(contenders: &mut [&mut dyn FnMut()], budget: Budget) -> Vec<Samples> {
    for _ in 0..budget.warmup {
        for run in contenders.iter_mut() {
            run();
        }
    }
    let mut samples = vec![Samples::default(); contenders.len()];
    let started = Instant::now();
    for round in 0..budget.max_samples {
        if round >= budget.min_samples && started.elapsed() >= budget.max_time {
            break;
        }
        // Alternate the order every round (A B C, C B A, …) so no contender always
        // runs right after the same neighbour.
        let n = contenders.len();
        for k in 0..n {
            let i = if round.is_multiple_of(2) {
                k
            } else {
                n - 1 - k
            };
            let t = Instant::now();
            (contenders[i])();
            samples[i].secs.push(t.elapsed().as_secs_f64());
        }
    }
    samples
}

/// [`interleaved`] for contenders kept as boxed closures (the workloads build
/// their list at run time, one entry per pool).
pub fn interleaved_boxed(contenders: &mut [Box<dyn FnMut() + '_>], budget: Budget) -> Vec<Samples> {
    let mut refs: Vec<&mut dyn FnMut()> = contenders
        .iter_mut()
        .map(|r| &mut **r as &mut dyn FnMut())
        .collect();
    interleaved(&mut refs, budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics() {
        let s = Samples {
            secs: vec![3.0, 1.0, 2.0, 10.0],
        };
        assert_eq!(s.median(), 2.5);
        assert_eq!(s.min(), 1.0);
        assert_eq!(s.max(), 10.0);
        assert_eq!(s.spread(), 10.0);
        let odd = Samples {
            secs: vec![5.0, 1.0, 4.0],
        };
        assert_eq!(odd.median(), 4.0);
    }

    #[test]
    fn interleaving_runs_everyone_equally() {
        let (mut a, mut b) = (0, 0);
        let budget = Budget {
            warmup: 2,
            min_samples: 4,
            max_samples: 4,
            max_time: Duration::ZERO,
        };
        let samples = interleaved(&mut [&mut || a += 1, &mut || b += 1], budget);
        assert_eq!((a, b), (6, 6));
        assert!(samples.iter().all(|s| s.secs.len() == 4));
    }
}
