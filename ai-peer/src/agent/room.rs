//! One room as Claude sees it: a replica kept in sync by `protocol::client`, the chat watched for
//! questions and commands (`@claude`, `/stop`, `/reject`), turns run one at a time with a short
//! queue behind them, and the trackers that let recent turns be rejected.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use protocol::chat::{self, Entry};
use protocol::client::{Client, ClientOptions};
use protocol::peer::REMOTE_ORIGIN;
use protocol::turns::TurnTracker;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use yrs::{Any, DeepObservable, Doc, Map, Origin, Transact};

use super::presence::Presence;
use super::server::ServerApi;
use super::{AgentSettings, turn};
use crate::gateway::Gateway;

/// Chat is rescanned at most this often while it changes (a streaming reply changes it a lot).
const SCAN_GAP: Duration = Duration::from_millis(20);
/// How long joining may take before the room is given up (the supervisor retries).
const SYNC_TIMEOUT: Duration = Duration::from_secs(20);
/// Messages posted before the agent joined wait this long before they are answered: after a
/// crash the server may have lost the tail of the room (a reply already under way), which the
/// people present send back as they resync; answering at once could answer twice.
const JOIN_SETTLE: Duration = Duration::from_millis(1000);

/// What a room's turns share.
pub struct RoomCtx {
    pub room: String,
    pub client: Arc<Client>,
    pub doc: Doc,
    pub presence: Presence,
    pub settings: Arc<AgentSettings>,
    pub api: ServerApi,
    pub gateway: Result<Arc<Gateway>, String>,
    /// Trackers of the most recent turns (at most `reject_window`), oldest first.
    pub trackers: Mutex<VecDeque<TurnTracker>>,
}

impl RoomCtx {
    /// Appends a system message to the chat.
    pub fn post_system(&self, text: &str) {
        let mut txn = self.doc.transact_mut();
        chat::append(
            &mut txn,
            chat::NewEntry {
                id: format!(
                    "sys-{}-{}",
                    self.doc.client_id().get(),
                    chat::now_ms() as u64
                ),
                author: self.settings.name.clone(),
                kind: chat::KIND_SYSTEM.into(),
                text: text.to_owned(),
                ts: chat::now_ms(),
                fields: vec![],
            },
        );
    }

    pub fn keep_tracker(&self, tracker: TurnTracker) {
        let mut trackers = self.trackers.lock().unwrap_or_else(|p| p.into_inner());
        trackers.push_back(tracker);
        while trackers.len() > self.settings.reject_window.max(1) {
            trackers.pop_front();
        }
    }
}

