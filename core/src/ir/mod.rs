//! The parallel-pattern IR: pointwise expressions and the Map, Reduce, Comprehension
//! and Stencil patterns, their passes and the serial reference executor.

pub mod stencil;
