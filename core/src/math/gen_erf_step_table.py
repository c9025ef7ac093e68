#!/usr/bin/env python3
"""Regenerate core/src/math/fast/erf_step_table.rs: the grid of math::fast::erf_step.

For r = k/128, k = 0..=768 (the grid covers [0, 6]), each row holds erf(r) and its
slope 2/sqrt(pi) e^(-r^2), both rounded to nearest f64 from 40-digit mpmath values.
Run `python3 core/src/math/gen_erf_step_table.py > core/src/math/fast/erf_step_table.rs`
(needs mpmath; a second or two).
"""
import mpmath as mp

mp.mp.dps = 40
STEPS = 128
LAST = 6 * STEPS


def main():
    print("//! Generated grid for `math::fast::erf_step`: `[erf(r), 2/sqrt(pi) e^(-r^2)]` at")
    print(f"//! `r = k/{STEPS}`, `k = 0..={LAST}`, each rounded to nearest f64.")
    print("//!")
    print("//! Do not edit by hand: regenerate with")
    print("//! `python3 core/src/math/gen_erf_step_table.py > core/src/math/fast/erf_step_table.rs`")
    print("//! (needs mpmath).")
    print()
    print("// Entries such as 2/sqrt(pi) are the values they tabulate, not stand-ins for")
    print("// std's constants.")
    print("#![allow(clippy::approx_constant)]")
    print()
    print(f"/// Grid points per unit of the argument.")
    print(f"pub(crate) const STEPS: f64 = {STEPS}.0;")
    print(f"/// Rows of [`GRID`]: `r = 0, 1/{STEPS}, ..., {LAST // STEPS}`.")
    print(f"pub(crate) const ROWS: usize = {LAST + 1};")
    print()
    print("/// `GRID[k] = [erf(k/STEPS), 2/sqrt(pi) e^(-(k/STEPS)^2)]`, 16-byte rows so that")
    print("/// one gather index reads both.")
    print("#[repr(C, align(64))]")
    print("pub(crate) struct Grid(pub(crate) [[f64; 2]; ROWS]);")
    print()
    print("/// The grid.")
    print("pub(crate) static GRID: Grid = Grid([")
    two_over_root_pi = 2 / mp.sqrt(mp.pi)
    for k in range(LAST + 1):
        r = mp.mpf(k) / STEPS
        e = float(mp.erf(r))
        s = float(two_over_root_pi * mp.exp(-r * r))
        print(f"    [{e!r}, {s!r}],")
    print("]);")


if __name__ == "__main__":
    main()
