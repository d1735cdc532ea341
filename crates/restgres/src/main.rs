//! The restgres binary.
fn main() {}
