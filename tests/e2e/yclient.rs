//! `tests/node/yclient.mjs` processes: a stock npm `yjs` + `y-websocket` peer driven by JSON
//! commands, playing the other person in a room while a test drives an editor client (the
//! commands are listed at the top of the .mjs).

use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::harness::{PATIENCE, Server, within};
use crate::node_peer::node_dir;

pub struct YClient {
    pub name: String,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl YClient {
    /// Starts a peer in `room` of `server` as `name`, holding `token` (not yet synced: send
    /// `{"cmd": "synced"}`, or use `joined`).
    pub fn spawn(server: &Server, room: &str, name: &str, token: &str) -> YClient {
        let dir = node_dir();
        let mut child = Command::new("node")
            .arg(dir.join("yclient.mjs"))
            .args(["--url", &format!("ws://{}/sync", server.addr)])
            .args(["--room", room, "--name", name])
            // Through the environment, so the token is not on a command line.
            .env("PEER_TOKEN", token)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `node` (needed for the editor tests): {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        YClient {
            name: name.to_owned(),
            child,
            stdin,
            stdout,
        }
    }

    /// `spawn`, then waits until the peer is synced.
    pub async fn joined(server: &Server, room: &str, name: &str, token: &str) -> YClient {
        let mut peer = YClient::spawn(server, room, name, token);
        peer.cmd(json!({"cmd": "synced"})).await;
        peer
    }

    /// Sends one command and returns its answer, whatever `ok` says.
    pub async fn try_cmd(&mut self, req: Value) -> Value {
        let mut line = req.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .unwrap_or_else(|e| panic!("{}: write {req}: {e}", self.name));
        self.stdin.flush().await.expect("flush");
        let answer = within(self.stdout.next_line())
            .await
            .unwrap_or_else(|e| panic!("{}: read the answer to {req}: {e}", self.name))
            .unwrap_or_else(|| panic!("{} exited before answering {req}", self.name));
        serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("{}: bad answer {answer:?}: {e}", self.name))
    }

    /// Sends one command and requires `ok`; returns the answer. Commands that wait
    /// (`wait_text`, `wait_awareness`) get a timeout below `PATIENCE` unless they name one, so
    /// their failure reports what the peer saw.
    pub async fn cmd(&mut self, mut req: Value) -> Value {
        if req.get("timeout_ms").is_none()
            && req["cmd"].as_str().is_some_and(|c| c.starts_with("wait_"))
        {
            req["timeout_ms"] = json!((PATIENCE.as_millis() as u64).saturating_sub(2000));
        }
        let answer = self.try_cmd(req.clone()).await;
        assert_eq!(answer["ok"], true, "{}: {req} failed: {answer}", self.name);
        answer
    }

    /// `files[file]` as this peer has it.
    pub async fn text(&mut self, file: &str) -> Option<String> {
        self.cmd(json!({"cmd": "text", "file": file})).await["text"]
            .as_str()
            .map(str::to_owned)
    }

    /// Waits until `files[file]` is exactly `text`.
    pub async fn wait_equals(&mut self, file: &str, text: &str) {
        self.cmd(json!({"cmd": "wait_text", "file": file, "equals": text}))
            .await;
    }

    /// Leaves the room and requires a clean exit.
    pub async fn quit(mut self) {
        self.cmd(json!({"cmd": "quit"})).await;
        let status = within(self.child.wait()).await.expect("wait node");
        assert!(status.success(), "{} exited with {status}", self.name);
    }
}

/// The index Yjs uses for byte offset `byte` of `s` (UTF-16 code units).
pub fn utf16_index(s: &str, byte: usize) -> usize {
    s[..byte].encode_utf16().count()
}
