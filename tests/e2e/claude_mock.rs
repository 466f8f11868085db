//! A real `claude-mock` process for tests that need Claude: started on port 0, its address read
//! from its first stdout line, scripted and inspected through its HTTP control API.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::within;

/// The `claude-mock` binary built next to `tandem` by `cargo test --workspace`.
pub fn claude_mock_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("claude-mock");
    assert!(
        bin.exists(),
        "{} not found: run `cargo test --workspace`",
        bin.display()
    );
    bin
}

pub struct ClaudeMock {
    child: Child,
    pub url: String,
}

impl ClaudeMock {
    /// Starts `claude-mock` with extra flags (`--rules FILE`, `--api-key K`, ...).
    pub async fn start(args: &[&str]) -> ClaudeMock {
        let mut child = Command::new(claude_mock_bin())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn claude-mock");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = within(lines.next_line())
            .await
            .expect("read")
            .expect("a first line");
        let url = first
            .strip_prefix("claude-mock listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        ClaudeMock { child, url }
    }

    /// Every request the mock has received, as its control API reports them.
    pub async fn requests(&self) -> Vec<Value> {
        let url = format!("{}/_mock/requests", self.url);
        within(async { reqwest::get(url).await.unwrap().json().await.unwrap() }).await
    }

    /// Queues scripted responses (scenario names or `{"lines": [...]}`).
    pub async fn script(&self, responses: Value) {
        let url = format!("{}/_mock/script", self.url);
        let body = serde_json::json!({ "responses": responses });
        let status = within(reqwest::Client::new().post(url).json(&body).send())
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "script: {status}");
    }
}

impl Drop for ClaudeMock {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