/// Runs the room until `stop` fires.
pub async fn serve(
    room: String,
    api: ServerApi,
    settings: Arc<AgentSettings>,
    gateway: Result<Arc<Gateway>, String>,
    stop: CancellationToken,
) {
    let doc = Doc::new();
    let client = Arc::new(Client::connect(
        api.sync_url(&room),
        doc.clone(),
        ClientOptions::default(),
    ));
    let synced = tokio::select! {
        _ = stop.cancelled() => false,
        r = tokio::time::timeout(SYNC_TIMEOUT, client.synced()) => r.is_ok(),
    };
    if !synced {
        if !stop.is_cancelled() {
            tracing::warn!(room, "could not join the room");
        }
        return;
    }
    let user_id = format!("ai:{}", settings.name.to_lowercase());
    let tasks = TaskTracker::new();
    let (presence, publish) = Presence::start(client.clone(), &settings, &user_id, stop.clone());
    tasks.spawn(publish);
    let ctx = Arc::new(RoomCtx {
        room: room.clone(),
        client,
        doc: doc.clone(),
        presence,
        settings,
        api,
        gateway,
        trackers: Mutex::default(),
    });
    tracing::info!(room, "joined");
    end_interrupted_turns(&ctx, &chat::entries(&doc));

    let changed = Arc::new(Notify::new());
    let chat_ref = chat::chat(&doc);
    let notify = changed.clone();
    let remote = Origin::from(REMOTE_ORIGIN);
    chat_ref.observe_deep("tandem:agent", move |txn, _| {
        if txn.origin() == Some(&remote) {
            notify.notify_one();
        }
    });
    let mut session = Session {
        ctx: ctx.clone(),
        joined_at: chat::now_ms(),
        handled: HashSet::new(),
        queue: VecDeque::new(),
        running: None,
        tasks: tasks.clone(),
        stop: stop.clone(),
        settled: false,
    };
    changed.notify_one();
    let settled = tokio::time::sleep(JOIN_SETTLE);
    tokio::pin!(settled);
    let mut settling = true;
    loop {
        let finished = async {
            match &mut session.running {
                Some(r) => {
                    r.done.cancelled().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = changed.notified() => {
                session.scan();
                tokio::time::sleep(SCAN_GAP).await;
            }
            _ = &mut settled, if settling => {
                settling = false;
                session.settled = true;
                session.scan();
            }
            _ = finished => {
                session.running = None;
                session.start_next();
            }
        }
    }
    if let Some(r) = &session.running {
        r.cancel.cancel();
    }
    drop(session);
    tasks.close();
    tasks.wait().await;
    // Everyone else has let go by now: close cleanly so the server drops our presence at once.
    if let Ok(ctx) = Arc::try_unwrap(ctx)
        && let Ok(client) = Arc::try_unwrap(ctx.client)
    {
        client.close().await;
    }
    tracing::info!(room, "left");
}

/// A question waiting for its turn.
struct Question {
    entry: Entry,
}

struct Running {
    cancel: CancellationToken,
    /// Cancelled by the turn's task when it ends.
    done: CancellationToken,
}

struct Session {
    ctx: Arc<RoomCtx>,
    joined_at: f64,
    /// Messages already acted on (answered, queued, or commands done).
    handled: HashSet<String>,
    queue: VecDeque<Question>,
    running: Option<Running>,
    tasks: TaskTracker,
    stop: CancellationToken,
    /// `JOIN_SETTLE` has passed since joining: messages from before the join may be answered.
    settled: bool,
}

impl Session {
    fn scan(&mut self) {
        let entries = chat::entries(&self.ctx.doc);
        end_interrupted_turns(&self.ctx, &entries);
        let answered: HashSet<&str> = entries
            .iter()
            .filter_map(|e| e.reply_to.as_deref())
            .collect();
        let mode = ai_mode(&self.ctx.doc);
        let window = self.ctx.settings.answer_window.as_millis() as f64;
        let mut fresh = Vec::new();
        for e in &entries {
            if !e.is_human()
                || self.handled.contains(&e.id)
                || answered.contains(e.id.as_str())
                || e.ts < self.joined_at - window
                || (e.ts < self.joined_at && !self.settled)
            {
                continue;
            }
            fresh.push(e.clone());
        }
        for e in fresh {
            self.handled.insert(e.id.clone());
            let text = e.text.trim();
            if text == "/stop" || text.starts_with("/stop ") {
                self.stop_turn(&e);
            } else if text == "/reject" || text.starts_with("/reject ") {
                let arg = text["/reject".len()..].trim();
                let turn = arg.trim_start_matches('#').parse::<u64>().ok();
                let by = if e.author.is_empty() {
                    "someone".to_owned()
                } else {
                    e.author.clone()
                };
                let msg = match reject(&self.ctx, turn, &by) {
                    Ok(m) | Err(m) => m,
                };
                self.ctx.post_system(&msg);
            } else if mode != "off"
                && (mode == "always" || chat::mentions(text, &self.ctx.settings.name))
            {
                if self.queue.len() >= self.ctx.settings.queued_turns {
                    self.ctx.post_system(&format!(
                        "{} is busy with {} questions; ask again in a moment.",
                        self.ctx.settings.name,
                        self.queue.len() + 1
                    ));
                } else {
                    self.queue.push_back(Question { entry: e });
                }
            }
        }
        // Rejections asked for through the HTTP API.
        for e in &entries {
            if e.kind == chat::KIND_AI
                && e.status.as_deref() != Some("rejected")
                && e.fields
                    .get(chat::REJECT_REQUEST)
                    .is_some_and(|v| v.is_object())
                && let Some(turn) = e.turn
            {
                let by = e.fields[chat::REJECT_REQUEST]["by"]
                    .as_str()
                    .unwrap_or("someone")
                    .to_owned();
                if let Err(msg) = reject(&self.ctx, Some(turn), &by) {
                    set_turn_field(&self.ctx, turn, chat::REJECT_ERROR, Any::from(msg));
                }
                set_turn_field(&self.ctx, turn, chat::REJECT_REQUEST, Any::Null);
            }
        }
        if self.running.is_none() {
            self.start_next();
        }
    }

    fn stop_turn(&mut self, by: &Entry) {
        match &self.running {
            Some(r) => {
                tracing::info!(room = %self.ctx.room, by = %by.author, "turn stopped");
                r.cancel.cancel();
            }
            None => self.ctx.post_system("Nothing to stop."),
        }
    }

    fn start_next(&mut self) {
        if self.running.is_some() || self.stop.is_cancelled() {
            return;
        }
        let Some(q) = self.queue.pop_front() else {
            return;
        };
        let cancel = self.stop.child_token();
        let done = CancellationToken::new();
        let ctx = self.ctx.clone();
        let (c, d) = (cancel.clone(), done.clone());
        self.tasks.spawn(async move {
            turn::run(ctx, q.entry, c).await;
            d.cancel();
        });
        self.running = Some(Running { cancel, done });
    }
}

/// Turns an earlier run of the agent left running (it stopped mid-turn: a restart, a crash) end
/// as errors, so they no longer look busy and can be rejected or retried. Checked at join and at
/// every scan: after a crash the room may only learn of such a turn when the person who saw it
/// reconnects and sends back what the server lost. This run's own entries carry its client id.
fn end_interrupted_turns(ctx: &RoomCtx, entries: &[Entry]) {
    let own = super::reply::id_prefix(&ctx.doc);
    for e in entries {
        if e.kind != chat::KIND_AI || e.id.starts_with(&own) {
            continue;
        }
        if let (true, Some(turn)) = (e.is_running_turn(), e.turn) {
            tracing::info!(room = %ctx.room, turn, "ending a turn interrupted by a restart");
            let why = format!(
                "interrupted: {} stopped before finishing this turn",
                ctx.settings.name
            );
            set_turn_field(ctx, turn, chat::ERROR, Any::from(why));
            set_turn_field(ctx, turn, chat::STATUS, Any::from("error"));
        }
    }
}

/// The room's `meta.ai` mode: `mention` (default), `always` or `off`.
fn ai_mode(doc: &Doc) -> String {
    let meta = protocol::schema::meta(doc);
    let txn = doc.transact();
    chat::str_field(&txn, &meta, chat::META_AI).unwrap_or_else(|| "mention".into())
}

/// Sets a field of turn `turn`'s chat entry.
fn set_turn_field(ctx: &RoomCtx, turn: u64, key: &str, value: Any) {
    let chat_ref = chat::chat(&ctx.doc);
    let mut txn = ctx
        .doc
        .transact_mut_with(protocol::turns::origin(turn).as_str());
    if let Some((_, map)) = chat::find_turn(&txn, &chat_ref, turn) {
        if value == Any::Null {
            map.remove(&mut txn, key);
        } else {
            map.insert(&mut txn, key, value);
        }
    }
}

/// Rejects `turn` (default: the latest finished turn). The message says what happened.
pub fn reject(ctx: &RoomCtx, turn: Option<u64>, by: &str) -> Result<String, String> {
    let entries = chat::entries(&ctx.doc);
    let turn = match turn {
        Some(t) => t,
        None => entries
            .iter()
            .filter(|e| e.kind == chat::KIND_AI && e.status.as_deref() != Some("rejected"))
            .filter_map(|e| e.turn)
            .max()
            .ok_or_else(|| "There is no turn to reject.".to_owned())?,
    };
    let Some(entry) = entries
        .iter()
        .find(|e| e.kind == chat::KIND_AI && e.turn == Some(turn))
    else {
        return Err(format!("There is no turn {turn} in this room."));
    };
    if entry.is_running_turn() {
        return Err(format!("Turn {turn} is still running; /stop it first."));
    }
    if entry.status.as_deref() == Some("rejected") {
        return Err(format!("Turn {turn} was already rejected."));
    }
    let before = protocol::schema::file_contents(&ctx.doc);
    {
        let mut trackers = ctx.trackers.lock().unwrap_or_else(|p| p.into_inner());
        let Some(tracker) = trackers.iter_mut().find(|t| t.turn() == turn) else {
            return Err(format!(
                "Turn {turn} can no longer be rejected here (only the last {} turns since {} joined can be); restore the version named \"before turn {turn}\" instead.",
                ctx.settings.reject_window, ctx.settings.name
            ));
        };
        tracker.reject();
    }
    let after = protocol::schema::file_contents(&ctx.doc);
    let files: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let record = serde_json::json!({ "by": by, "at": chat::now_ms(), "files": files });
    set_turn_field(ctx, turn, chat::REJECTED, chat::any(&record));
    set_turn_field(ctx, turn, chat::STATUS, Any::from("rejected"));
    tracing::info!(room = %ctx.room, turn, by, files = files.len(), "turn rejected");
    Ok(if files.is_empty() {
        format!("Turn {turn} rejected by {by}; it had not changed any file.")
    } else {
        format!(
            "Turn {turn} rejected by {by}: undid its changes to {}.",
            files.join(", ")
        )
    })
}
