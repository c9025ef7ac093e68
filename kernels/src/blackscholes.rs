//! Black-Scholes: the fused, vectorised option pricer and its references.
