//! One turn: Claude answers a chat message. A version is named first, then up to
//! `max_tool_rounds` model calls: the reply streams into the turn's chat entry, edit tool calls
//! stream into the files as they are written (paced), the other tools run when the answer ends,
//! and their results go back to the model. Usage and cost land on the entry; a failure leaves a
//! clear error in chat and no half-applied edit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use protocol::chat::{self, Entry};
use protocol::turns::{self, TurnTracker};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use yrs::Any;

use super::context::{self, ContextCache};
use super::edits::{Edits, at_least};
use super::presence::{Lease, State, Status, cursor_json};
use super::reply::Reply;
use super::room::RoomCtx;
use super::tools::{self, Outcome};
use crate::gateway::{Answer, Call};
use crate::{AiError, Block, Event, Message, Request, Role, Usage};

/// Tenant the agent's calls are accounted to (rooms carry no tenant yet).
const TENANT: &str = "default";
/// Sleep used when nothing is scheduled (the select's timer branch is disabled then anyway).
const IDLE: Duration = Duration::from_secs(3600);

/// How a turn ended early.
enum End {
    Stopped,
    Failed(String),
}

/// Runs the turn answering `question` until it ends or `cancel` fires.
pub async fn run(ctx: Arc<RoomCtx>, question: Entry, cancel: CancellationToken) {
    let turn = chat::last_turn(&ctx.doc) + 1;
    let mut reply = Reply::open(&ctx.doc, &ctx.settings.name, turn, &question);
    ctx.presence.set(State {
        status: Status::Thinking,
        turn: Some(turn),
        cursor: None,
        lease: None,
    });
    tracing::info!(room = %ctx.room, turn, "turn started");
    let label = format!("before turn {turn}");
    if let Err(e) = ctx.api.create_version(&ctx.room, &label).await {
        tracing::warn!(room = %ctx.room, turn, error = %e, "could not name the version before the turn");
    }
    ctx.keep_tracker(TurnTracker::new(&ctx.doc, turn));
    let end = converse(&ctx, turn, &question, &mut reply, &cancel).await;
    match end {
        Ok(()) => reply.status("done"),
        Err(End::Stopped) => {
            reply.push("\n\n_(stopped)_");
            reply.status("stopped");
        }
        Err(End::Failed(why)) => {
            tracing::warn!(room = %ctx.room, turn, error = %why, "turn failed");
            reply.set(chat::ERROR, Any::from(why.clone()));
            reply.status("error");
            ctx.post_system(&format!(
                "{} could not finish turn {turn}: {why}",
                ctx.settings.name
            ));
        }
    }
    ctx.presence.set(State::idle());
    tracing::info!(room = %ctx.room, turn, "turn ended");
}

