#!/usr/bin/env python3
"""Regenerate the polynomial coefficients used by accel_core::math.

Every approximation in core/src/math is a weighted minimax polynomial found by the
Remez exchange algorithm below (mpmath, 50 decimal digits). The weight makes the
error relative to the *final* function value, so each fit minimises exactly the
error that the caller sees. Run `python3 gen_coefficients.py > coefficients.rs` (needs
mpmath, takes several minutes); it also prints each fit's error before and after
rounding the coefficients to f64, which is the approximation part of the error
budget stated in the function docs (the rest is rounding in f64 evaluation).
"""
import mpmath as mp

mp.mp.dps = 50


def remez(f, w, a, b, n, fixed=(), start=None, iters=40, grid=2000, cache=None):
    """Coefficients c[0..=n] minimising max |w(t) * (f(t) - sum c_i t^i)| on [a, b].

    `fixed` holds the already chosen leading coefficients c[0..len(fixed)]; only the
    others are fitted, so rounding them to f64 one at a time can be compensated.
    `start` is an initial guess whose error extrema give the first reference.
    `cache` (a dict) can be shared between calls with the same f, w and grid.
    """
    a, b = mp.mpf(a), mp.mpf(b)
    k0 = len(fixed)
    free = n + 1 - k0
    m = free + 1
    cheb = lambda k, cnt: (a + b) / 2 - (b - a) / 2 * mp.cos(mp.pi * k / (cnt - 1))
    pts = [cheb(k, grid) for k in range(grid)]
    if cache is None:
        cache = {}

    def fw(t):
        if t not in cache:
            cache[t] = (f(t), w(t))
        return cache[t]

    def extrema(coef):
        errs = [weighted_error(f, w, coef, t, fw) for t in pts]
        # One extremum per run of equal sign, then keep the m alternating ones
        # around the largest, dropping the smaller end each time.
        runs, cur = [], [0]
        for i in range(1, grid):
            if mp.sign(errs[i]) == mp.sign(errs[cur[-1]]) or errs[i] == 0:
                cur.append(i)
            else:
                runs.append(cur)
                cur = [i]
        runs.append(cur)
        ext = [max(r, key=lambda i: abs(errs[i])) for r in runs]
        while len(ext) > m:
            ext = ext[1:] if abs(errs[ext[0]]) < abs(errs[ext[-1]]) else ext[:-1]
        return ext, max(abs(e) for e in errs)

    if start is None:
        ref = [cheb(k, m) for k in range(m)]
    else:
        guess = list(fixed) + list(start[k0:])
        ext, worst = extrema(guess)
        if len(ext) < m:
            ext = [round(k * (grid - 1) / (m - 1)) for k in range(m)]
        ref = [pts[i] for i in ext]
    best = None
    for _ in range(iters):
        mat, rhs = mp.matrix(m, m), mp.matrix(m, 1)
        for i, t in enumerate(ref):
            ft, wt = fw(t)
            for j in range(free):
                mat[i, j] = t ** (k0 + j)
            mat[i, free] = (-1) ** i / wt
            rhs[i] = ft - sum(c * t**j for j, c in enumerate(fixed))
        sol = mp.lu_solve(mat, rhs)
        coef = list(fixed) + [sol[j] for j in range(free)]
        level = abs(sol[free])
        ext, worst = extrema(coef)
        if best is None or worst < best[1]:
            best = (coef, worst)
        if len(ext) < m or worst / level - 1 < mp.mpf("1e-4"):
            break
        ref = [pts[i] for i in ext]
    return best


def weighted_error(f, w, coef, t, fw=None):
    ft, wt = fw(t) if fw else (f(t), w(t))
    p = mp.mpf(0)
    for c in reversed(coef):
        p = p * t + c
    return wt * (ft - p)


def to_f64(x):
    return float(x)


