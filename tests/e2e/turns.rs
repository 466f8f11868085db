//! Rejecting an AI turn: `POST /api/rooms/{room}/turns/{turn}/reject` asks the AI peer through
//! the document (a `reject_request` on the turn's chat entry) and answers with what the peer
//! wrote back. Here the test plays the AI peer itself, with a real client in the room; the
//! server's own agent is off so nobody else answers.

use protocol::chat;
use serde_json::{Value, json};
use yrs::{Any, Doc, Map, Transact};

use crate::harness::*;

const ROOM: &str = "turns";

/// What the played AI peer does with a rejection request.
#[derive(Clone)]
enum Answer {
    /// Undoes the turn: status `rejected`, `rejected: {by, at, files}`.
    Reject(Vec<&'static str>),
    /// Cannot: `reject_error`.
    Fail(&'static str),
}

/// Appends the AI entry of `turn` with `status`.
fn ai_entry(doc: &Doc, turn: u64, status: &str) {
    let mut txn = doc.transact_mut();
    chat::append(
        &mut txn,
        chat::NewEntry {
            id: format!("a{turn}"),
            author: "Claude".into(),
            kind: chat::KIND_AI.into(),
            text: format!("turn {turn}"),
            ts: chat::now_ms(),
            fields: vec![
                (chat::TURN.into(), Any::from(turn as f64)),
                (chat::STATUS.into(), Any::from(status)),
            ],
        },
    );
}

/// The JSON fields of the AI entry of `turn` in `doc`.
fn turn_fields(doc: &Doc, turn: u64) -> Option<Value> {
    chat::entries(doc)
        .into_iter()
        .find(|e| e.kind == chat::KIND_AI && e.turn == Some(turn))
        .map(|e| e.fields)
}

/// Waits until the server's copy of the room has the AI entry of `turn` with `status`.
async fn server_has(server: &Server, turn: u64, status: &str) {
    let api = server.api();
    let url = server.http(&format!("/api/rooms/{ROOM}/export"));
    eventually_async("the server has the turn", || {
        let (api, url) = (api.clone(), url.clone());
        async move {
            let export = get_json(&api, &url).await;
            export["chat"].as_array().is_some_and(|c| {
                c.iter().any(|e| {
                    e["turn"].as_f64() == Some(turn as f64) && e["status"] == json!(status)
                })
            })
        }
    })
    .await;
}

/// Plays the AI peer for one request on `turn`: waits for a `reject_request` that has not been
/// answered (no `reject_error`, not rejected), answers it, and returns the request.
fn answer_when_asked(doc: Doc, turn: u64, answer: Answer) -> tokio::task::JoinHandle<Value> {
    tokio::spawn(async move {
        let asked = |doc: &Doc| {
            let f = turn_fields(doc, turn)?;
            let open = f[chat::REJECT_REQUEST].is_object()
                && f[chat::REJECT_ERROR].is_null()
                && f[chat::STATUS] != "rejected";
            open.then(|| f[chat::REJECT_REQUEST].clone())
        };
        eventually("a reject request", || asked(&doc).is_some()).await;
        let request = asked(&doc).unwrap();
        let entries = chat::chat(&doc);
        let mut txn = doc.transact_mut();
        let (_, entry) = chat::find_turn(&txn, &entries, turn).expect("the turn");
        match answer {
            Answer::Reject(files) => {
                entry.insert(&mut txn, chat::STATUS, "rejected");
                let rejected = json!({"by": request["by"], "at": chat::now_ms(), "files": files});
                entry.insert(&mut txn, chat::REJECTED, chat::any(&rejected));
            }
            Answer::Fail(why) => {
                entry.insert(&mut txn, chat::REJECT_ERROR, why);
            }
        }
        request
    })
}

fn reject_url(server: &Server, turn: &str) -> String {
    server.http(&format!("/api/rooms/{ROOM}/turns/{turn}/reject"))
}

/// The audit rows of the room with `action`, as (actor, target, detail).
async fn audited(server: &Server, action: &str) -> Vec<(String, String, Value)> {
    let log = get_json(
        &server.api(),
        &server.http(&format!("/api/audit?room={ROOM}")),
    )
    .await;
    log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == action)
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (s("actor"), s("target"), e["detail"].clone())
        })
        .collect()
}

