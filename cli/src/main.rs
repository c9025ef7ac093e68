//! The `accel` command: runs accel's workloads on the user's own data.
//!
//! It will offer `fill`, `blackscholes`, `blur` and `info`; library crates never
//! print, so all user-facing text lives here.

fn main() {
    println!("accel {}", env!("CARGO_PKG_VERSION"));
}
