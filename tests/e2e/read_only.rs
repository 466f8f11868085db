//! Read-only connections: they follow the document and share presence, but their edits are never
//! applied, stored or relayed; the first one is answered with a permission-denied auth message.

use std::collections::HashMap;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use protocol::codec::{self, AuthMessage, AwarenessEntry};
use protocol::{Message, SyncMessage};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use crate::harness::*;
use crate::node_peer::{NodePeer, NodeSpec, client_id, node_dir};

const FILE: &str = "main.py";

/// A y-websocket client spoken by hand over a raw socket, so the test sees every frame.
struct RawPeer {
    ws: RawSocket,
    doc: Doc,
    clock: u32,
    /// Reasons of every permission-denied message received.
    denials: Vec<String>,
    /// Presence of the other clients, by client id.
    presence: HashMap<u64, Value>,
}

impl RawPeer {
    /// Connects with `doc` (which may hold edits made offline) and announces `state`.
    async fn connect(url: &str, doc: Doc, state: Value) -> RawPeer {
        let ws = ws_connect(url, None).await.expect("upgrade accepted");
        let mut p = RawPeer {
            ws,
            doc,
            clock: 0,
            denials: Vec::new(),
            presence: HashMap::new(),
        };
        p.send(codec::encode_sync_step1(&StateVector::default()))
            .await;
        p.set_awareness(state).await;
        p
    }

    async fn send(&mut self, frame: Vec<u8>) {
        within(self.ws.send(WsMessage::Binary(frame.into())))
            .await
            .expect("send");
    }

    async fn set_awareness(&mut self, state: Value) {
        self.clock += 1;
        let json = state.to_string();
        let entry = AwarenessEntry {
            client: self.doc.client_id().get(),
            clock: self.clock,
            json: &json,
        };
        let payload = codec::encode_awareness_entries([entry].into_iter());
        self.send(codec::encode_awareness(&payload)).await;
    }

    /// Appends `s` to `files[path]` locally and sends the edit as a sync update.
    async fn edit(&mut self, path: &str, s: &str) {
        let before = self.doc.transact().state_vector();
        append(&self.doc, path, s);
        let update = self.doc.transact().encode_state_as_update_v1(&before);
        self.send(codec::encode_sync_update(&update)).await;
    }

    /// Handles incoming frames (answering the server's step1 as a client does) until `done`.
    async fn recv_until(&mut self, what: &str, done: impl Fn(&RawPeer) -> bool) {
        within(async {
            while !done(self) {
                let frame = match self.ws.next().await {
                    Some(Ok(WsMessage::Binary(b))) => b,
                    Some(Ok(WsMessage::Close(c))) => {
                        panic!("closed while waiting for {what}: {c:?}")
                    }
                    Some(Ok(_)) => continue,
                    other => panic!("socket ended while waiting for {what}: {other:?}"),
                };
                self.handle(Bytes::from(frame.to_vec())).await;
            }
        })
        .await;
    }

