//! Stock npm `yjs` + `y-websocket` clients in Node against the server, beside a Rust peer.

use std::time::Duration;

use serde_json::json;

use crate::harness::*;
use crate::node_peer::{NodePeer, NodeSpec, client_id, node_dir};

const ROOM: &str = "interop";
const FILE: &str = "main.py";
const NODE_NAMES: [&str; 2] = ["node-a", "node-b"];
const RUST_NAME: &str = "rust";
const EDITS: usize = 25;

fn marker(name: &str, k: usize) -> String {
    format!("[{name}:{k}]")
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
    let spec = |name: &'static str, other: &'static str| NodeSpec {
        room: ROOM,
        name,
        file: FILE,
        edits: EDITS,
        expect: expected.clone(),
        await_names: vec![other, RUST_NAME],
        token: server.token(ROOM, "write"),
        expect_denied: false,
    };
    let mut nodes = vec![
        NodePeer::spawn(&server, spec(NODE_NAMES[0], NODE_NAMES[1])),
        NodePeer::spawn(&server, spec(NODE_NAMES[1], NODE_NAMES[0])),
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
