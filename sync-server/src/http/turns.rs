//! `POST /api/rooms/{room}/turns/{turn}/reject`: undo an AI turn. The AI peer holds each turn's
//! undo history in its own replica, so the server asks through the document — a `reject_request`
//! on the turn's chat entry — and waits for the peer to answer there (`rejected` or
//! `reject_error`).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use protocol::chat;
use serde_json::{Value, json};
use yrs::{Doc, Map, Transact, TransactionMut, WriteTxn};

use super::caller::Caller;
use crate::app::App;
use crate::auth::Perm;
use crate::error::ApiError;

/// How often the turn's entry is read while waiting for the AI peer.
const POLL: Duration = Duration::from_millis(25);

/// What the request found on the turn's entry.
enum Found {
    NoTurn,
    Running,
    AlreadyRejected,
    /// The request is written.
    Asked,
}

/// Where the AI peer is with the request.
enum Progress {
    Gone,
    Waiting,
    Rejected(Value),
    Failed(String),
}

/// 200 `{turn, rejected: true, files}` once the AI peer has undone the turn; 404 for no such
/// turn, 409 for a running or already rejected turn or when the peer could not undo it, 504 when
/// it does not answer within `reject_timeout`.
pub async fn reject(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((room, turn)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let room = caller.room(&room, Perm::Write)?;
    let turn: u64 = turn
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("turn {turn:?} is not a turn number")))?;
    let actor = caller.actor();
    let by = actor.clone();
    match app.rooms.edit(room, move |txn| ask(txn, turn, &by)).await? {
        Found::NoTurn => return Err(ApiError::NoSuchTurn(turn)),
        Found::Running => {
            return Err(ApiError::Conflict(format!(
                "turn {turn} is still running; stop it first"
            )));
        }
        Found::AlreadyRejected => {
            return Err(ApiError::Conflict(format!(
                "turn {turn} was already rejected"
            )));
        }
        Found::Asked => {}
    }
    let target = turn.to_string();
    let deadline = tokio::time::Instant::now() + app.config.reject_timeout;
    loop {
        match app.rooms.read(room, move |doc| progress(doc, turn)).await? {
            Progress::Waiting => {}
            Progress::Gone => return Err(ApiError::NoSuchTurn(turn)),
            Progress::Rejected(files) => {
                let detail = json!({ "files": files });
                app.audit(&actor, "turn.rejected", Some(room), &target, detail)
                    .await;
                return Ok(Json(
                    json!({ "turn": turn, "rejected": true, "files": files }),
                ));
            }
            Progress::Failed(error) => {
                let detail = json!({ "error": error });
                app.audit(&actor, "turn.reject_failed", Some(room), &target, detail)
                    .await;
                return Err(ApiError::Conflict(error));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {
                let detail = json!({ "error": "timeout" });
                app.audit(&actor, "turn.reject_failed", Some(room), &target, detail)
                    .await;
                return Err(ApiError::Timeout(
                    "the AI peer did not answer (is it running?)".into(),
                ));
            }
            _ = app.shutdown.cancelled() => {
                return Err(ApiError::Unavailable("server shutting down".into()));
            }
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Checks the turn and, when it can be rejected, writes the request (dropping the error of an
/// earlier attempt) in the same transaction.
fn ask(txn: &mut TransactionMut<'_>, turn: u64, by: &str) -> Found {
    let chat_array = txn.get_or_insert_array(protocol::schema::CHAT);
    let Some((_, entry)) = chat::find_turn(txn, &chat_array, turn) else {
        return Found::NoTurn;
    };
    match chat::str_field(txn, &entry, chat::STATUS).as_deref() {
        Some(s) if chat::RUNNING_STATUSES.contains(&s) => return Found::Running,
        Some("rejected") => return Found::AlreadyRejected,
        _ => {}
    }
    let request = chat::any(&json!({ "by": by, "at": chat::now_ms() }));
    entry.insert(txn, chat::REJECT_REQUEST, request);
    entry.remove(txn, chat::REJECT_ERROR);
    Found::Asked
}

/// Reads the AI peer's answer from the turn's entry.
fn progress(doc: &Doc, turn: u64) -> Progress {
    let chat_array = chat::chat(doc);
    let txn = doc.transact();
    let Some((index, entry)) = chat::find_turn(&txn, &chat_array, turn) else {
        return Progress::Gone;
    };
    let entry = chat::read_entry(&txn, index, &entry);
    if entry.status.as_deref() == Some("rejected") {
        let files = match &entry.fields[chat::REJECTED]["files"] {
            Value::Array(files) => Value::Array(files.clone()),
            _ => json!([]),
        };
        return Progress::Rejected(files);
    }
    match &entry.fields[chat::REJECT_ERROR] {
        Value::String(e) => Progress::Failed(e.clone()),
        _ => Progress::Waiting,
    }
}
