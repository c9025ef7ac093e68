//! The iterated 5×5 blur, run by the pool with temporal blocking.