def emit(name, doc, f, w, a, b, n):
    cache = {}
    coef, err = remez(f, w, a, b, n, cache=cache)
    grid = [a + (b - a) * k / 4000 for k in range(4001)]

    def fw(t):
        if t not in cache:
            cache[t] = (f(t), w(t))
        return cache[t]

    def max_error(c):
        return max(abs(weighted_error(f, w, c, t, fw)) for t in grid)

    # Round one coefficient at a time, refitting the ones after it when that helps
    # (with few free coefficients left the refit can be ill-posed, e.g. t^10 and t^11
    # both vanish at 0, so keep whichever is better).
    rounded = []
    for k in range(n + 1):
        if k > 0:
            refit, _ = remez(f, w, a, b, n, fixed=rounded, start=coef, cache=cache)
            if max_error(refit) < max_error(rounded + coef[k:]):
                coef = refit
        rounded.append(mp.mpf(to_f64(coef[k])))
    err_rounded = max_error(rounded)
    print(f"/// {doc}")
    print(f"/// Weighted minimax error {mp.nstr(err, 3)} (with f64 coefficients {mp.nstr(err_rounded, 3)}).")
    print(f"pub(crate) const {name}: [f64; {n + 1}] = [")
    for c in rounded:
        print(f"    {repr(to_f64(c))},")
    print("];\n")


def split_constant(name, doc, value, bits=32):
    """Print value as HI (truncated to `bits` significant bits, so small multiples are exact) + LO."""
    e = mp.floor(mp.log(abs(value), 2))
    scale = mp.mpf(2) ** (bits - 1 - e)
    hi = mp.floor(value * scale) / scale
    print(f"/// {doc}: high part, {bits} significant bits, so k * {name}_HI is exact for |k| < 2^{53 - bits}.")
    print(f"pub(crate) const {name}_HI: f64 = {repr(to_f64(hi))};")
    print(f"/// {doc}: the rest, {name}_HI + {name}_LO = {doc} to about 2^-85 relative.")
    print(f"pub(crate) const {name}_LO: f64 = {repr(to_f64(value - hi))};\n")


HEADER = """//! Generated constants: split constants and minimax polynomial coefficients.
//!
//! Do not edit by hand: regenerate with
//! `python3 core/src/math/gen_coefficients.py > core/src/math/coefficients.rs` (needs mpmath).
//! Each fit states its weighted minimax error, relative to the final function value,
//! before and after rounding the coefficients to f64 (one at a time, refitting the rest).
"""


