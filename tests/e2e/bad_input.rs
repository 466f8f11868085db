//! Malformed and oversize input: the right close code, other clients unaffected, the document intact.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use protocol::codec::{self, AwarenessEntry};
use protocol::{Message, SyncMessage, close};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{Doc, ReadTxn, Transact};

use crate::harness::*;

const ROOM: &str = "bad-input";
const FILE: &str = "main.py";
const MAX_MESSAGE: usize = 64 * 1024;
const SEED: u64 = 0xbad_1497;

/// What the server must close with 4400: anything the codec rejects, or a sync update whose
/// payload is not a Yjs update. (Unknown tags and auth are ignored on purpose, so they don't count.)
fn server_must_refuse(frame: &[u8]) -> bool {
    match Message::decode(&Bytes::copy_from_slice(frame)) {
        Err(_) => true,
        Ok(Message::Sync(SyncMessage::Step2(u) | SyncMessage::Update(u))) => {
            codec::decode_update(&u).is_err()
        }
        Ok(_) => false,
    }
}

/// A real v1 update inserting `len` bytes of text into `files[FILE]` from an unrelated client: if
/// the server ever applied one of these, the stored document would show it.
fn foreign_update(len: usize) -> Vec<u8> {
    let doc = Doc::with_client_id(0xbad);
    append(&doc, FILE, &"x".repeat(len));
    doc.transact()
        .encode_state_as_update_v1(&yrs::StateVector::default())
}

fn cases() -> Vec<(String, WsMessage, u16)> {
    let binary = |v: Vec<u8>| WsMessage::Binary(v.into());
    let mut cases = Vec::new();

    let mut rng = StdRng::seed_from_u64(SEED);
    let mut random = 0;
    while random < 6 {
        let len = rng.random_range(1..200);
        let frame: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        if server_must_refuse(&frame) {
            cases.push((
                format!("random bytes #{random} ({len} B)"),
                binary(frame),
                close::MALFORMED,
            ));
            random += 1;
        }
    }

    cases.push((
        "truncated var-int tag".into(),
        binary(vec![0x80]),
        close::MALFORMED,
    ));
    cases.push((
        "truncated var-int sync sub-type".into(),
        binary(vec![0, 0xff, 0xff]),
        close::MALFORMED,
    ));
    cases.push((
        "4 GiB length prefix on a 3-byte payload".into(),
        binary(vec![0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]),
        close::MALFORMED,
    ));

    let real = foreign_update(32);
    let invalid_updates = [
        ("sync update cut in half", real[..real.len() / 2].to_vec()),
        (
            "sync update claiming 4 billion clients",
            vec![0xff, 0xff, 0xff, 0xff, 0x0f],
        ),
        (
            "sync update of pure noise",
            vec![0x03, 0xee, 0xee, 0xee, 0xee, 0xee, 0x01],
        ),
    ];
    for (name, payload) in invalid_updates {
        assert!(
            codec::decode_update(&payload).is_err(),
            "{name} must not be a valid update"
        );
        let frame = codec::encode_sync_update(&payload);
        assert!(
            Message::decode(&Bytes::from(frame.clone())).is_ok(),
            "{name} is a well-formed frame"
        );
        cases.push((name.into(), binary(frame), close::MALFORMED));
    }

    let not_json = codec::encode_awareness_entries(
        [AwarenessEntry {
            client: 7,
            clock: 1,
            json: "{not json",
        }]
        .into_iter(),
    );
    cases.push((
        "awareness state that is not JSON".into(),
        binary(codec::encode_awareness(&not_json)),
        close::MALFORMED,
    ));
    cases.push((
        "text frame".into(),
        WsMessage::Text("{\"hello\": \"world\"}".into()),
        close::MALFORMED,
    ));

    // Well-formed and valid except for its size: only the limit may refuse it.
    let big = codec::encode_sync_update(&foreign_update(100 * 1024));
    assert!(big.len() > MAX_MESSAGE && !server_must_refuse(&big));
    cases.push((
        "100 KB update over a 64 KiB limit".into(),
        binary(big),
        close::TOO_LARGE,
    ));
    cases
}

#[tokio::test]
async fn bad_frames_get_their_close_code_while_the_room_carries_on_intact() {
    let dir = tempfile::tempdir().unwrap();
    let max = MAX_MESSAGE.to_string();
    let mut server = Server::start(dir.path(), &["--max-message-bytes", &max]);

    let a = peer(&server, ROOM).await;
    let b = peer(&server, ROOM).await;
    create_file(a.doc(), &[b.doc()], FILE).await;

    // The good peers type throughout; `typed` is how many rounds both have completed.
    let stop = Arc::new(AtomicBool::new(false));
    let typed = Arc::new(AtomicUsize::new(0));
    let typing = {
        let (da, db) = (a.doc().clone(), b.doc().clone());
        let (stop, typed) = (stop.clone(), typed.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Acquire) {
                append(&da, FILE, &format!("[a:{n}]"));
                append(&db, FILE, &format!("[b:{n}]"));
                n += 1;
                typed.store(n, Ordering::Release);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            n
        })
    };

    for (name, frame, code) in cases() {
        let (mut ws, _) = within(tokio_tungstenite::connect_async(server.ws_url(ROOM)))
            .await
            .unwrap_or_else(|e| panic!("{name}: connect: {e}"));
        // Not fatal by itself: the server may stop reading mid-frame (oversize), and what counts
        // is the close code the client gets to read.
        let sent = within(ws.send(frame)).await;
        let closed = within(read_until_close(&mut ws)).await;
        assert_eq!(closed, Ok(code), "{name} (send: {sent:?})");

        // The good peers still exchange edits made after this bad client was thrown out.
        let n = typed.load(Ordering::Acquire).max(1);
        let (from_a, from_b) = (format!("[a:{}]", n - 1), format!("[b:{}]", n - 1));
        eventually(&format!("good peers still in sync after {name}"), || {
            file_text(b.doc(), FILE).contains(&from_a) && file_text(a.doc(), FILE).contains(&from_b)
        })
        .await;
    }

    stop.store(true, Ordering::Release);
    let rounds = within(typing).await.unwrap();
    let markers: Vec<String> = (0..rounds)
        .flat_map(|n| [format!("[a:{n}]"), format!("[b:{n}]")])
        .collect();
    let total: usize = markers.iter().map(String::len).sum();
    eventually("good peers converge", || {
        file_text(a.doc(), FILE).len() == total && file_text(b.doc(), FILE).len() == total
    })
    .await;
    let text = file_text(a.doc(), FILE);
    assert_eq!(file_text(b.doc(), FILE), text);
    for m in &markers {
        assert_eq!(text.matches(m.as_str()).count(), 1, "{m} exactly once");
    }
    for (who, p) in [("a", &a), ("b", &b)] {
        let s = p.status();
        assert_eq!(
            (s.connections, s.last_close),
            (1, None),
            "{who} was never disconnected"
        );
    }

    // The stored document is exactly what the good peers built: nothing from the bad frames.
    let built = protocol::schema::export_json(a.doc());
    let fresh = peer(&server, ROOM).await;
    assert_eq!(protocol::schema::export_json(fresh.doc()), built);
    fresh.close().await;
    a.close().await;
    b.close().await;

    assert_eq!(server.terminate(), Some(0), "graceful shutdown");
    server.restart();
    let after_restart = peer(&server, ROOM).await;
    assert_eq!(protocol::schema::export_json(after_restart.doc()), built);
}
