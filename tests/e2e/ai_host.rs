//! Hosting the AI peer: `tandem serve` runs it in-process by default with a token of its own
//! (minted and audited, never logged), `--ai-peer off` does not, and `tandem ai` runs the same
//! agent against a separate server until SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use serde_json::Value;

use crate::harness::*;

/// The `token.minted` audit rows for the AI peer's token.
async fn ai_tokens(server: &Server) -> Vec<Value> {
    let log = get_json(&server.api(), &server.http("/api/audit")).await;
    log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "token.minted" && e["detail"]["sub"] == "ai:claude")
        .cloned()
        .collect()
}

#[tokio::test]
async fn serve_hosts_the_ai_peer_with_its_own_token_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tandem.log");
    let mut server = Server::launch(dir.path())
        .env("TANDEM_AI_PEER", "in-process")
        .env("TANDEM_LOG", "trace")
        .log_to(&log)
        .start();
    let minted = ai_tokens(&server).await;
    assert_eq!(minted.len(), 1, "{minted:?}");
    let row = &minted[0];
    assert_eq!(row["actor"], "server");
    assert_eq!(row["detail"]["room"], "*");
    assert_eq!(row["detail"]["perm"], "write");
    assert!(
        row["detail"]["exp"]
            .as_u64()
            .is_some_and(|exp| exp > now_secs() + 5 * 365 * 24 * 3600),
        "a long-lived token: {row}"
    );
    assert_eq!(
        server.terminate(),
        Some(0),
        "the agent stops with the server"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("AI peer in-process"), "{text}");
    assert!(!text.contains("eyJ"), "no token in the log");

    let off_dir = tempfile::tempdir().unwrap();
    let off_log = off_dir.path().join("tandem.log");
    let mut off = Server::start_logged(off_dir.path(), &["--ai-peer", "off"], &off_log);
    assert!(ai_tokens(&off).await.is_empty());
    assert_eq!(off.terminate(), Some(0));
    let text = std::fs::read_to_string(&off_log).unwrap();
    assert!(!text.contains("AI peer in-process"));
}

/// Starts `tandem ai` against `server` with `token`; returns the child and its stderr lines.
fn tandem_ai(server: &Server, token: &str) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = Command::new(tandem_bin())
        .args(["ai", "--server", &server.http("")])
        .env("TANDEM_AI_TOKEN", token)
        .env("TANDEM_LOG", "info")
        .env_remove("TANDEM_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tandem ai");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

/// Waits for a line containing `needle`; returns every line read until then.
fn line_with(lines: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(PATIENCE) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(_) => panic!("no line with {needle:?}; got {seen:#?}"),
        }
    }
}

#[tokio::test]
async fn tandem_ai_runs_until_sigterm_and_refuses_a_bad_token_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--ai-peer", "off"]);
    let token = server.token_as("*", "write", "ai:claude");

    let (mut child, lines) = tandem_ai(&server, &token);
    let seen = line_with(&lines, "AI peer");
    assert!(seen.iter().all(|l| !l.contains(&token)), "{seen:#?}");
    send_signal(child.id() as i32, libc::SIGTERM);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));

    let forged = sign_hs256(&random_secret(), &claims("*", "write"));
    let (mut child, lines) = tandem_ai(&server, &forged);
    line_with(&lines, "refused the token");
    let status = child.wait().expect("wait");
    assert_ne!(status.code(), Some(0));
}
