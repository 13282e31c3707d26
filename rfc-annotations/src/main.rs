//! The `rfc-annotations` command.
fn main() {}
