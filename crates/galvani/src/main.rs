//! The `galvani` command line.
fn main() {}
