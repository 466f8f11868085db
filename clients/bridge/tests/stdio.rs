//! The `tandem-bridge` executable on its own stdio, before any room: the line limit, the offset
//! units, and a clean exit when the editor closes stdin. (Rooms: tests/e2e/bridge.rs.) Being an
//! integration test of this crate, it also makes `cargo test --workspace` build the executable
//! the end-to-end suite drives.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn exchange(args: &[&str], input: &str) -> (Vec<serde_json::Value>, Option<i32>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tandem-bridge"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tandem-bridge");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let out: Vec<serde_json::Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).expect("a JSON line"))
        .collect();
    (out, child.wait().unwrap().code())
}

#[test]
fn an_overlong_line_is_refused_and_the_bridge_goes_on() {
    let long = format!("{{\"type\":\"chat\",\"text\":\"{}\"}}\n", "x".repeat(200));
    let input = format!(
        "{{\"type\":\"hello\",\"protocol\":1,\"offsets\":\"utf-16\"}}\n{long}{{\"type\":\"leave\",\"id\":3}}\n"
    );
    let (out, code) = exchange(&["--max-line-bytes", "100"], &input);
    assert_eq!(out[0]["type"], "welcome");
    assert_eq!(out[0]["offsets"], "utf-16");
    assert_eq!(out[1]["code"], "bad_message");
    assert!(
        out[1]["message"]
            .as_str()
            .unwrap()
            .contains("max_line_bytes")
    );
    assert_eq!(
        (out[2]["type"].as_str(), out[2]["re"].as_u64()),
        (Some("left"), Some(3))
    );
    assert_eq!(code, Some(0), "stdin closed: a clean exit");
}

#[test]
fn an_unknown_offset_unit_is_refused_until_a_known_one() {
    let input = "{\"type\":\"hello\",\"protocol\":1,\"offsets\":\"latin-1\"}\n{\"type\":\"hello\",\"protocol\":1}\n";
    let (out, code) = exchange(&[], input);
    assert_eq!(out[0]["code"], "bad_message");
    assert_eq!(
        (out[1]["type"].as_str(), out[1]["offsets"].as_str()),
        (Some("welcome"), Some("utf-8"))
    );
    assert_eq!(code, Some(0));
}
