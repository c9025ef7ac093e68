//! The machine's CPUs are the process's, even when the first thread to ask is
//! narrower: this binary's only test makes the first call from a thread pinned
//! to one CPU. (A test binary of its own: the answer is cached per process.)

#[cfg(target_os = "linux")]
#[test]
fn the_first_call_from_a_narrowed_thread_still_sees_the_process() {
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // The process's mask, read here without the pool.
    // SAFETY: an all-zero cpu_set_t is a valid empty set; getpid has no
    // preconditions; `set` is writable and `size` bytes long.
    let (process, first) = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        assert_eq!(libc::sched_getaffinity(libc::getpid(), size, &mut set), 0);
        let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect();
        (cpus.len(), cpus[0])
    };
    let (allowed, usable, threads) = std::thread::spawn(move || {
        // SAFETY: as above; `first` is below CPU_SETSIZE; pid 0 is this thread.
        unsafe {
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(first, &mut one);
            assert_eq!(libc::sched_setaffinity(0, size, &one), 0);
        }
        (
            accel_pool::allowed_cpus().len(),
            accel_pool::usable_cpus(),
            accel_pool::Pool::new(accel_pool::PoolConfig::new().threads(2))
                .unwrap()
                .team_size(),
        )
    })
    .join()
    .unwrap();
    assert_eq!(
        allowed, process,
        "allowed_cpus read the narrowed thread's mask"
    );
    let quota = std::thread::available_parallelism().map_or(process, |n| n.get());
    assert_eq!(
        usable,
        process.min(quota),
        "usable_cpus read the narrowed thread's mask"
    );
    assert_eq!(threads, 2.min(usable));
}
