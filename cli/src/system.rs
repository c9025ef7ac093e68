//! What the CPU offers the kernels: the SIMD features it has.
//!
//! The CPU set, the default thread count and the pinning are the pool's business
//! (`accel_pool::allowed_cpus`, `accel_pool::default_threads`, `Pool::pinning`), so
//! `accel info` reports exactly what a workload's pool will do; this module only
//! adds the feature list, detected at run time like the kernels' own dispatch.

/// The SIMD features this CPU has, among those the kernels can use.
pub fn simd_features() -> Vec<&'static str> {
    let mut found = Vec::new();
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        macro_rules! probe {
            ($($name:tt),*) => {
                $(if std::arch::is_x86_feature_detected!($name) { found.push($name); })*
            };
        }
        probe!(
            "sse2", "sse4.1", "sse4.2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw",
            "avx512vl"
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            found.push("neon");
        }
        if std::arch::is_aarch64_feature_detected!("sve") {
            found.push("sve");
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_known_names_without_duplicates() {
        let found = simd_features();
        let mut sorted = found.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), found.len());
        #[cfg(target_arch = "x86_64")]
        assert!(
            found.contains(&"sse2"),
            "every x86-64 CPU has SSE2: {found:?}"
        );
    }
}
