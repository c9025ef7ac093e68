//! The BlockBandedMatrices.jl storage layout of a banded-block-banded matrix.