async fn converse(
    ctx: &Arc<RoomCtx>,
    turn: u64,
    question: &Entry,
    reply: &mut Reply,
    cancel: &CancellationToken,
) -> Result<(), End> {
    let gateway = match &ctx.gateway {
        Ok(g) => g.clone(),
        Err(why) => return Err(End::Failed(format!("no model is configured ({why})"))),
    };
    let origin = turns::origin(turn);
    let cache = ContextCache::default();
    let budget = crate::context::BudgetSettings::default();
    let mut conversation: Vec<Message> = Vec::new();
    let mut total = Usage::default();
    let mut cost = 0.0;
    let mut failed_edit = false;
    for _ in 0..ctx.settings.max_tool_rounds.max(1) {
        let probe = Call::new(
            Request::user(question.text.clone(), ctx.settings.max_tokens),
            ctx.room.clone(),
            TENANT,
        );
        let route = gateway.plan(&probe).map_err(failed)?;
        let spec = gateway
            .router()
            .registry()
            .get(&route.model)
            .cloned()
            .ok_or_else(|| End::Failed(format!("model {} is not in the registry", route.model)))?;
        let (built, in_scope) =
            context::build(ctx, &cache, question, &conversation, &spec, &budget).map_err(failed)?;
        let mut call = Call::new(built.request, ctx.room.clone(), TENANT);
        // A repeated question about an unchanged room is answered from the response cache
        // (text answers only: one that calls a tool is never replayed).
        call.doc_version = Some(context::doc_version(ctx));
        call.files_in_scope = in_scope;
        call.failed_edit_retry = failed_edit;
        let answer = tokio::select! {
            _ = cancel.cancelled() => return Err(End::Stopped),
            r = gateway.stream(call) => r.map_err(failed)?,
        };
        let model = answer.model.clone();
        let record = answer.record_slot();
        let round = stream_round(ctx, answer, reply, &origin, turn, cancel).await;
        if let Some(r) = record.get() {
            add(&mut total, &r.usage);
            cost += r.cost_usd;
        }
        reply.account(&model, &total, cost);
        let round = round?;
        if round.calls.is_empty() {
            return Ok(());
        }
        failed_edit = round.failed_edit;
        let mut results = Vec::new();
        for call in &round.calls {
            let outcome = match &call.outcome {
                Some(o) => o.clone(),
                None => execute(ctx, &origin, call, cancel).await,
            };
            reply.tool(&call.name, call.input["path"].as_str(), !outcome.is_error);
            results.push(Block::ToolResult {
                tool_use_id: call.id.clone(),
                content: outcome.content,
                is_error: outcome.is_error,
            });
        }
        if cancel.is_cancelled() {
            return Err(End::Stopped);
        }
        let mut said = Vec::new();
        if !round.text.is_empty() {
            said.push(Block::Text(round.text.clone()));
        }
        said.extend(round.calls.iter().map(|c| Block::ToolUse {
            id: c.id.clone(),
            name: c.name.clone(),
            input: c.input.clone(),
        }));
        conversation.push(Message {
            role: Role::Assistant,
            content: said,
        });
        conversation.push(Message::user(results));
        ctx.presence.update(|s| {
            s.status = Status::Thinking;
            s.lease = None;
        });
    }
    reply.push(&format!(
        "\n\n_(stopped after {} tool rounds)_",
        ctx.settings.max_tool_rounds
    ));
    Ok(())
}

fn failed(e: AiError) -> End {
    End::Failed(describe(&e))
}

/// An error in words for the chat.
fn describe(e: &AiError) -> String {
    match e {
        AiError::Exhausted { retry_after } => format!(
            "every model key is at its limit; try again in {} s",
            retry_after.as_secs().max(1)
        ),
        AiError::MidStream { .. } | AiError::Disconnected => {
            format!("the model's answer broke off ({e})")
        }
        _ => e.to_string(),
    }
}

fn add(total: &mut Usage, u: &Usage) {
    total.input_tokens += u.input_tokens;
    total.output_tokens += u.output_tokens;
    total.cache_write_tokens += u.cache_write_tokens;
    total.cache_read_tokens += u.cache_read_tokens;
}

/// A tool call of the model's answer.
struct ToolCall {
    index: u32,
    id: String,
    name: String,
    raw: String,
    input: Value,
    /// Set for streamed edits (the edit engine decides); the rest run after the answer.
    outcome: Option<Outcome>,
}

#[derive(Default)]
struct Round {
    text: String,
    calls: Vec<ToolCall>,
    failed_edit: bool,
}

