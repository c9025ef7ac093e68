//! The accuracy table: one row per function of [`crate::math`], with the error
//! bound its documentation promises.
//!
//! This is the only place the bounds are written down. The function docs link
//! to their row, the rendered table is the documentation of [`ACCURACY`], and the
//! accuracy tests read their limits from here: `core/tests/math_ulp.rs` checks
//! the rows of [`crate::math`] (and holds its `fma` flavours to the same rows),
//! `core/tests/math_fast.rs` those of [`crate::math::fast`]. Changing a bound
//! therefore changes the docs and the tests together.
//!
//! Every row is checked over 1.2e7 arguments spread across the inputs it names,
//! plus edge and special values; see the test files for how they are drawn.

/// How far a result may be from its reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// Correctly rounded: the reference value rounded to nearest, that is at
    /// most half an ulp from the exact result.
    CorrectlyRounded,
    /// At most this many units in the last place of the result's type.
    Ulp(f64),
    /// At most this absolute difference, whatever the size of the result.
    Absolute(f64),
}

impl Bound {
    /// The bound in ulps, `None` for an absolute bound. A correctly rounded
    /// result counts as half an ulp: as an integer distance from another
    /// correctly rounded result that means 0.
    pub const fn max_ulp(self) -> Option<f64> {
        match self {
            Bound::CorrectlyRounded => Some(0.5),
            Bound::Ulp(u) => Some(u),
            Bound::Absolute(_) => None,
        }
    }

    /// The absolute bound, `None` for a bound in ulps.
    pub const fn max_absolute(self) -> Option<f64> {
        match self {
            Bound::Absolute(a) => Some(a),
            Bound::CorrectlyRounded | Bound::Ulp(_) => None,
        }
    }
}

/// What an error is measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    /// The `libm` crate's f64 result, as a whole number of f64 ulps. `libm`
    /// is itself within about half an ulp, so the bound covers both errors.
    Libm,
    /// For an f32 function: the `libm` crate's f64 result, which is exact at
    /// f32 scale, as a fractional number of f32 ulps.
    LibmF64,
}

/// One row of the table: a function, the flavours held to the same bound, the
/// bound and the arguments it is checked over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Accuracy {
    /// The function's path below `accel_core::math`, e.g. `"fast::erf"`.
    pub function: &'static str,
    /// Other flavours of the function checked against the same bound (the FMA
    /// flavours, and AVX-512 flavours that give the FMA flavour's bits).
    pub flavours: &'static [&'static str],
    /// The largest error allowed.
    pub bound: Bound,
    /// What the error is measured against.
    pub reference: Reference,
    /// The arguments the bound is checked over.
    pub inputs: &'static str,
}

/// The text of a bound in the rendered table.
macro_rules! bound_text {
    (CorrectlyRounded) => {
        "correctly rounded"
    };
    (Ulp $value:literal) => {
        concat!("≤ ", $value, " ulp")
    };
    (Absolute $value:literal) => {
        concat!("≤ ", $value, " absolute")
    };
}

/// The value of a bound.
macro_rules! bound_value {
    (CorrectlyRounded) => {
        Bound::CorrectlyRounded
    };
    ($kind:ident $value:literal) => {
        Bound::$kind($value as f64)
    };
}

/// The text of a reference in the rendered table.
macro_rules! reference_text {
    (Libm) => {
        "`libm`, f64"
    };
    (LibmF64) => {
        "`libm` in f64 (exact at f32 scale)"
    };
}

