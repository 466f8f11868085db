//! claude-mock
fn main() {}