    async fn handle(&mut self, frame: Bytes) {
        match Message::decode(&frame).expect("a valid frame from the server") {
            Message::Sync(SyncMessage::Step1(sv)) => {
                let diff = self.doc.transact().encode_state_as_update_v1(&sv);
                self.send(codec::encode_sync_step2(&diff)).await;
            }
            Message::Sync(SyncMessage::Step2(u) | SyncMessage::Update(u)) => {
                let update = codec::decode_update(&u).expect("update");
                self.doc.transact_mut().apply_update(update).expect("apply");
            }
            Message::Awareness(payload) => {
                for e in codec::awareness_entries(&payload).expect("awareness") {
                    if e.is_removal() {
                        self.presence.remove(&e.client);
                    } else {
                        self.presence
                            .insert(e.client, serde_json::from_str(e.json).unwrap());
                    }
                }
            }
            Message::Auth(AuthMessage::PermissionDenied { reason }) => self.denials.push(reason),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_read_only_socket_is_told_once_that_its_edits_go_nowhere_and_shares_presence() {
    const ROOM: &str = "ro-raw";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let api = server.api();
    let file_url = server.http(&format!("/api/rooms/{ROOM}/files/{FILE}"));

    let writer = peer(&server, ROOM).await;
    let writer_id = writer.doc().client_id().get();
    writer.set_awareness(json!({"user": {"name": "writer"}}));
    append(writer.doc(), FILE, "hello");

    let url = server.ws_url_with(ROOM, &server.token(ROOM, "read"));
    // Its copy holds a file made offline, which its answer to the server's step1 carries.
    let offline = Doc::new();
    append(&offline, "offline.txt", "made while offline");
    let mut reader = RawPeer::connect(&url, offline, json!({"user": {"name": "reader"}})).await;
    let reader_id = reader.doc.client_id().get();
    reader
        .recv_until("the document", |r| file_text(&r.doc, FILE) == "hello")
        .await;

    // Several edits, then a presence change: the server handles one socket's frames in order, so
    // once the writer sees that change, the server has handled every edit before it.
    for k in 0..3 {
        reader.edit(FILE, &format!("[reader:{k}]")).await;
    }
    reader
        .set_awareness(json!({"user": {"name": "reader"}, "edited": true}))
        .await;
    eventually("the writer sees the reader's presence", || {
        writer
            .presence()
            .iter()
            .any(|(id, s)| *id == reader_id && s["edited"] == true)
    })
    .await;
    // And presence flows the other way; it is sent after any refusal, so those have arrived too.
    writer.set_awareness(json!({"user": {"name": "writer"}, "saw_reader": true}));
    reader
        .recv_until("the writer's presence", |r| {
            r.presence
                .get(&writer_id)
                .is_some_and(|s| s["saw_reader"] == true)
        })
        .await;
    assert_eq!(
        reader.denials,
        ["read-only"],
        "one refusal for the offline file and three edits"
    );

    // None of it was applied, stored or relayed.
    let only_hello = [(FILE.to_owned(), "hello".to_owned())].into();
    assert_eq!(files_of(writer.doc()), only_hello);
    assert_eq!(get_text(&api, &file_url).await, "hello");
    let fresh = peer(&server, ROOM).await;
    assert_eq!(files_of(fresh.doc()), only_hello);
    assert_eq!(
        call(api.get(server.http(&format!("/api/rooms/{ROOM}/files/offline.txt"))))
            .await
            .0,
        404
    );

    // The read-only socket is still open and still follows the writer.
    append(writer.doc(), FILE, ", world");
    reader
        .recv_until("the writer's next edit", |r| {
            // Its own (unsent) edits are still in its copy, next to the writer's.
            file_text(&r.doc, FILE).contains(", world")
        })
        .await;
    assert_eq!(reader.denials.len(), 1);
}

fn marker(name: &str, k: usize) -> String {
    format!("[{name}:{k}]")
}

#[tokio::test]
async fn a_stock_provider_with_a_read_only_token_follows_but_never_edits() {
    const ROOM: &str = "ro-node";
    const EDITS: usize = 5;
    node_dir();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);

    let writer = peer(&server, ROOM).await;
    writer.set_awareness(json!({"user": {"name": "rust-writer", "kind": "agent"}}));
    append(writer.doc(), FILE, "");
    let from_writer: Vec<String> = (0..EDITS).map(|k| marker("rust-writer", k)).collect();
    let from_reader: Vec<String> = (0..EDITS).map(|k| marker("node-reader", k)).collect();

    let mut node = NodePeer::spawn(
        &server,
        NodeSpec {
            room: ROOM,
            name: "node-reader",
            file: FILE,
            edits: EDITS,
            // Its own edits stay in its local document; the writer's must arrive.
            expect: from_writer.iter().chain(&from_reader).cloned().collect(),
            await_names: vec!["rust-writer"],
            token: server.token(ROOM, "read"),
            expect_denied: true,
        },
    );
    let node_id = client_id(&node.event("ready").await);
    node.go().await;
    for m in &from_writer {
        append(writer.doc(), FILE, m);
    }
    let done = node.event("done").await;
    assert_eq!(done["permissionDenied"], json!(["read-only"]));
    let node_text = done["text"].as_str().unwrap();
    assert!(
        from_writer.iter().all(|m| node_text.contains(m.as_str())),
        "{node_text}"
    );

    // The node's `typed` presence travels after all its edits: the server has handled them.
    eventually(
        "the writer sees the node's presence after its edits",
        || {
            writer.presence().iter().any(|(id, s)| {
                *id == node_id && s["user"]["name"] == "node-reader" && s["typed"] == EDITS
            })
        },
    )
    .await;
    let writer_states: Vec<&Value> = done["awareness"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["client"] == writer.doc().client_id().get())
        .map(|s| &s["state"])
        .collect();
    assert_eq!(
        writer_states,
        [&json!({"user": {"name": "rust-writer", "kind": "agent"}})]
    );

    let expected: String = from_writer.concat();
    assert_eq!(file_text(writer.doc(), FILE), expected);
    let api = server.api();
    let on_server = get_text(
        &api,
        &server.http(&format!("/api/rooms/{ROOM}/files/{FILE}")),
    )
    .await;
    assert_eq!(on_server, expected);
    let fresh = peer(&server, ROOM).await;
    assert_eq!(file_text(fresh.doc(), FILE), expected);
    node.finish().await;
}
