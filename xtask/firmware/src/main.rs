//! accel-core on a Cortex-M4F: runs the workloads of `workload.rs` under QEMU
//! (`mps2-an386`), measures each one's stack high-water mark, and prints one line
//! per workload over semihosting:
//!
//! ```text
//! accel-fw <name> checksum=<16 hex digits> stack=<bytes>
//! ```
//!
//! then `accel-fw done` and exits with status 0. `cargo xtask embedded` runs the
//! same workloads on the host and compares the checksums bit for bit.
//!
//! # Measuring the stack
//! Before each workload the free stack below the current stack pointer, down to
//! the end of static RAM (`_stack_end`), is filled with a pattern; afterwards the
//! lowest word no longer holding it marks the deepest point the workload reached.
//! The figure is the distance from the stack pointer at the call to that word,
//! so it counts everything the workload itself put on the stack.

#![no_std]
#![no_main]

use core::fmt::Write;
use core::panic::PanicInfo;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hio};

#[allow(dead_code)]
mod workload;

use workload::{BLUR_AREA, BLUR_SCRATCH, OPTIONS, OptionsF32, OptionsF64};

/// The pattern the free stack is painted with.
const PAINT: u32 = 0xACCE_15ED;
/// Bytes left unpainted just below the stack pointer (the painting loop's frame).
const MARGIN: usize = 64;

unsafe extern "C" {
    /// The lowest address the stack may grow to (cortex-m-rt's linker script).
    static mut _stack_end: u32;
}

/// Runs `f`, returning its result and the stack bytes it used.
#[inline(never)]
fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let sp = cortex_m::register::msp::read() as usize;
    let bottom = core::ptr::addr_of_mut!(_stack_end) as usize;
    let top = sp - MARGIN;
    let mut p = bottom;
    while p < top {
        // SAFETY: `[bottom, sp - MARGIN)` is free stack below every live frame;
        // nothing else uses it while this loop runs.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
    let result = core::hint::black_box(f());
    let mut lowest = bottom;
    // SAFETY: as above; reading words of the painted region.
    while lowest < top && unsafe { core::ptr::read_volatile(lowest as *const u32) } == PAINT {
        lowest += 4;
    }
    (result, sp - lowest)
}

/// Static RAM for the planes (kept off the stack, so the stack figure is the
/// executors' own).
struct Buffers {
    plane: [f32; BLUR_AREA],
    scratch: [f32; BLUR_SCRATCH],
    options_f64: OptionsF64,
    put_f64: [f64; OPTIONS],
    options_f32: OptionsF32,
    put_f32: [f32; OPTIONS],
}

#[entry]
fn main() -> ! {
    let mut out = hio::hstdout().unwrap_or_else(|_| fail());
    let buffers: &'static mut Buffers = cortex_m::singleton!(: Buffers = Buffers {
        plane: [0.0; BLUR_AREA],
        scratch: [0.0; BLUR_SCRATCH],
        options_f64: [[0.0; OPTIONS]; 5],
        put_f64: [0.0; OPTIONS],
        options_f32: [[0.0; OPTIONS]; 5],
        put_f32: [0.0; OPTIONS],
    })
    .unwrap_or_else(|| fail());
    let mut report = |name: &str, index: Option<&str>, (checksum, stack): (u64, usize)| {
        let name_suffix = index.unwrap_or("");
        let sep = if index.is_some() { "/" } else { "" };
        let _ = writeln!(
            out,
            "accel-fw {name}{sep}{name_suffix} checksum={checksum:016x} stack={stack}"
        );
    };
    for boundary in workload::BOUNDARIES {
        let Buffers { plane, scratch, .. } = &mut *buffers;
        report(
            "blur_reference",
            Some(boundary.name()),
            measure(|| workload::blur_reference(boundary, plane, scratch)),
        );
        report(
            "blur_blocked",
            Some(boundary.name()),
            measure(|| workload::blur_blocked(boundary, plane, scratch)),
        );
    }
    let Buffers {
        options_f64,
        put_f64,
        options_f32,
        put_f32,
        ..
    } = &mut *buffers;
    report(
        "blackscholes_f64",
        None,
        measure(|| workload::blackscholes_f64(options_f64, put_f64)),
    );
    report(
        "blackscholes_f32",
        None,
        measure(|| workload::blackscholes_f32(options_f32, put_f32)),
    );
    report("banded_sizes", None, measure(workload::banded_sizes));
    let _ = writeln!(out, "accel-fw done");
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}

/// Ends the run with a failure status.
fn fail() -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        let _ = writeln!(out, "accel-fw panic: {info}");
    }
    fail()
}