#[tokio::test]
async fn a_rejection_is_carried_out_by_the_ai_peer_through_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--ai-peer", "off"]);
    let ai = peer(&server, ROOM).await;
    let alice = bearer_client(&server.token_as(ROOM, "write", "alice"));
    ai_entry(ai.doc(), 1, "done");
    server_has(&server, 1, "done").await;

    let playing = answer_when_asked(ai.doc().clone(), 1, Answer::Reject(vec!["a.py"]));
    let body = expect_status(alice.post(reject_url(&server, "1")), 200).await;
    assert_eq!(
        body,
        json!({"turn": 1, "rejected": true, "files": ["a.py"]})
    );
    let request = within(playing).await.unwrap();
    assert_eq!(request["by"], "alice", "{request}");
    assert!(
        request["at"].as_f64().is_some_and(|at| at > 0.0),
        "{request}"
    );

    let (status, again) = call(alice.post(reject_url(&server, "1"))).await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"], "turn 1 was already rejected");
    assert_eq!(again["code"], "conflict");

    let rows = audited(&server, "turn.rejected").await;
    assert_eq!(
        rows,
        vec![("alice".into(), "1".into(), json!({"files": ["a.py"]}))]
    );
}

#[tokio::test]
async fn missing_running_and_refused_turns_are_errors_and_a_retry_clears_the_old_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--ai-peer", "off"]);
    let ai = peer(&server, ROOM).await;
    let writer = bearer_client(&server.token_as(ROOM, "write", "bob"));
    let reader = bearer_client(&server.token_as(ROOM, "read", "eve"));
    ai_entry(ai.doc(), 2, "streaming");
    ai_entry(ai.doc(), 3, "done");
    server_has(&server, 3, "done").await;

    let (status, body) = call(writer.post(reject_url(&server, "7"))).await;
    assert_eq!(
        (status, body["error"].as_str(), body["code"].as_str()),
        (404, Some("no turn 7 in this room"), Some("not_found"))
    );
    let (status, body) = call(writer.post(reject_url(&server, "2"))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("turn 2 is still running; stop it first"))
    );
    assert_eq!(
        http_outcome(reader.post(reject_url(&server, "3"))).await,
        (403, "forbidden".into())
    );
    assert_eq!(
        http_outcome(writer.post(reject_url(&server, "three"))).await,
        (400, "bad_request".into())
    );
    assert!(
        turn_fields(ai.doc(), 2).unwrap()[chat::REJECT_REQUEST].is_null(),
        "a refused request writes nothing"
    );

    let why = "main.py changed since turn 3; restore a version instead";
    let playing = answer_when_asked(ai.doc().clone(), 3, Answer::Fail(why));
    let (status, body) = call(writer.post(reject_url(&server, "3"))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some(why)), "{body}");
    within(playing).await.unwrap();

    // The retry's request removes the old error in the same edit, so only the new answer counts.
    let playing = answer_when_asked(ai.doc().clone(), 3, Answer::Reject(vec![]));
    let body = expect_status(writer.post(reject_url(&server, "3")), 200).await;
    assert_eq!(body, json!({"turn": 3, "rejected": true, "files": []}));
    within(playing).await.unwrap();
    eventually("the error is gone on the AI's replica", || {
        turn_fields(ai.doc(), 3).unwrap()[chat::REJECT_ERROR].is_null()
    })
    .await;

    let failed = audited(&server, "turn.reject_failed").await;
    assert_eq!(
        failed,
        vec![("bob".into(), "3".into(), json!({"error": why}))]
    );
}

#[tokio::test]
async fn a_rejection_nobody_answers_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &["--ai-peer", "off", "--reject-timeout", "300ms"],
    );
    let ai = peer(&server, ROOM).await;
    ai_entry(ai.doc(), 1, "done");
    server_has(&server, 1, "done").await;

    let (status, body) = call(server.api().post(reject_url(&server, "1"))).await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["error"], "the AI peer did not answer (is it running?)");
    assert_eq!(body["code"], "timeout");
    // The request stays in the document for an AI peer that comes later.
    eventually("the request reaches the AI's replica", || {
        turn_fields(ai.doc(), 1).unwrap()[chat::REJECT_REQUEST].is_object()
    })
    .await;
    let failed = audited(&server, "turn.reject_failed").await;
    assert_eq!(
        failed,
        vec![("test".into(), "1".into(), json!({"error": "timeout"}))]
    );
}
