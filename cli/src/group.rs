//! The processes running this command together: one, or the ranks of an MPI
//! job (`mpirun -np 4 accel …`, with the cargo feature `mpi`).
//!
//! A build with `mpi` joins MPI only when an MPI launcher started it
//! (`accel_pool::ranks::launched_by_mpi`), so a plain `accel …` never pays
//! MPI's start-up. Under a launcher every rank parses the same command line and
//! runs the same command on its share; rank 0 alone prints summaries and
//! errors, and every step that can fail on one rank alone ends in
//! [`Group::agree`], so all ranks stop at the same point with the same error
//! and rank 0 prints it as the one line. A bug (a panic, or a failure outside
//! an agreement) is reported by the rank it happens on, which then ends every
//! rank.
//!
//! Every rank also runs rank 0's SIMD path (its `ACCEL_SIMD`, or its CPU's
//! widest): kernels on different paths round differently, and the results
//! must have one process's bits whatever the nodes' CPUs or environments.

use std::fmt;

use crate::error::Error;

/// Makes every rank run rank 0's SIMD path (module docs); agreed, so a rank
/// whose CPU lacks it stops every rank with one error. A bad `ACCEL_SIMD` on
/// rank 0 forces nothing: the commands refuse it as usual.
#[cfg(feature = "mpi")]
fn common_simd_path(ranks: &accel_pool::ranks::Ranks) -> Result<(), Error> {
    use accel_core::simd::{self, SimdPath};
    let name = if ranks.is_root() {
        match simd::force_from_env() {
            Ok(forced) => forced
                .unwrap_or_else(SimdPath::best)
                .name()
                .as_bytes()
                .to_vec(),
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let name = String::from_utf8_lossy(&ranks.broadcast_bytes(name)).into_owned();
    let local = if name.is_empty() {
        Ok(())
    } else {
        SimdPath::from_name(&name)
            .and_then(|path| simd::force(Some(path)))
            .map_err(|e| format!("this CPU cannot run rank 0's SIMD path {name}: {e}"))
    };
    ranks.agree(local).map(|_| ()).map_err(|f| {
        if !ranks.is_root() {
            crate::report::silence(); // rank 0 prints the one line
        }
        Error::workload("mpi", f.to_string())
    })
}

/// This process's place among the processes running the command.
pub struct Group {
    #[cfg(feature = "mpi")]
    ranks: Option<accel_pool::ranks::Ranks>,
    /// How this rank's CPUs were chosen among its node's ranks.
    #[cfg(feature = "mpi")]
    cpus: accel_pool::ranks::NodeCpus,
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Group(rank {} of {})", self.rank(), self.size())
    }
}

/// Whether this build can run across MPI ranks.
pub const MPI_BUILT: bool = cfg!(feature = "mpi");

impl Group {
    /// Joins the MPI job this process was launched in, or stands alone.
    ///
    /// # Errors
    /// If MPI cannot be initialised for the pool's threads.
    pub fn join() -> Result<Self, Error> {
        #[cfg(feature = "mpi")]
        {
            use accel_pool::ranks::{NodeCpus, Ranks};
            if accel_pool::ranks::launched_by_mpi() {
                let ranks = Ranks::init().map_err(|e| Error::workload("mpi", e.to_string()))?;
                common_simd_path(&ranks)?;
                // Before any pool reads the mask: ranks sharing a node's CPUs
                // each take their own share of them.
                let cpus = if ranks.size() > 1 {
                    ranks.share_node_cpus()
                } else {
                    NodeCpus::Unchanged
                };
                return Ok(Self {
                    ranks: Some(ranks),
                    cpus,
                });
            }
            Ok(Self {
                ranks: None,
                cpus: NodeCpus::Unchanged,
            })
        }
        #[cfg(not(feature = "mpi"))]
        Ok(Self {})
    }

    /// This process's rank (0 alone).
    pub fn rank(&self) -> usize {
        #[cfg(feature = "mpi")]
        if let Some(r) = &self.ranks {
            return r.rank();
        }
        0
    }

    /// The number of ranks (1 alone).
    pub fn size(&self) -> usize {
        #[cfg(feature = "mpi")]
        if let Some(r) = &self.ranks {
            return r.size();
        }
        1
    }

    /// Whether this process prints: rank 0, or a process alone.
    pub fn is_root(&self) -> bool {
        self.rank() == 0
    }

    /// Whether the command runs across more than one rank.
    pub fn distributed(&self) -> bool {
        self.size() > 1
    }

    /// The MPI ranks, when the command runs across several.
    #[cfg(feature = "mpi")]
    pub fn ranks(&self) -> Option<&accel_pool::ranks::Ranks> {
        self.ranks.as_ref().filter(|r| r.size() > 1)
    }

    /// Collective: `Ok` on every rank only if every rank succeeded; otherwise
    /// every rank returns the lowest failing rank's error (alone: `local`).
    pub fn agree<T>(&self, local: Result<T, Error>) -> Result<T, Error> {
        #[cfg(feature = "mpi")]
        if let Some(ranks) = self.ranks() {
            // The exit code travels with the message, as its first character.
            return ranks
                .agree(local.map_err(|e| format!("{}{e}", char::from(b'0' + e.exit_code() as u8))))
                .map_err(|failure| {
                    let mut chars = failure.message.chars();
                    let code = chars.next().and_then(|c| c.to_digit(10)).unwrap_or(1) as i32;
                    Error::Rank {
                        rank: failure.rank,
                        code,
                        message: chars.as_str().to_string(),
                    }
                });
        }
        local
    }

    /// Ends every rank at once after a bug (a panic) on this one; alone, does
    /// nothing.
    pub fn abort_on_bug(&self) {
        #[cfg(feature = "mpi")]
        if let Some(ranks) = self.ranks() {
            ranks.abort(crate::error::EXIT_FAILURE);
        }
    }

    /// Waits for every rank (alone: returns at once).
    pub fn barrier(&self) {
        #[cfg(feature = "mpi")]
        if let Some(ranks) = self.ranks() {
            ranks.barrier();
        }
    }

    /// This rank's share of `0..n` for formulas: whole chunks of the pool's
    /// `FORMULA_CHUNK`, balanced (alone: all of it).
    pub fn formula_range(&self, n: usize) -> std::ops::Range<usize> {
        #[cfg(feature = "mpi")]
        if let Some(ranks) = self.ranks() {
            return ranks.formula_range(n);
        }
        0..n
    }

    /// Collective: the largest of every rank's `x` (alone: `x`).
    pub fn max_f64(&self, x: f64) -> f64 {
        #[cfg(feature = "mpi")]
        if let Some(ranks) = self.ranks() {
            return ranks.max_f64(x);
        }
        x
    }

    /// Collective: every rank's `x` added in rank order (alone: `x`).
    pub fn sum_in_rank_order(&self, x: f64) -> f64 {
        #[cfg(feature = "mpi")]
        if let Some(ranks) = self.ranks() {
            return ranks.sum_in_rank_order(x);
        }
        x
    }

    /// Collective: gathers every rank's range `ranges[rank]` of a long array
    /// (`whole`, as each rank holds it) into rank 0's `whole`, in place;
    /// returns whether `whole` now holds every rank's part (rank 0, or a
    /// process alone). Rank 0 copies only its own part aside.
    pub fn gather_in_place(&self, ranges: &[std::ops::Range<usize>], whole: &mut [f64]) -> bool {
        #[cfg(feature = "mpi")]
        if let Some(ranks) = self.ranks() {
            let mine = ranges[self.rank()].clone();
            if self.is_root() {
                let part = whole[mine].to_vec();
                ranks.gather_ranges(ranges, &part, Some(whole));
                return true;
            }
            ranks.gather_ranges(ranges, &whole[mine], None);
            return false;
        }
        let _ = (ranges, whole);
        true
    }

    /// How this rank's CPUs were chosen, for `accel info` ("" alone or when
    /// the launcher bound the rank).
    pub fn cpu_note(&self) -> String {
        #[cfg(feature = "mpi")]
        if let accel_pool::ranks::NodeCpus::Shared {
            local_rank,
            local_size,
            cpus,
        } = &self.cpus
        {
            return format!(
                "; the {local_size} ranks on this node were given the same CPUs, so each takes its own share (rank {local_rank} on this node: {})",
                crate::commands::info::cpu_ranges(cpus)
            );
        }
        String::new()
    }

    /// How the ranks are described in a summary: "" alone, "4 ranks × " under
    /// MPI (followed by the team's description).
    pub fn summary_prefix(&self) -> String {
        if self.distributed() {
            format!("{} ranks × ", self.size())
        } else {
            String::new()
        }
    }
}
