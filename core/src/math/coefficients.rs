//! Generated constants: split constants and minimax polynomial coefficients.
//!
//! Do not edit by hand: regenerate with
//! `python3 core/src/math/gen_coefficients.py > core/src/math/coefficients.rs` (needs mpmath).
//! Each fit states its weighted minimax error, relative to the final function value,
//! before and after rounding the coefficients to f64 (one at a time, refitting the rest).

/// ln 2: high part, 32 significant bits, so k * LN2_HI is exact for |k| < 2^21.
pub(crate) const LN2_HI: f64 = 0.6931471803691238;
/// ln 2: the rest, LN2_HI + LN2_LO = ln 2 to about 2^-85 relative.
pub(crate) const LN2_LO: f64 = 1.9082149292705877e-10;

/// log10 2: high part, 32 significant bits, so k * LOG10_2_HI is exact for |k| < 2^21.
pub(crate) const LOG10_2_HI: f64 = 0.3010299955494702;
/// log10 2: the rest, LOG10_2_HI + LOG10_2_LO = log10 2 to about 2^-85 relative.
pub(crate) const LOG10_2_LO: f64 = 1.1451100898021838e-10;

/// 1 / ln 10: high part, 32 significant bits, so k * INV_LN10_HI is exact for |k| < 2^21.
pub(crate) const INV_LN10_HI: f64 = 0.4342944818781689;
/// 1 / ln 10: the rest, INV_LN10_HI + INV_LN10_LO = 1 / ln 10 to about 2^-85 relative.
pub(crate) const INV_LN10_LO: f64 = 2.5082946711645275e-11;

/// (e^r - 1 - r) / r^2 on |r| <= ln2/2, error relative to e^r.
/// Weighted minimax error 3.62e-18 (with f64 coefficients 3.71e-18).
pub(crate) const EXP_P: [f64; 10] = [
    0.5000000000000011,
    0.16666666666666438,
    0.04166666666652578,
    0.0083333333334737,
    0.001388888894487116,
    0.00019841269560718418,
    2.4801491729762976e-05,
    2.7557529997811086e-06,
    2.763076367758334e-07,
    2.5020392129566032e-08,
];

/// As EXP_P, short enough for the f32 functions (evaluated in f64).
/// Weighted minimax error 5.18e-11 (with f64 coefficients 5.18e-11).
pub(crate) const EXPF_P: [f64; 6] = [
    0.5000000067643783,
    0.16666665869398908,
    0.04166629508877768,
    0.008333497010753605,
    0.001394464895559887,
    0.00019790351966780646,
];

/// (ln(1+f) - f + f^2/2) / f^3 on sqrt(1/2)-1 <= f < sqrt(2)-1, error relative to ln(1+f).
/// Weighted minimax error 9.11e-18 (with f64 coefficients 9.27e-18).
pub(crate) const LN_P: [f64; 19] = [
    0.3333333333333314,
    -0.24999999999987968,
    0.20000000000066998,
    -0.16666666669827845,
    0.14285714280044626,
    -0.12499999691248792,
    0.11111111150305977,
    -0.10000015216615292,
    0.09090923842626379,
    -0.08332913213617166,
    0.07691531391820282,
    -0.0714944577145691,
    0.06684574307448382,
    -0.06196607438426882,
    0.05668433073371809,
    -0.056782217202643655,
    0.06503608423828834,
    -0.059805756966948204,
    0.02613988866904377,
];

/// (2 atanh(s) - 2s) / s^3 in z = s^2, error relative to ln(1+f), for the f32 functions.
/// Weighted minimax error 4.76e-12 (with f64 coefficients 4.76e-12).
pub(crate) const LNF_Q: [f64; 4] = [
    0.666666656486433,
    0.4000033453536222,
    0.28537346905325683,
    0.2358147350211556,
];

/// As LNF_Q, long enough for f64: fast::ln_atanh and fast::log10_atanh.
/// Weighted minimax error 1.23e-18 (with f64 coefficients 1.23e-18).
pub(crate) const LN_Q: [f64; 7] = [
    0.6666666666666734,
    0.39999999999417046,
    0.28571428741892246,
    0.22222198621701963,
    0.18183561900133802,
    0.15314110573595227,
    0.14795366873172477,
];

/// Centre of the variable u = a^2 - centre used by ERF_SMALL.
pub(crate) const ERF_SMALL_CENTRE: f64 = 0.5;
/// erf(a)/a - 1 in u = a^2 - centre on a < 1, error relative to erf.
/// Weighted minimax error 7.3e-18 (with f64 coefficients 8.21e-18).
pub(crate) const ERF_SMALL: [f64; 12] = [
    -0.0345312613301327,
    -0.2810721780454342,
    0.07940998675593693,
    -0.01828388448915446,
    0.0034802744965724427,
    -0.0005611894220953459,
    7.829649683769205e-05,
    -9.61480877466179e-06,
    1.0536326424194266e-06,
    -1.0420363486077899e-07,
    9.431865081351047e-09,
    -7.796304997077254e-10,
];

/// As ERF_SMALL, short enough for the f32 functions (evaluated in f64).
/// Weighted minimax error 3.32e-11 (with f64 coefficients 3.32e-11).
pub(crate) const ERFF_SMALL: [f64; 8] = [
    0.12837916705802288,
    -0.3761263843465603,
    0.1128378197417435,
    -0.02686540004600737,
    0.005220945443497087,
    -0.0008482828999051864,
    0.00011256949013984619,
    -9.64151921367502e-06,
];

/// erfc(a) e^(a^2) in u = (a - 2) / 2 on 1 <= a <= 6, error relative to erf.
/// Weighted minimax error 2.17e-18 (with f64 coefficients 2.54e-18).
pub(crate) const ERF_LARGE: [f64; 22] = [
    0.25539567631050564,
    -0.21359292370697827,
    0.16721101041417902,
    -0.123685102114177,
    0.08705181659303145,
    -0.05861325684612073,
    0.03791807989779238,
    -0.023651630234229046,
    0.0142664458933919,
    -0.008342395458611398,
    0.004739275263689415,
    -0.0026203738796391337,
    0.0014123895000794908,
    -0.000743715202590811,
    0.00038297713170807826,
    -0.00019165760953662243,
    9.327024396339923e-05,
    -4.6548484136379345e-05,
    2.443014098095166e-05,
    -1.1222114654040987e-05,
    3.364158625373044e-06,
    -4.522797903965333e-07,
];

/// Centre of the variable v = 1/(1 + 0.5 a) - centre used by ERFF_LARGE.
pub(crate) const ERFF_LARGE_CENTRE: f64 = 0.5;
/// As ERF_LARGE on 1 <= a <= 4, for the f32 functions (evaluated in f64).
/// Weighted minimax error 4.42e-13 (with f64 coefficients 4.42e-13).
pub(crate) const ERFF_LARGE: [f64; 8] = [
    0.2553956763342693,
    0.854371694297118,
    0.966632726663546,
    0.6318301465337463,
    0.059722138072356684,
    -0.22415865035369617,
    -0.051420808847057124,
    0.11645759752381563,
];
