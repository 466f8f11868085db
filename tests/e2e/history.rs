//! Point-in-time restore: compaction keeps older snapshots (here: every one, `--history-spacing
//! 0s`), and `POST /restore {at}` brings back the files as they were then, to connected clients.

use std::time::Duration;

use serde_json::{Value, json};
use yrs::{Doc, GetString, Text, Transact};

use crate::harness::*;

const ROOM: &str = "pitr";
const FILE: &str = "doc.txt";
const A: &str = "version A: the original\n";
const B: &str = "version B: rewritten\n";

/// Replaces the whole text of `files[path]`.
fn set_text(doc: &Doc, path: &str, s: &str) {
    let files = protocol::schema::files(doc);
    let mut txn = doc.transact_mut();
    let text = protocol::schema::file_text(&txn, &files, path).expect("file");
    let len = text.get_string(&txn).len() as u32;
    text.remove_range(&mut txn, 0, len);
    text.insert(&mut txn, 0, s);
}

async fn snapshots(api: &reqwest::Client, server: &Server) -> Vec<Value> {
    let history = get_json(api, &server.http(&format!("/api/rooms/{ROOM}/history"))).await;
    history["snapshots"].as_array().expect("snapshots").clone()
}

/// Types into another file until compaction has taken a snapshot after `after_ms`; returns
/// that snapshot's `created_at`.
async fn type_until_a_snapshot_after(server: &Server, doc: &Doc, after_ms: i64) -> String {
    let api = server.api();
    let start = std::time::Instant::now();
    loop {
        let newer = snapshots(&api, server).await.into_iter().find_map(|s| {
            let at = s["created_at"].as_str()?.to_owned();
            (parse_rfc3339(&at) > after_ms).then_some(at)
        });
        if let Some(at) = newer {
            return at;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "no snapshot after {}",
            rfc3339(after_ms)
        );
        for _ in 0..5 {
            append(doc, "pad.txt", ".");
            // One update per message, so the log grows an entry at a time.
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }
}

async fn server_has(server: &Server, text: &str) {
    let api = server.api();
    let url = server.http(&format!("/api/rooms/{ROOM}/files/{FILE}"));
    eventually_async("the server has the text", || {
        let (api, url) = (api.clone(), url.clone());
        async move { call(api.get(&url)).await == (200, json!(text)) }
    })
    .await;
}

#[tokio::test]
async fn restoring_a_point_in_time_after_compaction_brings_the_old_text_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &["--compact-after-updates", "10", "--history-spacing", "0s"],
    );
    let api = server.api();
    let a = peer(&server, ROOM).await;
    let b = peer(&server, ROOM).await;

    append(a.doc(), FILE, A);
    server_has(&server, A).await;
    let first = type_until_a_snapshot_after(&server, a.doc(), now_ms()).await;

    set_text(a.doc(), FILE, B);
    server_has(&server, B).await;
    type_until_a_snapshot_after(&server, a.doc(), now_ms()).await;
    eventually("b has B", || file_text(b.doc(), FILE) == B).await;

    let restore = server.http(&format!("/api/rooms/{ROOM}/restore"));
    expect_status(api.post(&restore).json(&json!({"at": first})), 200).await;
    for p in [&a, &b] {
        eventually("the client is back at A", || file_text(p.doc(), FILE) == A).await;
        let s = p.status();
        assert_eq!((s.connections, s.last_close), (1, None), "no reconnect");
    }
    server_has(&server, A).await;

    // Before any history there is nothing to restore.
    let too_early = api
        .post(&restore)
        .json(&json!({"at": "2000-01-01T00:00:00.000Z"}));
    assert_eq!(http_outcome(too_early).await, (404, "no_history".into()));
    assert_eq!(file_text(a.doc(), FILE), A);
}

#[tokio::test]
async fn after_the_newest_snapshot_the_log_fills_in_up_to_the_second() {
    const C: &str = "version C: logged after the snapshot\n";
    const D: &str = "version D: later still\n";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &["--compact-after-updates", "10", "--history-spacing", "0s"],
    );
    let api = server.api();
    let a = peer(&server, ROOM).await;
    append(a.doc(), FILE, A);
    server_has(&server, A).await;
    type_until_a_snapshot_after(&server, a.doc(), now_ms()).await;
    let snapshots_then = snapshots(&api, &server).await.len();

    set_text(a.doc(), FILE, C);
    server_has(&server, C).await;
    // Not synchronisation: C and D must be logged well apart in time (the group commit may stamp
    // an update up to 50 ms after the server applied it), with `at` between them.
    let at = now_ms() + 100;
    tokio::time::sleep(Duration::from_millis(200)).await;
    set_text(a.doc(), FILE, D);
    server_has(&server, D).await;
    assert_eq!(
        snapshots(&api, &server).await.len(),
        snapshots_then,
        "a new snapshot would make this test about snapshots, not the log"
    );

    let restore = server.http(&format!("/api/rooms/{ROOM}/restore"));
    expect_status(api.post(&restore).json(&json!({"at": rfc3339(at)})), 200).await;
    eventually("the client is back at C", || file_text(a.doc(), FILE) == C).await;
    server_has(&server, C).await;
}
