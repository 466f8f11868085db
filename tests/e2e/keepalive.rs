//! Keepalive: live clients answer pings and stay; a client that stops answering is dropped.

use std::time::Duration;

use crate::harness::*;

#[tokio::test]
async fn silent_connections_are_dropped_and_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &["--ping-interval-ms", "100", "--dead-after-ms", "400"],
    );
    let live = peer(&server, "ka").await;
    // A client that completes the handshake and then never reads again: it cannot answer pings.
    let (silent, _) = tokio_tungstenite::connect_async(server.ws_url("ka"))
        .await
        .unwrap();
    metric_reaches(&server, "tandem_connections_open", 2).await;
    // The silent one is dropped; the live one is still connected well past dead_after.
    metric_reaches(&server, "tandem_connections_open", 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(metric(&server, "tandem_connections_open").await, 1);
    let status = live.status();
    assert!(
        status.connected && status.connections == 1,
        "live client was dropped: {status:?}"
    );
    drop(silent);
}
