//! Keepalive: live clients answer pings and stay; a client that stops answering is dropped.

use std::time::Duration;

use crate::harness::*;

async fn open_connections(server: &Server) -> u64 {
    let text = reqwest::get(server.http("/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("tandem_connections_open "))
        .and_then(|v| v.trim().parse().ok())
        .expect("tandem_connections_open in /metrics")
}

#[tokio::test]
async fn silent_connections_are_dropped_and_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--ping-interval-ms", "100", "--dead-after-ms", "400"]);
    let live = peer(&server, "ka").await;
    // A client that completes the handshake and then never reads again: it cannot answer pings.
    let (silent, _) = tokio_tungstenite::connect_async(server.ws_url("ka")).await.unwrap();
    eventually_async(|| async { open_connections(&server).await == 2 }).await;
    // Well past dead_after: the silent one is gone, the live one is still connected.
    let start = std::time::Instant::now();
    while open_connections(&server).await != 1 {
        assert!(start.elapsed() < PATIENCE, "silent connection never dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(open_connections(&server).await, 1);
    let status = live.status();
    assert!(status.connected && status.connections == 1, "live client was dropped: {status:?}");
    drop(silent);
}

async fn eventually_async<F: std::future::Future<Output = bool>>(mut cond: impl FnMut() -> F) {
    let start = std::time::Instant::now();
    while !cond().await {
        assert!(start.elapsed() < PATIENCE, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
