//! Stock npm `yjs` + `y-websocket` clients in Node against the server, beside a Rust peer.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::harness::*;

const ROOM: &str = "interop";
const FILE: &str = "main.py";
const NODE_NAMES: [&str; 2] = ["node-a", "node-b"];
const RUST_NAME: &str = "rust";
const EDITS: usize = 25;

fn node_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    if !dir.join("node_modules").is_dir() {
        panic!(
            "{}/node_modules is missing: run `npm ci --prefix tests/node`",
            dir.display()
        );
    }
    dir
}

fn marker(name: &str, k: usize) -> String {
    format!("[{name}:{k}]")
}

/// One `tests/node/peer.mjs` process: a stock WebsocketProvider client.
struct NodePeer {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl NodePeer {
    fn spawn(
        server: &Server,
        name: &'static str,
        expect: &[String],
        await_names: &[&str],
    ) -> NodePeer {
        let dir = node_dir();
        let mut child = Command::new("node")
            .arg(dir.join("peer.mjs"))
            .args(["--url", &format!("ws://{}/sync", server.addr)])
            .args(["--room", ROOM, "--name", name, "--file", FILE])
            .args(["--edits", &EDITS.to_string()])
            .args(["--expect", &expect.join(",")])
            .args(["--await-names", &await_names.join(",")])
            // Below PATIENCE, so a stuck peer reports what it was waiting for before we give up.
            .args([
                "--timeout-ms",
                &(PATIENCE - Duration::from_secs(5)).as_millis().to_string(),
            ])
            .args(["--wait-go", "--hold"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `node` (needed for the interop test): {e}"));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        NodePeer {
            name,
            child,
            stdin,
            stdout,
        }
    }

    /// The next JSON line the peer prints, which must be `event`.
    async fn event(&mut self, event: &str) -> Value {
        let line = within(self.stdout.next_line())
            .await
            .expect("read node stdout")
            .unwrap_or_else(|| panic!("{} exited before reporting {event}", self.name));
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{}: bad line {line:?}: {e}", self.name));
        assert_eq!(v["event"], event, "{}: {line}", self.name);
        v
    }

    async fn go(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(b"go\n").await.expect("write go");
        stdin.flush().await.expect("flush go");
    }

    /// Closes stdin (the peer leaves the room) and requires a clean exit.
    async fn finish(mut self) {
        drop(self.stdin.take());
        let status = within(self.child.wait()).await.expect("wait node");
        assert!(status.success(), "{} exited with {status}", self.name);
    }
}

fn client_id(v: &Value) -> u64 {
    v["client"].as_u64().expect("client id")
}

#[tokio::test]
async fn stock_yjs_clients_and_a_rust_peer_converge_and_share_presence() {
    node_dir();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);

    let rust = peer(&server, ROOM).await;
    rust.set_awareness(json!({"user": {"name": RUST_NAME, "kind": "agent"}}));
    // The Rust peer alone creates the Y.Text: concurrent creations of one map key would race.
    append(rust.doc(), FILE, "");

    let mut expected = Vec::new();
    for name in NODE_NAMES.iter().copied().chain([RUST_NAME]) {
        expected.extend((0..EDITS).map(|k| marker(name, k)));
    }
    let mut nodes = vec![
        NodePeer::spawn(
            &server,
            NODE_NAMES[0],
            &expected,
            &[NODE_NAMES[1], RUST_NAME],
        ),
        NodePeer::spawn(
            &server,
            NODE_NAMES[1],
            &expected,
            &[NODE_NAMES[0], RUST_NAME],
        ),
    ];
    let mut node_ids = Vec::new();
    for n in &mut nodes {
        node_ids.push(client_id(&n.event("ready").await));
    }

    // Every peer is synced and holds the file before anyone types, so the typing overlaps.
    for n in &mut nodes {
        n.go().await;
    }
    for k in 0..EDITS {
        append(rust.doc(), FILE, &marker(RUST_NAME, k));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    let mut done = Vec::new();
    for n in &mut nodes {
        done.push(n.event("done").await);
    }
    let total_len: usize = expected.iter().map(String::len).sum();
    eventually("the rust peer has every edit", || {
        file_text(rust.doc(), FILE).len() == total_len
    })
    .await;
    let text = file_text(rust.doc(), FILE);
    for m in &expected {
        assert_eq!(text.matches(m.as_str()).count(), 1, "{m} once in {text}");
    }
    for d in &done {
        assert_eq!(
            d["text"],
            text.as_str(),
            "{} converged to the rust text",
            d["name"]
        );
    }

    // Node saw the Rust peer's presence under the Rust doc's client id, and the other Node peer.
    let rust_id = rust.doc().client_id().get();
    for d in &done {
        let states = d["awareness"].as_array().expect("awareness list");
        let find = |id: u64| {
            states
                .iter()
                .find(|s| s["client"].as_u64() == Some(id))
                .map(|s| &s["state"])
        };
        assert_eq!(
            find(rust_id),
            Some(&json!({"user": {"name": RUST_NAME, "kind": "agent"}})),
            "{}",
            d["name"]
        );
        for (name, id) in NODE_NAMES.iter().zip(&node_ids) {
            assert_eq!(
                find(*id).map(|s| &s["user"]["name"]),
                Some(&json!(name)),
                "{}",
                d["name"]
            );
        }
    }

    // The Rust peer sees both stock clients' presence.
    for (name, id) in NODE_NAMES.iter().zip(&node_ids) {
        eventually("rust sees the node peer's presence", || {
            rust.presence()
                .iter()
                .any(|(c, s)| c == id && s["user"] == json!({"name": name, "kind": "human"}))
        })
        .await;
    }

    // A stock client leaving takes its presence with it.
    for n in nodes {
        n.finish().await;
    }
    eventually("rust forgets the node peers", || {
        rust.presence().iter().all(|(c, _)| !node_ids.contains(c))
    })
    .await;
    assert_eq!(file_text(rust.doc(), FILE), text);
}
