//! Restarts and crashes: graceful restart, kill -9 in strict and batched durability.

use std::time::Duration;

use protocol::client::Client;
use yrs::Doc;

use crate::harness::*;

fn markers(text: &str) -> Vec<&str> {
    text.split_terminator(';').collect()
}

#[tokio::test]
async fn graceful_restart_keeps_everything_and_says_going_away() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let a = peer(&server, "restart").await;
    let b = peer(&server, "restart").await;
    for i in 0..50 {
        append(a.doc(), "a.txt", &format!("a{i};"));
        append(b.doc(), "b.txt", &format!("b{i};"));
    }
    eventually("exchange", || {
        markers(&file_text(a.doc(), "b.txt")).len() == 50
            && markers(&file_text(b.doc(), "a.txt")).len() == 50
    })
    .await;

    assert_eq!(server.terminate(), Some(0), "graceful shutdown exits 0");
    let closed = within(a.wait_status(|s| !s.connected)).await;
    assert_eq!(closed.last_close, Some(protocol::close::GOING_AWAY));

    // Drop the peers so nothing can be re-sent: the server alone must have kept it all.
    a.abort();
    b.abort();
    server.restart();
    let fresh = peer(&server, "restart").await;
    assert_eq!(markers(&file_text(fresh.doc(), "a.txt")).len(), 50);
    assert_eq!(markers(&file_text(fresh.doc(), "b.txt")).len(), 50);
}

/// Fails in batched mode (checked: it loses the last few updates there), so it really tests the
/// strict ordering of commit before fan-out.
#[tokio::test]
async fn kill9_in_strict_mode_loses_nothing_any_client_received() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--durability", "strict"]);
    let writer = peer(&server, "strict").await;
    let watcher = peer(&server, "strict").await;
    append(writer.doc(), "log.txt", "");
    // Write continuously and crash the server mid-stream.
    let doc = writer.doc().clone();
    let typing = tokio::spawn(async move {
        for i in 0.. {
            append(&doc, "log.txt", &format!("{i};"));
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    eventually("watcher received a good amount", || {
        markers(&file_text(watcher.doc(), "log.txt")).len() >= 300
    })
    .await;
    server.kill9();
    typing.abort();
    // Whatever the watcher holds now came from the server before the crash.
    let seen = file_text(watcher.doc(), "log.txt");
    // No client may resend anything: only storage counts.
    writer.abort();
    watcher.abort();

    server.restart();
    let fresh = peer(&server, "strict").await;
    let recovered = file_text(fresh.doc(), "log.txt");
    let recovered: std::collections::HashSet<&str> = markers(&recovered).into_iter().collect();
    let missing: Vec<&str> = markers(&seen)
        .into_iter()
        .filter(|m| !recovered.contains(m))
        .collect();
    assert!(
        missing.is_empty(),
        "lost {} updates a client had received: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
}

#[tokio::test]
async fn kill9_in_batched_mode_converges_after_reconnect_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let a = peer(&server, "batched").await;
    let b = peer(&server, "batched").await;
    create_file(a.doc(), &[b.doc()], "f.txt").await;
    for i in 0..100 {
        append(a.doc(), "f.txt", &format!("a{i};"));
        append(b.doc(), "f.txt", &format!("b{i};"));
    }
    // Crash immediately: the last batch has not been committed yet.
    server.kill9();
    // Keep editing while the server is down.
    for i in 100..120 {
        append(a.doc(), "f.txt", &format!("a{i};"));
        append(b.doc(), "f.txt", &format!("b{i};"));
    }
    server.restart();
    let all = |doc: &Doc| markers(&file_text(doc, "f.txt")).len() == 240;
    eventually("a converged", || all(a.doc())).await;
    eventually("b converged", || all(b.doc())).await;
    assert_eq!(file_text(a.doc(), "f.txt"), file_text(b.doc(), "f.txt"));
    let fresh = Client::connect(server.ws_url("batched"), Doc::new(), fast_reconnect());
    within(fresh.synced()).await;
    eventually("fresh client has everything", || all(fresh.doc())).await;
    assert_eq!(file_text(fresh.doc(), "f.txt"), file_text(a.doc(), "f.txt"));
}
