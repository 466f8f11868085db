//! The `claude-mock` binary: prints its address first, honours its flags, stops on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

#[tokio::test]
async fn the_binary_prints_its_address_serves_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("claude-mock-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rules = dir.join("rules.json");
    std::fs::write(
        &rules,
        r#"{"rules": [{"when": {"always": true}, "reply": [{"text": "from a file"}]}]}"#,
    )
    .expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_claude-mock"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "sk-one",
            "--api-key",
            "sk-two",
            "--rules",
        ])
        .arg(&rules)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("a first line");
    let url = line
        .trim()
        .strip_prefix("claude-mock listening on ")
        .expect("the address line")
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let client = reqwest::Client::new();
    let health: Value = client
        .get(format!("{url}/_mock/health"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(health["status"], "ok");
    let request = |key: &str| {
        client
            .post(format!("{url}/v1/messages"))
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01")
            .json(&json!({"model": "m", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
    };
    assert_eq!(request("sk-three").await.expect("sent").status(), 401);
    let body = request("sk-two")
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert_eq!(super::sse_text(&body), "from a file");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = child.wait().expect("the mock exits");
    std::fs::remove_dir_all(&dir).expect("cleanup");
    assert!(status.success(), "SIGTERM is a clean stop: {status:?}");
}

#[test]
fn a_broken_scenarios_dir_fails_before_listening() {
    let dir = std::env::temp_dir().join(format!("claude-mock-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("bad.jsonl"), "{\"mock\": \"nap\"}\n").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_claude-mock"))
        .arg("--scenarios")
        .arg(&dir)
        .output()
        .expect("runs");
    std::fs::remove_dir_all(&dir).expect("cleanup");
    assert!(!output.status.success());
    assert!(
        output.stdout.is_empty(),
        "no address line for a mock that cannot serve"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad"));
}
