//! The `tandem` binary's command line: bad configuration fails fast with a clear message.
//! (Being an integration test of this package also makes `cargo test` build the binary that the
//! end-to-end suite in `tests/` drives.)

use std::process::Command;

fn tandem() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
}

#[test]
fn unknown_config_keys_are_refused_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tandem.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:0\"\nmax_mesage_bytes = 5\n").unwrap();
    let out = tandem()
        .args(["serve", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("max_mesage_bytes"), "stderr: {stderr}");
}

#[test]
fn zero_limits_are_refused() {
    let out = tandem()
        .args(["serve", "--listen", "127.0.0.1:0", "--outbound-queue", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("outbound_queue"));
}

#[test]
fn help_lists_the_settings() {
    let out = tandem().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--data-dir",
        "--durability",
        "--max-message-bytes",
        "--outbound-queue",
    ] {
        assert!(help.contains(flag), "missing {flag}");
    }
}
