//! What Claude is shown for a turn: the system prompt, the tools, the room's files (named ones in
//! full, the ones people are looking at as windows around their cursors, the rest as outlines)
//! and recent chat, handed to the gateway's budget builder. The build is reused while neither the
//! room nor the conversation changed.

use std::sync::Mutex;

use protocol::chat::{self, Entry};
use sha2::{Digest, Sha256};
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, Transact};

use super::presence::peer_cursors;
use super::room::RoomCtx;
use super::tools;
use crate::context::{self, BudgetSettings, Built, ContextInput, Cursor, FileDoc};
use crate::models::ModelSpec;
use crate::{AiError, Block, Message, Role};

const SYSTEM: &str = "You are {name}, pair-programming with people in a shared, live project room. Everyone (you included) edits the same files at the same time and sees the same chat and run output.\n\
- Answer in the chat concisely, in Markdown. Say what you are about to do before editing.\n\
- Use the tools to look at files before changing them. Edit with str_replace: small, targeted replacements whose old_str matches the current text exactly once; people may be typing elsewhere in the same file, so never rewrite whole files that exist.\n\
- If an edit fails because the text changed, read the file again and retry.\n\
- Use run to check your work when the project can run; read the output and fix what fails.\n\
- Messages from people are prefixed with their name.";

/// The last build, reused while its key holds.
#[derive(Default)]
pub struct ContextCache {
    last: Mutex<Option<(Vec<u8>, Built)>>,
}

/// Builds the request for this round of the turn.
pub fn build(
    ctx: &RoomCtx,
    cache: &ContextCache,
    question: &Entry,
    conversation: &[Message],
    spec: &ModelSpec,
    budget: &BudgetSettings,
) -> Result<(Built, usize), AiError> {
    let key = cache_key(ctx, question, conversation, &spec.name);
    if let Some((k, built)) = &*cache.last.lock().unwrap_or_else(|p| p.into_inner())
        && *k == key
    {
        let in_scope = built.report.included_full.len().max(1);
        return Ok((built.clone(), in_scope));
    }
    let input = input(ctx, question, conversation);
    let in_scope = input.targets.len().max(1);
    let built = context::build(&input, spec, budget)?;
    *cache.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((key, built.clone()));
    Ok((built, in_scope))
}

/// The room's version for the response cache: its state vector, hashed.
pub fn doc_version(ctx: &RoomCtx) -> String {
    let sv = ctx.doc.transact().state_vector().encode_v1();
    Sha256::digest(&sv)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The room's state vector, the question and the conversation so far, hashed.
fn cache_key(ctx: &RoomCtx, question: &Entry, conversation: &[Message], model: &str) -> Vec<u8> {
    let sv = ctx.doc.transact().state_vector().encode_v1();
    let mut h = Sha256::new();
    h.update(&sv);
    h.update(question.id.as_bytes());
    h.update(model.as_bytes());
    h.update(serde_json::to_vec(conversation).unwrap_or_default());
    h.finalize().to_vec()
}

fn input(ctx: &RoomCtx, question: &Entry, conversation: &[Message]) -> ContextInput {
    let files = protocol::schema::file_contents(&ctx.doc);
    let presence = ctx.client.presence();
    let me = ctx.doc.client_id().get();
    let cursors = peer_cursors(&ctx.doc, &presence, me);
    let named: Vec<&String> = files
        .keys()
        .filter(|p| mentioned(&question.text, p))
        .collect();
    let mut input = ContextInput {
        system: SYSTEM.replace("{name}", &ctx.settings.name),
        tools: tools::definitions(),
        file_tree: files.keys().cloned().collect(),
        cursors: cursors
            .iter()
            .map(|c| Cursor {
                path: c.file.clone(),
                line: c.line,
                who: c.who.clone(),
            })
            .collect(),
        history: history(ctx, question),
        max_tokens: ctx.settings.max_tokens,
        ..ContextInput::default()
    };
    input.history.extend(conversation.iter().cloned());
    for (path, text) in &files {
        let doc = FileDoc {
            path: path.clone(),
            text: text.clone(),
        };
        if named.contains(&path) {
            input.targets.push(doc);
        } else if cursors.iter().any(|c| &c.file == path) {
            input.cursor_files.push(doc);
        } else {
            input.others.push(doc);
        }
    }
    // A small project is shown whole: outlines would only hide what the model needs.
    if input.targets.is_empty() && files.len() <= 3 {
        input.targets.append(&mut input.cursor_files);
        input.targets.append(&mut input.others);
    }
    input
}

/// Whether a message names a file (by path, or by file name when that is distinctive).
fn mentioned(text: &str, path: &str) -> bool {
    if text.contains(path) {
        return true;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    name.contains('.') && text.contains(name)
}

/// Recent chat before the question, as alternating user / assistant messages, then the question.
fn history(ctx: &RoomCtx, question: &Entry) -> Vec<Message> {
    let entries = chat::entries(&ctx.doc);
    let before: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.index < question.index && e.kind != chat::KIND_SYSTEM)
        .filter(|e| !e.text.trim().is_empty() && !e.text.trim_start().starts_with('/'))
        .collect();
    let skip = before.len().saturating_sub(ctx.settings.history_messages);
    let mut out: Vec<Message> = Vec::new();
    for e in before
        .into_iter()
        .skip(skip)
        .chain(std::iter::once(question))
    {
        let (role, text) = if e.kind == chat::KIND_AI {
            (Role::Assistant, e.text.clone())
        } else {
            (Role::User, format!("{}: {}", author(e), e.text))
        };
        if out.is_empty() && role == Role::Assistant {
            continue;
        }
        if let Some(last) = out.last_mut()
            && last.role == role
        {
            if let Some(Block::Text(t)) = last.content.last_mut() {
                t.push_str("\n\n");
                t.push_str(&text);
            }
            continue;
        }
        out.push(Message {
            role,
            content: vec![Block::Text(text)],
        });
    }
    out
}

fn author(e: &Entry) -> &str {
    if e.author.is_empty() {
        "someone"
    } else {
        &e.author
    }
}
