//! Compiles `proto/runner.proto` into prost messages and tonic stubs when feature `runner` is on.
//!
//! The `.proto` is parsed by `protox` (pure Rust), so building needs no `protoc` on the machine.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/runner.proto");
    if std::env::var_os("CARGO_FEATURE_RUNNER").is_none() {
        return Ok(());
    }
    let fds = protox::compile(["proto/runner.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_transport(false)
        .bytes(".tandem.runner.v1")
        .compile_fds(fds)?;
    Ok(())
}
