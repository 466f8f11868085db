//! Chat for the editor: each entry's whole text whenever it changes (a streaming reply is
//! re-sent as it grows), the last few entries once on joining, and posting (chat, ask Claude).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use yrs::Transact;

use protocol::chat::{self, Entry, NewEntry};

use crate::wire::Event;

/// What was last sent of one entry.
#[derive(Debug, PartialEq)]
struct Sent {
    text: String,
    status: Option<String>,
    cost: Option<String>,
}

#[derive(Debug, Default)]
pub struct ChatFeed {
    sent: HashMap<String, Sent>,
    primed: bool,
}

impl ChatFeed {
    /// Messages for entries that changed since the last call. The first call (after the first
    /// sync) reports only the last `history` entries and takes the rest as seen.
    pub fn poll(&mut self, doc: &yrs::Doc, history: usize) -> Vec<Event> {
        let entries = chat::entries(doc);
        let skip = if self.primed {
            0
        } else {
            self.primed = true;
            entries.len().saturating_sub(history)
        };
        let mut out = Vec::new();
        for (i, e) in entries.into_iter().enumerate() {
            let now = Sent {
                text: e.text.clone(),
                status: e.status.clone(),
                cost: e.fields[chat::COST_USD].as_f64().map(|c| c.to_string()),
            };
            if self.sent.get(&e.id) == Some(&now) {
                continue;
            }
            self.sent.insert(e.id.clone(), now);
            if i >= skip {
                out.push(message(e));
            }
        }
        out
    }
}

fn message(e: Entry) -> Event {
    Event::ChatMessage {
        model: e.fields[chat::MODEL].as_str().map(str::to_owned),
        cost_usd: e.fields[chat::COST_USD].as_f64(),
        message: e.id,
        author: e.author,
        kind: e.kind,
        text: e.text,
        status: e.status,
        turn: e.turn,
        reply_to: e.reply_to,
    }
}

/// Posts `text` as `author`; returns the entry's id (unique even for two posts in one ms).
pub fn post(doc: &yrs::Doc, author: &str, text: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let now = chat::now_ms();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed) + 1;
    let id = format!("m-{}-{}-{seq}", doc.client_id(), now as u64);
    let mut txn = doc.transact_mut();
    chat::append(
        &mut txn,
        NewEntry {
            id: id.clone(),
            author: author.to_owned(),
            kind: chat::KIND_HUMAN.to_owned(),
            text: text.to_owned(),
            ts: now,
            fields: Vec::new(),
        },
    );
    id
}