async fn stream_round(
    ctx: &Arc<RoomCtx>,
    mut answer: Answer,
    reply: &Reply,
    origin: &str,
    turn: u64,
    cancel: &CancellationToken,
) -> Result<Round, End> {
    let settings = &ctx.settings;
    let mut edits = Edits::new(
        settings.chars_per_sec,
        settings.max_chars_per_txn,
        origin.to_owned(),
    );
    let mut round = Round::default();
    let mut stream_done = false;
    let mut streaming = false;
    loop {
        if stream_done && !edits.busy() {
            break;
        }
        let wake = edits.next_wake(Instant::now());
        let sleep_for = wake.map_or(IDLE, |w| {
            at_least(w.saturating_duration_since(Instant::now()))
        });
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                edits.abort(&ctx.doc, "the turn was stopped");
                return Err(End::Stopped);
            }
            _ = tokio::time::sleep(sleep_for), if wake.is_some() => {
                edits.step(&ctx.doc, Instant::now());
                publish_progress(ctx, &edits, turn);
            }
            item = answer.next(), if !stream_done => match item {
                None => {
                    stream_done = true;
                    // A block the answer never closed still ends (its edit with an error).
                    for call in &round.calls {
                        if Edits::streams(&call.name) {
                            edits.block_stop(call.index as usize);
                        }
                    }
                }
                Some(Err(e)) => {
                    edits.abort(&ctx.doc, "the model's answer broke off");
                    return Err(failed(e));
                }
                Some(Ok(event)) => {
                    if !streaming && matches!(event, Event::TextDelta { .. }) {
                        streaming = true;
                        reply.status("streaming");
                    }
                    on_event(event, reply, &mut round, &mut edits);
                }
            },
        }
    }
    for (id, outcome) in edits.take_outcomes() {
        if let Some(call) = round.calls.iter_mut().find(|c| c.id == id) {
            call.outcome = Some(outcome);
        }
    }
    round.failed_edit = edits.failed;
    Ok(round)
}

fn on_event(event: Event, reply: &Reply, round: &mut Round, edits: &mut Edits) {
    match event {
        Event::TextDelta { text, .. } => {
            reply.push(&text);
            round.text.push_str(&text);
        }
        Event::ToolUseStart { index, id, name } => {
            if Edits::streams(&name) {
                edits.start(index as usize, &id, &name);
                reply.status("editing");
            }
            round.calls.push(ToolCall {
                index,
                id,
                name,
                raw: String::new(),
                input: Value::Null,
                outcome: None,
            });
        }
        Event::ToolInputDelta {
            index,
            partial_json,
        } => {
            if let Some(call) = round.calls.iter_mut().find(|c| c.index == index) {
                call.raw.push_str(&partial_json);
                if Edits::streams(&call.name) {
                    edits.delta(index as usize, &partial_json);
                }
            }
        }
        Event::BlockStop { index } => {
            if let Some(call) = round.calls.iter_mut().find(|c| c.index == index) {
                call.input = if call.raw.trim().is_empty() {
                    Value::Object(Default::default())
                } else {
                    serde_json::from_str(&call.raw).unwrap_or(Value::Null)
                };
                if Edits::streams(&call.name) {
                    edits.block_stop(index as usize);
                }
            }
        }
        Event::MessageStart { .. } | Event::MessageDelta { .. } | Event::MessageStop => {}
    }
}

/// Presence while an edit streams: status, lease and cursor.
fn publish_progress(ctx: &RoomCtx, edits: &Edits, turn: u64) {
    let progress = edits.progress(&ctx.doc);
    let until = chat::now_ms() + ctx.settings.lease_ttl.as_millis() as f64;
    ctx.presence.update(|s| {
        s.turn = Some(turn);
        match progress {
            Some(p) => {
                s.status = Status::Editing;
                s.lease = p.range_utf16.map(|(from, to)| Lease {
                    file: p.file.clone(),
                    from,
                    to,
                    until,
                });
                s.cursor = p.cursor.as_ref().map(|c| cursor_json(&p.file, c));
            }
            None => {
                s.lease = None;
            }
        }
    });
}

/// Runs a tool that does not stream.
async fn execute(
    ctx: &Arc<RoomCtx>,
    origin: &str,
    call: &ToolCall,
    cancel: &CancellationToken,
) -> Outcome {
    if call.input.is_null() {
        return Outcome::error(format!("The input of {} was not valid JSON.", call.name));
    }
    match call.name.as_str() {
        tools::LIST_FILES => tools::list_files(&ctx.doc),
        tools::READ_FILE => tools::read_file(&ctx.doc, &call.input),
        tools::DELETE_FILE => tools::delete_file(&ctx.doc, origin, &call.input),
        tools::RUN => {
            let out = tools::run(ctx, &call.input, cancel).await;
            ctx.presence.update(|s| s.status = Status::Thinking);
            out
        }
        other => Outcome::error(format!("There is no tool named {other:?}.")),
    }
}
