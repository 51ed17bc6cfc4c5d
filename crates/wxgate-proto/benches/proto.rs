//! criterion benchmarks of the protocol core.

fn main() {}
