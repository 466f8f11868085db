//! Claude's presence in a room (awareness), published at most `presence_per_sec` times a second
//! whatever the turn does, always with the latest state; and people's cursors read back for the
//! context.

use std::sync::Arc;
use std::time::Duration;

use protocol::client::Client;
use protocol::schema;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use yrs::{Doc, Map, Out, StickyIndex, Transact};

use super::AgentSettings;
use crate::edit::units;

/// What Claude is doing, as people see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Idle,
    Thinking,
    Editing,
    Running,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Thinking => "thinking",
            Status::Editing => "editing",
            Status::Running => "running",
        }
    }
}

/// A range Claude is rewriting: UTF-16 offsets (as Yjs counts in JS) into `file`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub file: String,
    pub from: u32,
    pub to: u32,
    /// Milliseconds since the epoch after which the lease is stale if not renewed.
    pub until: f64,
}

/// The presence to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub status: Status,
    pub turn: Option<u64>,
    /// `{file, anchor, head}` with Yjs relative positions as JSON (as y-codemirror writes them).
    pub cursor: Option<Value>,
    pub lease: Option<Lease>,
}

impl State {
    pub fn idle() -> State {
        State {
            status: Status::Idle,
            turn: None,
            cursor: None,
            lease: None,
        }
    }
}

/// Sets Claude's presence; a task publishes it at the configured rate.
#[derive(Clone)]
pub struct Presence {
    tx: Arc<watch::Sender<State>>,
}

impl Presence {
    /// Starts publishing through `client` until `stop` fires.
    pub fn start(
        client: Arc<Client>,
        settings: &AgentSettings,
        user_id: &str,
        stop: CancellationToken,
    ) -> (
        Presence,
        impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let (tx, mut rx) = watch::channel(State::idle());
        let user = json!({
            "id": user_id,
            "name": settings.name,
            "color": settings.color,
            "kind": "ai",
        });
        let gap = Duration::from_secs(1) / settings.presence_per_sec.max(1);
        let task = async move {
            loop {
                let state = rx.borrow_and_update().clone();
                client.set_awareness(render(&user, &state));
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(gap) => {}
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    changed = rx.changed() => if changed.is_err() { return },
                }
            }
        };
        (Presence { tx: Arc::new(tx) }, task)
    }

    pub fn set(&self, state: State) {
        self.tx.send_if_modified(|s| {
            let changed = *s != state;
            *s = state;
            changed
        });
    }

    pub fn update(&self, f: impl FnOnce(&mut State)) {
        self.tx.send_if_modified(|s| {
            let before = s.clone();
            f(s);
            *s != before
        });
    }
}

fn render(user: &Value, state: &State) -> Value {
    json!({
        "user": user,
        "status": state.status.as_str(),
        "turn": state.turn,
        "cursor": state.cursor,
        "lease": state.lease.as_ref().map(|l| json!({
            "file": l.file, "from": l.from, "to": l.to, "until": l.until,
        })),
    })
}

/// The awareness cursor for a position in a file.
pub fn cursor_json(file: &str, at: &StickyIndex) -> Value {
    let pos = serde_json::to_value(at).unwrap_or(Value::Null);
    json!({ "file": file, "anchor": pos, "head": pos })
}

/// Someone's cursor, resolved in our replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCursor {
    pub who: String,
    pub file: String,
    /// 0-based line.
    pub line: u32,
}

/// Cursors of everyone else in the room: `cursor.head` (or `anchor`) decoded as a Yjs relative
/// position, its file from `cursor.file` or else found by the text it points into.
pub fn peer_cursors(doc: &Doc, presence: &[(u64, Value)], me: u64) -> Vec<PeerCursor> {
    let files = schema::files(doc);
    let txn = doc.transact();
    let mut out = Vec::new();
    for (id, state) in presence {
        if *id == me || state["user"]["kind"] == "ai" {
            continue;
        }
        let cursor = &state["cursor"];
        let Some(pos) = [&cursor["head"], &cursor["anchor"]]
            .into_iter()
            .find_map(|v| serde_json::from_value::<StickyIndex>(v.clone()).ok())
        else {
            continue;
        };
        let Some(offset) = pos.get_offset(&txn) else {
            continue;
        };
        let file = cursor["file"].as_str().map(str::to_owned).or_else(|| {
            files.iter(&txn).find_map(|(path, v)| match v {
                Out::YText(t)
                    if yrs::branch::BranchPtr::from(AsRef::<yrs::branch::Branch>::as_ref(&t))
                        == offset.branch =>
                {
                    Some(path.to_owned())
                }
                _ => None,
            })
        });
        let Some(file) = file else { continue };
        let Some(text) = schema::file_text(&txn, &files, &file) else {
            continue;
        };
        let content = yrs::GetString::get_string(&text, &txn);
        let Some(byte) = units::to_byte(&content, offset.index, doc.offset_kind()) else {
            continue;
        };
        let line = units::line_of(&content, byte) - 1;
        let who = state["user"]["name"]
            .as_str()
            .unwrap_or("someone")
            .to_owned();
        out.push(PeerCursor { who, file, line });
    }
    drop(txn);
    out
}