def main():
    print(HEADER)
    split_constant("LN2", "ln 2", mp.log(2))
    split_constant("LOG10_2", "log10 2", mp.log10(2))
    split_constant("INV_LN10", "1 / ln 10", 1 / mp.log(10))
    ln2_half = mp.log(2) / 2 + mp.mpf(2) ** -20

    def exp_p(r):
        if abs(r) < mp.mpf("1e-25"):
            return mp.mpf(1) / 2 + r / 6
        return (mp.exp(r) - 1 - r) / r**2

    exp_w = lambda r: max(r * r, mp.mpf("1e-10")) / mp.exp(r)
    emit("EXP_P", "(e^r - 1 - r) / r^2 on |r| <= ln2/2, error relative to e^r.",
         exp_p, exp_w, -ln2_half, ln2_half, 9)
    emit("EXPF_P", "As EXP_P, short enough for the f32 functions (evaluated in f64).",
         exp_p, exp_w, -ln2_half, ln2_half, 5)

    # ln(1 + f) = f - f^2/2 + f^3 P(f) on the reduced range, with no division.
    f_lo = mp.sqrt(mp.mpf(1) / 2) - 1 - mp.mpf(2) ** -30
    f_hi = mp.sqrt(2) - 1 + mp.mpf(2) ** -30

    def ln_p(t):
        if abs(t) < mp.mpf("1e-30"):
            return mp.mpf(1) / 3 - t / 4
        return (mp.log(1 + t) - t + t * t / 2) / t**3

    ln_p_w = lambda t: (abs(t) ** 3 + mp.mpf("1e-60")) / (abs(mp.log(1 + t)) + mp.mpf("1e-60"))
    emit("LN_P", "(ln(1+f) - f + f^2/2) / f^3 on sqrt(1/2)-1 <= f < sqrt(2)-1, error relative to ln(1+f).",
         ln_p, ln_p_w, f_lo, f_hi, 18)

    # The f32 functions keep the atanh form: ln(1+f) = 2s + s^3 Q(s^2), s = f/(2+f).
    s_max = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)
    z_max = s_max**2 * (1 + mp.mpf("1e-6"))

    def ln_q(z):
        if z < mp.mpf("1e-40"):
            return mp.mpf(2) / 3
        s = mp.sqrt(z)
        return (2 * mp.atanh(s) - 2 * s) / s**3

    def ln_w(z):
        z = max(z, mp.mpf("1e-20"))
        s = mp.sqrt(z)
        return s**3 / (2 * mp.atanh(s))

    emit("LNF_Q", "(2 atanh(s) - 2s) / s^3 in z = s^2, error relative to ln(1+f), for the f32 functions.",
         ln_q, ln_w, 0, z_max, 3)
    emit("LN_Q", "As LNF_Q, long enough for f64: fast::ln_atanh and fast::log10_atanh.",
         ln_q, ln_w, 0, z_max, 6)

    def erf_a(s):
        if s < mp.mpf("1e-40"):
            return 2 / mp.sqrt(mp.pi) - 1
        x = mp.sqrt(s)
        return mp.erf(x) / x - 1

    erf_a_w = lambda s: 1 / (1 + erf_a(s))
    # Centred on s = 1/2: the terms then cancel less near a = 1, where they add up
    # to erf(1) - 1 from terms about twice as large, than with the plain variable.
    centre = mp.mpf(1) / 2
    print(f"/// Centre of the variable u = a^2 - centre used by ERF_SMALL.")
    print(f"pub(crate) const ERF_SMALL_CENTRE: f64 = {repr(to_f64(centre))};")
    emit("ERF_SMALL", "erf(a)/a - 1 in u = a^2 - centre on a < 1, error relative to erf.",
         lambda u: erf_a(u + centre), lambda u: erf_a_w(u + centre), -centre, 1 - centre, 11)
    emit("ERFF_SMALL", "As ERF_SMALL, short enough for the f32 functions (evaluated in f64).",
         erf_a, erf_a_w, 0, 1, 7)

    def erf_large(p, hi, n, name, doc):
        centre = to_f64((1 / (1 + p * hi) + 1 / (1 + p)) / 2)
        arg = lambda v: (1 / (v + centre) - 1) / p
        g = lambda v: mp.erfc(arg(v)) * mp.exp(arg(v) ** 2)
        wt = lambda v: mp.exp(-arg(v) ** 2) / mp.erf(arg(v))
        print(f"/// Centre of the variable v = 1/(1 + {to_f64(p)} a) - centre used by {name}.")
        print(f"pub(crate) const {name}_CENTRE: f64 = {repr(centre)};")
        emit(name, doc, g, wt, 1 / (1 + p * hi) - centre, 1 / (1 + p) - centre, n)

    # erfc(a) e^(a^2) as a polynomial in u = (a - 2) / 2 on 1 <= a <= 6: no division,
    # and u is exact (a - 2 is exact for a in [1, 6] and halving is exact).
    arg = lambda u: 2 + 2 * u
    emit("ERF_LARGE", "erfc(a) e^(a^2) in u = (a - 2) / 2 on 1 <= a <= 6, error relative to erf.",
         lambda u: mp.erfc(arg(u)) * mp.exp(arg(u) ** 2),
         lambda u: mp.exp(-arg(u) ** 2) / mp.erf(arg(u)), mp.mpf(-1) / 2, 2, 21)
    erf_large(mp.mpf(0.5), 4, 7, "ERFF_LARGE",
              "As ERF_LARGE on 1 <= a <= 4, for the f32 functions (evaluated in f64).")


if __name__ == "__main__":
    import contextlib
    import io
    import sys

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main()
    sys.stdout.write(buffer.getvalue().rstrip() + "\n")
