//! A client that never reads is closed with 4408 while the others keep their latency.

use std::time::{Duration, Instant};

use protocol::close;
use serde_json::Value;
use tokio::net::TcpSocket;
use yrs::Doc;

use crate::harness::*;

const ROOM: &str = "slow";
const FILE: &str = "big.txt";
const QUEUE: usize = 16;
const CHUNK: usize = 4096;
/// Chunks typed before waiting for the reader: below QUEUE, so a reader that keeps up never has a
/// full queue and only the client that does not read can be the slow one.
const BURST: usize = 8;
/// Upper bound on what the writer sends (16 MiB): far more than the kernel buffers of the stalled
/// socket can absorb, so the slow client must have been kicked well before.
const MAX_CHUNKS: usize = 4096;
const MARKERS: usize = 20;

/// Length of `files[FILE]` without copying it out (the text grows to megabytes).
fn text_len(doc: &Doc) -> usize {
    let files = protocol::schema::files(doc);
    let txn = yrs::Transact::transact(doc);
    protocol::schema::file_text(&txn, &files, FILE).map_or(0, |t| yrs::Text::len(&t, &txn) as usize)
}

fn chunk(i: usize) -> String {
    let head = format!("<{i:06}>");
    let mut s = head.clone();
    s.extend(std::iter::repeat_n('.', CHUNK - head.len()));
    s
}

async fn live_connections(http: &reqwest::Client, server: &Server) -> u64 {
    let info: Value = http
        .get(server.http(&format!("/api/rooms/{ROOM}")))
        .send()
        .await
        .expect("GET room")
        .json()
        .await
        .expect("room JSON");
    info["live"]["connections"]
        .as_u64()
        .expect("live.connections")
}

#[tokio::test]
async fn a_client_that_never_reads_is_closed_4408_while_a_reader_keeps_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--outbound-queue", &QUEUE.to_string()]);
    let http = server.api();

    let writer = peer(&server, ROOM).await;
    let reader = peer(&server, ROOM).await;
    create_file(writer.doc(), &[reader.doc()], FILE).await;

    // A tiny receive window, so the kernel absorbs little of what the server sends before the
    // server's own queue for this connection has to fill.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = within(socket.connect(server.addr)).await.unwrap();
    let (mut slow, _) = within(tokio_tungstenite::client_async(server.ws_url(ROOM), tcp))
        .await
        .expect("slow client handshake");
    within(async {
        while live_connections(&http, &server).await != 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;

    let mut sent = 0;
    let mut kicked = false;
    while sent < MAX_CHUNKS {
        for _ in 0..BURST {
            append(writer.doc(), FILE, &chunk(sent));
            sent += 1;
        }
        eventually("reader keeps up with the writer", || {
            text_len(reader.doc()) == sent * CHUNK
        })
        .await;
        if live_connections(&http, &server).await < 3 {
            kicked = true;
            break;
        }
    }
    assert!(
        kicked,
        "the stalled client was still in the room after {sent} chunks of {CHUNK} B"
    );
    eprintln!(
        "slow.rs: stalled client removed after {sent} chunks ({} KiB)",
        sent * CHUNK / 1024
    );

    // The server gives the close frame 2 s to get through, so the stalled client drains at once.
    let drained = tokio::spawn(async move { within(read_until_close(&mut slow)).await });

    let mut worst = Duration::ZERO;
    let mut expected_len = sent * CHUNK;
    for m in 0..MARKERS {
        let marker = format!("<marker {m}>");
        expected_len += marker.len();
        let start = Instant::now();
        append(writer.doc(), FILE, &marker);
        within(async {
            while text_len(reader.doc()) < expected_len {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await;
        worst = worst.max(start.elapsed());
    }
    eprintln!("slow.rs: worst reader latency for a marker after the kick: {worst:?}");

    assert_eq!(
        drained.await.unwrap(),
        Ok(close::SLOW_CONSUMER),
        "the stalled client is told why it was dropped"
    );

    let text = file_text(writer.doc(), FILE);
    assert_eq!(text.len(), expected_len);
    assert!(
        file_text(reader.doc(), FILE) == text,
        "reader converged with the writer"
    );
    assert!(text.ends_with(&format!("<marker {}>", MARKERS - 1)));
    for (who, p) in [("writer", &writer), ("reader", &reader)] {
        let s = p.status();
        assert_eq!(
            (s.connections, s.last_close),
            (1, None),
            "{who} was never disconnected"
        );
    }
    assert_eq!(live_connections(&http, &server).await, 2);

    // What a dropped client does next: reconnect and resync everything it missed.
    let again = peer(&server, ROOM).await;
    assert!(
        file_text(again.doc(), FILE) == text,
        "a reconnecting client resyncs"
    );
}
