//! A turn's chat entry: created when the turn starts, its `Y.Text` receiving the reply as it
//! streams, and its fields (status, model, usage, cost, tools used) kept current. Every write
//! carries the turn's origin.

use protocol::chat::{self, Entry, NewEntry};
use serde_json::{Value, json};
use yrs::{Any, Doc, Map, MapRef, Out, Text, TextRef, Transact};

use crate::Usage;

/// The start of the ids of the entries this replica (one run of the agent) opens.
pub fn id_prefix(doc: &Doc) -> String {
    format!("ai-{}-", doc.client_id().get())
}

pub struct Reply {
    doc: Doc,
    origin: String,
    map: MapRef,
    text: TextRef,
    tools: Vec<Value>,
    /// Set by a tool call: the next round's text starts a new paragraph, so the rounds of a
    /// turn ("Editing main.py." … "Done.") do not run together.
    new_paragraph: std::sync::atomic::AtomicBool,
}

impl Reply {
    /// Appends the entry of turn `turn` answering `question`.
    pub fn open(doc: &Doc, name: &str, turn: u64, question: &Entry) -> Reply {
        let origin = protocol::turns::origin(turn);
        let mut txn = doc.transact_mut_with(origin.as_str());
        let map = chat::append(
            &mut txn,
            NewEntry {
                id: format!("{}{turn}", id_prefix(doc)),
                author: name.to_owned(),
                kind: chat::KIND_AI.into(),
                text: String::new(),
                ts: chat::now_ms(),
                fields: vec![
                    (chat::TURN.into(), Any::from(turn as f64)),
                    (chat::STATUS.into(), Any::from("thinking")),
                    (chat::REPLY_TO.into(), Any::from(question.id.clone())),
                ],
            },
        );
        let text = match map.get(&txn, chat::TEXT) {
            Some(Out::YText(t)) => t,
            _ => unreachable!("append inserts a Y.Text"),
        };
        drop(txn);
        Reply {
            doc: doc.clone(),
            origin,
            map,
            text,
            tools: Vec::new(),
            new_paragraph: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Appends streamed reply text.
    pub fn push(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut txn = self.doc.transact_mut_with(self.origin.as_str());
        let len = self.text.len(&txn);
        if self
            .new_paragraph
            .swap(false, std::sync::atomic::Ordering::Relaxed)
            && len > 0
            && !text.starts_with('\n')
        {
            self.text.insert(&mut txn, len, "\n\n");
        }
        let len = self.text.len(&txn);
        self.text.insert(&mut txn, len, text);
    }

    pub fn set(&self, key: &str, value: Any) {
        let mut txn = self.doc.transact_mut_with(self.origin.as_str());
        self.map.insert(&mut txn, key, value);
    }

    pub fn status(&self, status: &str) {
        self.set(chat::STATUS, Any::from(status));
    }

    /// Records a tool call's outcome on the entry.
    pub fn tool(&mut self, name: &str, path: Option<&str>, ok: bool) {
        self.tools.push(json!({
            "name": name,
            "path": path,
            "outcome": if ok { "ok" } else { "error" },
        }));
        self.new_paragraph
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.set(chat::TOOLS, chat::any(&Value::Array(self.tools.clone())));
    }

    /// Model, usage and cost so far.
    pub fn account(&self, model: &str, usage: &Usage, cost_usd: f64) {
        let mut txn = self.doc.transact_mut_with(self.origin.as_str());
        self.map.insert(&mut txn, chat::MODEL, Any::from(model));
        let usage = json!({
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
        });
        self.map.insert(&mut txn, chat::USAGE, chat::any(&usage));
        self.map.insert(
            &mut txn,
            chat::COST_USD,
            Any::from((cost_usd * 1e6).round() / 1e6),
        );
    }
}
