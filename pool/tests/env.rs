//! `ACCEL_NUM_THREADS` overrides the default thread count; invalid values are
//! ignored with a reason. (One test in this binary: it changes the environment.)

use accel_pool::{DefaultThreadsReason, Pool, PoolConfig, THREADS_ENV, default_threads};

fn set(value: &str) {
    // SAFETY: this test binary has a single test and no other threads read the
    // environment while it runs (pools are built after the variable is set).
    unsafe { std::env::set_var(THREADS_ENV, value) };
}

#[test]
fn env_overrides_default_threads() {
    set("3");
    assert_eq!(
        default_threads(),
        (3, DefaultThreadsReason::Env { threads: 3 })
    );
    assert_eq!(default_threads().1.to_string(), "ACCEL_NUM_THREADS=3");
    assert_eq!(Pool::new(PoolConfig::new()).unwrap().num_threads(), 3);
    // An explicit count wins over the variable.
    assert_eq!(
        Pool::new(PoolConfig::new().threads(2))
            .unwrap()
            .num_threads(),
        2
    );

    set(" 5 ");
    assert_eq!(default_threads().0, 5);

    for bad in ["0", "abc", "-2", "", "1000000"] {
        set(bad);
        let (threads, reason) = default_threads();
        match &reason {
            DefaultThreadsReason::InvalidEnv { value, fallback } => {
                assert_eq!(value, bad);
                assert!(!matches!(
                    **fallback,
                    DefaultThreadsReason::InvalidEnv { .. }
                ));
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
        assert!(threads >= 1);
        assert!(reason.to_string().contains("ignored"), "{reason}");
    }
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var(THREADS_ENV) };
    assert!(!matches!(
        default_threads().1,
        DefaultThreadsReason::Env { .. }
    ));
}
