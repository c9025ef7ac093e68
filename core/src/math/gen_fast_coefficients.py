#!/usr/bin/env python3
"""Regenerate the tables of accel_core::math::fast (`fast/coefficients.rs`).

The fast functions trade the last ulp for speed where their callers' error budget
is absolute or looser than 1 ulp (Black-Scholes needs the normal CDF to about 1e-15
absolute). Each table is a set of per-piece minimax polynomials, stored
coefficient-major (`TABLE[j][piece]`) so that an AVX-512 kernel keeps one
coefficient of all 16 pieces in two registers and picks each lane's piece with a
permute instead of a gather.

Run `python3 core/src/math/gen_fast_coefficients.py > core/src/math/fast/coefficients.rs`
(needs mpmath; about a minute). It reuses the Remez exchange of gen_coefficients.py.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpmath as mp  # noqa: E402
from gen_coefficients import remez, weighted_error  # noqa: E402

mp.mp.dps = 40

PIECES = 16
ERF_DEGREE = 12
# erf(a) rounds to 1 (within 2e-17) past a = 5.93: 16 pieces of 0.375 cover [0, 6).
ERF_SCALE = float(mp.mpf(PIECES) / 6)  # t = a * ERF_SCALE, piece = floor(t)


def fit_piece(f, w, n, fixed=()):
    """Minimax fit of f(u) on [0, 1] with weight w and the given leading
    coefficients, the others rounded to f64 one at a time for the first three
    (refitting the rest), then directly."""
    rounded = [mp.mpf(float(c)) for c in fixed]
    coef, _ = remez(f, w, 0, 1, n, fixed=rounded, grid=400, iters=25)
    for k in range(len(fixed), 3):
        if k > len(fixed):
            coef, _ = remez(f, w, 0, 1, n, fixed=rounded, start=coef, grid=400, iters=25)
        rounded.append(mp.mpf(float(coef[k])))
    rounded += [mp.mpf(float(c)) for c in coef[3:]]
    grid = [mp.mpf(k) / 2000 for k in range(2001)]
    err = max(abs(weighted_error(f, w, rounded, t)) for t in grid)
    return [float(c) for c in rounded], err


LOG_DEGREE = 7
# log10: m in [1, 2), folded to m/2 in [0.75, 1) from 1.5 up (exponent + 1). The
# top 4 mantissa bits of v = m + 1/32 give the piece: k = 0..8 for v in [1, 1.53)
# (m centred on 1 + k/16, width 1/16; c_0 = 1 exactly), k = 9..15 for v in
# [0.78, 1) (m centred on (1 + k/16)/2 - 1/64, width 1/32). r = m c_k - 1.
LOG_R = mp.mpf("0.0320")  # |r| <= 1/32, plus margin for the index rounding


def log_centre(k):
    if k <= 8:
        return 1 + mp.mpf(k) / 16
    return (1 + mp.mpf(k) / 16) / 2 - mp.mpf(1) / 64


def log_tables():
    centre = [float(log_centre(k)) for k in range(PIECES)]  # exact
    recip = [float(1 / log_centre(k)) for k in range(PIECES)]
    log = [float(mp.log10(log_centre(k))) for k in range(PIECES)]

    def p(r):
        if abs(r) < mp.mpf("1e-30"):
            return -mp.mpf(1) / 2 + r / 3
        return (mp.log(1 + r) - r) / r**2

    def w(r):
        if abs(r) < mp.mpf("1e-25"):
            return abs(r) + mp.mpf("1e-30")
        return r * r / abs(mp.log(1 + r))

    coef, _ = remez(p, w, -LOG_R, LOG_R, LOG_DEGREE, grid=600, iters=25)
    rounded = [mp.mpf(float(c)) for c in coef]
    grid = [-LOG_R + 2 * LOG_R * k / 4000 for k in range(4001)]
    err = max(abs(weighted_error(p, w, rounded, t)) for t in grid)
    return centre, recip, log, [float(c) for c in rounded], err


EXP_DEGREE = 4
# exp: x = (16 k + j) ln2/16 + r, |r| <= ln2/32; e^x = 2^k 2^(j/16) (1 + r + r^2 Q(r)).
EXP_R = mp.log(2) / 32 * (1 + mp.mpf(2) ** -20)


def exp_tables():
    powers = [float(mp.mpf(2) ** (mp.mpf(j) / 16)) for j in range(PIECES)]

    def q(r):
        if abs(r) < mp.mpf("1e-30"):
            return mp.mpf(1) / 2 + r / 6
        return (mp.exp(r) - 1 - r) / r**2

    w = lambda r: max(r * r, mp.mpf("1e-40")) / mp.exp(r)
    with mp.workdps(80):  # the small interval makes the Remez system ill-conditioned
        coef, _ = remez(q, w, -EXP_R, EXP_R, EXP_DEGREE, grid=600, iters=25)
    rounded = [mp.mpf(float(c)) for c in coef]
    grid = [-EXP_R + 2 * EXP_R * k / 4000 for k in range(4001)]
    err = max(abs(weighted_error(q, w, rounded, t)) for t in grid)
    return powers, [float(c) for c in rounded], err


def main():
    print('''//! Generated tables for `math::fast`: per-piece minimax polynomials.
//!
//! Do not edit by hand: regenerate with
//! `python3 core/src/math/gen_fast_coefficients.py > core/src/math/fast/coefficients.rs`
//! (needs mpmath). Stored coefficient-major, `TABLE[j][piece]`, so that a vector
//! kernel holds coefficient `j` of every piece in registers and permutes it per lane.

// Table entries such as 2^(8/16) are the values they approximate, not stand-ins for
// std's constants.
#![allow(clippy::approx_constant)]
''')
    scale = mp.mpf(ERF_SCALE)
    table, worst = [], 0
    for k in range(PIECES):
        if k == 0:
            # Piece 0 is u Q(u) with no constant term, so erf(±0) = ±0 and tiny
            # arguments keep their relative accuracy; Q's error counts times u.
            # Q(0) is the slope at 0, rounded, so erf(x) ~ 2x/sqrt(pi) to an ulp.
            slope = 2 / mp.sqrt(mp.pi) / scale
            q = lambda u: mp.erf(u / scale) / u if u > 0 else slope
            coef, err = fit_piece(q, lambda u: max(u, mp.mpf("1e-9")), ERF_DEGREE - 1,
                                  fixed=(slope,))
            coef = [0.0] + coef
        else:
            f = lambda u, k=k: mp.erf((u + k) / scale)
            coef, err = fit_piece(f, lambda u: mp.mpf(1), ERF_DEGREE)
        table.append(coef)
        worst = max(worst, err)
    print(f"/// `t = |x| * ERF_SCALE` (= 16/6 rounded): piece `floor(t)` covers "
          f"`t` in `[piece, piece + 1)`.")
    print(f"pub(crate) const ERF_SCALE: f64 = {ERF_SCALE!r};")
    print(f"/// erf((u + piece) / ERF_SCALE) = sum_j ERF_PIECES[j][piece] u^j on 0 <= u < 1;")
    print(f"/// minimax absolute error {mp.nstr(worst, 3)} with the f64 coefficients.")
    print(f"pub(crate) const ERF_PIECES: [[f64; {PIECES}]; {ERF_DEGREE + 1}] = [")
    for j in range(ERF_DEGREE + 1):
        print("    [")
        for k in range(PIECES):
            print(f"        {table[k][j]!r},")
        print("    ],")
    print("];")

    powers, q, err = exp_tables()
    print()
    print("/// exp pieces: 2^(j/16), rounded.")
    print(f"pub(crate) const EXP_POW2: [f64; {PIECES}] = [")
    for c in powers:
        print(f"    {c!r},")
    print("];")
    print(f"/// (e^r - 1 - r) / r^2 on |r| <= ln2/32; minimax error relative to e^r")
    print(f"/// {mp.nstr(err, 3)} with the f64 coefficients.")
    print(f"pub(crate) const EXP_Q: [f64; {EXP_DEGREE + 1}] = [")
    for c in q:
        print(f"    {c!r},")
    print("];")

    centre, recip, log, p, err = log_tables()
    print()
    for name, doc, values in [
        ("LOG_CENTRE", "log10 pieces: the centre of each (exact; 1 for k = 0).", centre),
        ("LOG_RECIP", "1 / [`LOG_CENTRE`], rounded (exactly 1 for k = 0).", recip),
        ("LOG_LOG10", "log10 of [`LOG_CENTRE`], rounded (exactly 0 for k = 0).", log),
    ]:
        print(f"/// {doc}")
        print(f"pub(crate) const {name}: [f64; {PIECES}] = [")
        for c in values:
            print(f"    {c!r},")
        print("];")
    print(f"/// (ln(1+r) - r) / r^2 on |r| <= {mp.nstr(LOG_R, 3)}; minimax error relative to ln(1+r)")
    print(f"/// {mp.nstr(err, 3)} with the f64 coefficients.")
    print(f"pub(crate) const LOG_P: [f64; {LOG_DEGREE + 1}] = [")
    for c in p:
        print(f"    {c!r},")
    print("];")


if __name__ == "__main__":
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main()
    sys.stdout.write(buffer.getvalue().rstrip() + "\n")
