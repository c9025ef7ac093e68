//! The Stencil pattern: relative-offset neighbourhoods, boundary modes, iteration.