/// Defines one documented constant per row and [`ACCURACY`] with the rendered
/// table, from a single list.
macro_rules! accuracy_table {
    ($(
        $name:ident = $function:literal $([$($flavour:literal),*])?:
            $kind:ident $($value:literal)?, $reference:ident, $inputs:literal;
    )*) => {
        $(
            #[doc = concat!(
                "The row of [`", $function, "`](super::", $function, "): ",
                bound_text!($kind $($value)?), " against ", reference_text!($reference),
                ", checked over ", $inputs, "."
            )]
            pub const $name: Accuracy = Accuracy {
                function: $function,
                flavours: &[$($($flavour),*)?],
                bound: bound_value!($kind $($value)?),
                reference: Reference::$reference,
                inputs: $inputs,
            };
        )*

        /// Every function's stated error bound: the table below is rendered from
        /// the same rows, which the accuracy tests assert.
        ///
        /// | function | also | bound | against | checked over |
        /// |---|---|---|---|---|
        $(
            #[doc = concat!(
                "| [`", $function, "`](super::", $function, ") | ",
                $($("`", $flavour, "` ",)*)?
                "| ", bound_text!($kind $($value)?),
                " | ", reference_text!($reference),
                " | ", $inputs, " |"
            )]
        )*
        pub const ACCURACY: &[Accuracy] = &[$($name),*];
    };
}

accuracy_table! {
    EXP = "exp" ["fma::exp"]:
        Ulp 1, Libm, "all f64, overflowing and subnormal results included";
    EXPF = "expf" ["fma::expf"]:
        Ulp 1, LibmF64, "all f32, overflowing and subnormal results included";
    LN = "ln" ["fma::ln"]:
        Ulp 1, Libm, "all positive f64, subnormals included";
    LNF = "lnf" ["fma::lnf"]:
        Ulp 1, LibmF64, "all positive f32, subnormals included";
    LOG10 = "log10" ["fma::log10"]:
        Ulp 1, Libm, "all positive f64, subnormals included";
    LOG10F = "log10f" ["fma::log10f"]:
        Ulp 1, LibmF64, "all positive f32, subnormals included";
    ERF = "erf" ["fma::erf"]:
        Ulp 1, Libm, "all f64, tiny and subnormal arguments included";
    ERFF = "erff" ["fma::erff"]:
        Ulp 1.5, LibmF64, "all f32, tiny and subnormal arguments included";
    SQRT = "sqrt":
        CorrectlyRounded, Libm, "all non-negative f64";
    SQRTF = "sqrtf":
        CorrectlyRounded, LibmF64, "all non-negative f32";
    FAST_EXP = "fast::exp" ["fast::exp_fma", "fast::exp_avx512"]:
        Ulp 1, Libm, "all f64, subnormal results included";
    FAST_LOG10 = "fast::log10" ["fast::log10_fma", "fast::log10_avx512"]:
        Ulp 3, Libm, "all positive f64, subnormals included";
    FAST_ERF = "fast::erf" ["fast::erf_fma", "fast::erf_avx512"]:
        Absolute 2.3e-16, Libm, "all f64 (relative accuracy is lost for tiny arguments)";
    FAST_ERF_STEP = "fast::erf_step" ["fast::erf_step_fma", "fast::erf_step_avx2"]:
        Ulp 3, Libm, "all f64, tiny and subnormal arguments included";
    FAST_LN_ATANH = "fast::ln_atanh" ["fast::ln_atanh_fma"]:
        Ulp 1, Libm, "all positive f64, subnormals included";
    FAST_LOG10_ATANH = "fast::log10_atanh" ["fast::log10_atanh_fma"]:
        Ulp 2, Libm, "all positive f64, subnormals included";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_function_has_one_row() {
        for (i, a) in ACCURACY.iter().enumerate() {
            assert!(
                ACCURACY[..i].iter().all(|b| b.function != a.function),
                "{} appears twice",
                a.function
            );
        }
    }

    #[test]
    fn every_row_has_exactly_one_kind_of_bound() {
        for a in ACCURACY {
            assert!(
                a.bound.max_ulp().is_some() != a.bound.max_absolute().is_some(),
                "{}",
                a.function
            );
        }
        assert_eq!(ERFF.bound, Bound::Ulp(1.5));
        assert_eq!(FAST_ERF.bound.max_absolute(), Some(2.3e-16));
        assert_eq!(SQRT.bound.max_ulp(), Some(0.5));
    }
}
