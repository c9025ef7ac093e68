//! Refusing jobs that cannot fit in memory, before allocating anything.
//!
//! A hostile or mistaken file can claim 100000×100000 pixels in a few bytes of
//! header. Allocating that would abort the process (or wake the OOM killer), so every
//! command first multiplies out what it will need, with overflow checks, and compares
//! it with the memory the kernel says is available (`MemAvailable` in
//! `/proc/meminfo`, lowered by a cgroup v2 `memory.max` when one is set, and by the
//! room left under the process's own limits, `ulimit -v` and `ulimit -d`, which
//! refuse an allocation however much memory is free).

use std::fs;

/// Bytes of memory this process can expect to get, if the platform tells us.
pub fn available_bytes() -> Option<u64> {
    let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
    let mut available = parse_meminfo_available(&meminfo)?;
    if let Some(limit) = cgroup_headroom() {
        available = available.min(limit);
    }
    if let (Ok(limits), Ok(status)) = (
        fs::read_to_string("/proc/self/limits"),
        fs::read_to_string("/proc/self/status"),
    ) && let Some(room) = rlimit_headroom(&limits, &status)
    {
        available = available.min(room);
    }
    Some(available)
}

/// The room left under the soft address-space and data limits (`ulimit -v`,
/// `ulimit -d`): each limit less what the process already uses of it (`VmSize`,
/// `VmData` in `/proc/self/status`). `None` when neither limit is set.
pub fn rlimit_headroom(limits: &str, status: &str) -> Option<u64> {
    let limit = |name: &str| -> Option<u64> {
        let line = limits.lines().find(|l| l.starts_with(name))?;
        // "Max address space   <soft>   <hard>   bytes": the soft limit applies.
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    let used = |name: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| parse_meminfo_value(&l[name.len()..]))
            .unwrap_or(0)
    };
    let rooms = [
        limit("Max address space").map(|l| l.saturating_sub(used("VmSize:"))),
        limit("Max data size").map(|l| l.saturating_sub(used("VmData:"))),
    ];
    rooms.into_iter().flatten().min()
}

/// Extracts `MemAvailable` (in bytes) from the text of `/proc/meminfo`.
pub fn parse_meminfo_available(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    parse_meminfo_value(&line["MemAvailable:".len()..])
}

/// A `/proc` size field after its name, `"   24144020 kB"`, in bytes.
fn parse_meminfo_value(field: &str) -> Option<u64> {
    let mut fields = field.split_whitespace();
    let value: u64 = fields.next()?.parse().ok()?;
    let scale = match fields.next() {
        Some("kB") | Some("KB") => 1024,
        None => 1,
        Some(_) => return None,
    };
    value.checked_mul(scale)
}

/// What is left under the cgroup v2 memory limit, when the process has one.
fn cgroup_headroom() -> Option<u64> {
    let max = fs::read_to_string("/sys/fs/cgroup/memory.max").ok()?;
    let max: u64 = max.trim().parse().ok()?; // "max" means no limit: parse fails
    let current: u64 = fs::read_to_string("/sys/fs/cgroup/memory.current")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(max.saturating_sub(current))
}

/// Multiplies sizes, returning `None` on overflow of `u128`.
pub fn product(factors: &[u128]) -> Option<u128> {
    factors.iter().try_fold(1u128, |acc, &f| acc.checked_mul(f))
}

/// Formats a byte count for people: "512 B", "3.2 MB", "1.5 GB" (decimal units).
pub fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Checks that `needed` bytes (`None`: the size overflowed) can be allocated, given
/// `available` bytes (`None`: unknown, only the address-space limit is checked).
/// The error text says how much is needed and how much there is.
pub fn check_fits(needed: Option<u128>, available: Option<u64>) -> Result<(), String> {
    let Some(needed) = needed else {
        return Err("is too large: its size overflows a 128-bit byte count".to_string());
    };
    if needed > isize::MAX as u128 {
        return Err(format!(
            "is too large: it needs {} of memory, more than this machine can address",
            human_bytes(needed)
        ));
    }
    match available {
        Some(avail) if needed > u128::from(avail) => Err(format!(
            "is too large: it needs {} of memory but only {} is available",
            human_bytes(needed),
            human_bytes(u128::from(avail))
        )),
        _ => Ok(()),
    }
}

/// [`check_fits`] against the memory available right now.
pub fn ensure_fits(needed: Option<u128>) -> Result<(), String> {
    check_fits(needed, available_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_meminfo() {
        let text = "MemTotal:       24684096 kB\nMemFree:        23074080 kB\nMemAvailable:   24144020 kB\n";
        assert_eq!(parse_meminfo_available(text), Some(24144020 * 1024));
        assert_eq!(parse_meminfo_available("MemTotal: 5 kB\n"), None);
        assert_eq!(parse_meminfo_available("MemAvailable: x kB\n"), None);
    }

    #[test]
    fn rlimits_lower_the_headroom() {
        let limits = |address: &str, data: &str| {
            format!(
                "Limit                     Soft Limit           Hard Limit           Units     \n\
                 Max data size             {data:<20} unlimited            bytes     \n\
                 Max address space         {address:<20} unlimited            bytes     \n"
            )
        };
        let status = "Name:\taccel\nVmSize:\t    3896 kB\nVmData:\t     428 kB\n";
        assert_eq!(
            rlimit_headroom(&limits("unlimited", "unlimited"), status),
            None
        );
        assert_eq!(
            rlimit_headroom(&limits("1536000000", "unlimited"), status),
            Some(1_536_000_000 - 3896 * 1024)
        );
        assert_eq!(
            rlimit_headroom(&limits("1536000000", "1000000"), status),
            Some(1_000_000 - 428 * 1024)
        );
        // Already above a limit: no room at all.
        assert_eq!(
            rlimit_headroom(&limits("1000", "unlimited"), status),
            Some(0)
        );
    }

    #[test]
    fn this_machine_reports_memory() {
        // Linux always has /proc/meminfo; the value must be positive.
        if cfg!(target_os = "linux") {
            assert!(available_bytes().unwrap() > 0);
        }
    }

    #[test]
    fn fits_and_refusals() {
        assert!(check_fits(Some(100), Some(1000)).is_ok());
        assert!(check_fits(Some(100), None).is_ok());
        let e = check_fits(Some(2_000_000_000), Some(1_000_000_000)).unwrap_err();
        assert!(e.contains("2.0 GB") && e.contains("1.0 GB"), "{e}");
        assert!(check_fits(None, Some(1)).unwrap_err().contains("overflow"));
        assert!(
            check_fits(Some(u128::MAX / 2), None)
                .unwrap_err()
                .contains("address")
        );
    }

    #[test]
    fn products_overflow_to_none() {
        assert_eq!(product(&[2, 3, 4]), Some(24));
        assert_eq!(product(&[]), Some(1));
        assert_eq!(product(&[u128::MAX, 2]), None);
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3_200_000), "3.2 MB");
        assert_eq!(human_bytes(1_500_000_000), "1.5 GB");
    }
}
