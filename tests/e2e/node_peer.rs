//! `tests/node/peer.mjs` processes: stock npm `yjs` + `y-websocket` clients driven from a test.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::harness::*;

pub fn node_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    if !dir.join("node_modules").is_dir() {
        panic!(
            "{}/node_modules is missing: run `npm ci --prefix tests/node`",
            dir.display()
        );
    }
    dir
}

/// What one Node peer does (see the header of `tests/node/peer.mjs`).
pub struct NodeSpec<'a> {
    pub room: &'a str,
    pub name: &'static str,
    pub file: &'a str,
    pub edits: usize,
    /// Markers the peer waits to see in its text before reporting "done".
    pub expect: Vec<String>,
    /// Awareness user names the peer waits to see before reporting "done".
    pub await_names: Vec<&'a str>,
    pub token: String,
    /// Hold "done" until the server refused an edit with a permission-denied auth message.
    pub expect_denied: bool,
}

/// One running peer: started with `--wait-go --hold`, so the test says when to type and when
/// to leave.
pub struct NodePeer {
    pub name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl NodePeer {
    pub fn spawn(server: &Server, spec: NodeSpec<'_>) -> NodePeer {
        let dir = node_dir();
        let mut cmd = Command::new("node");
        cmd.arg(dir.join("peer.mjs"))
            .args(["--url", &format!("ws://{}/sync", server.addr)])
            .args([
                "--room", spec.room, "--name", spec.name, "--file", spec.file,
            ])
            .args(["--edits", &spec.edits.to_string()])
            .args(["--expect", &spec.expect.join(",")])
            .args(["--await-names", &spec.await_names.join(",")])
            // Below PATIENCE, so a stuck peer reports what it was waiting for before we give up.
            .args([
                "--timeout-ms",
                &(PATIENCE - Duration::from_secs(5)).as_millis().to_string(),
            ])
            .args(["--wait-go", "--hold"])
            // Through the environment, so the token is not on a command line.
            .env("PEER_TOKEN", &spec.token);
        if spec.expect_denied {
            cmd.arg("--expect-denied");
        }
        let mut child = cmd
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `node` (needed for the interop tests): {e}"));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        NodePeer {
            name: spec.name,
            child,
            stdin,
            stdout,
        }
    }

    /// The next JSON line the peer prints, which must be `event`.
    pub async fn event(&mut self, event: &str) -> Value {
        let line = within(self.stdout.next_line())
            .await
            .expect("read node stdout")
            .unwrap_or_else(|| panic!("{} exited before reporting {event}", self.name));
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{}: bad line {line:?}: {e}", self.name));
        assert_eq!(v["event"], event, "{}: {line}", self.name);
        v
    }

    /// Starts the peer's typing.
    pub async fn go(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(b"go\n").await.expect("write go");
        stdin.flush().await.expect("flush go");
    }

    /// Closes stdin (the peer leaves the room) and requires a clean exit.
    pub async fn finish(mut self) {
        drop(self.stdin.take());
        let status = within(self.child.wait()).await.expect("wait node");
        assert!(status.success(), "{} exited with {status}", self.name);
    }
}

pub fn client_id(v: &Value) -> u64 {
    v["client"].as_u64().expect("client id")
}
