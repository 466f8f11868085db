//! The room's chat (DESIGN §3): entries of the `chat` array, each a `Y.Map` whose `text` is a
//! `Y.Text` (so an AI reply streams into it), and the fields the AI peer and the server share.
//!
//! Stock Yjs clients write entries as plain maps; every field but `text` is optional when read.

use yrs::types::ToJson;
use yrs::{Any, Array, ArrayRef, Doc, GetString, Map, MapPrelim, MapRef, Out, ReadTxn, Transact};
use yrs::{TextPrelim, TransactionMut, WriteTxn};

use crate::schema::CHAT;

pub const ID: &str = "id";
pub const AUTHOR: &str = "author";
pub const KIND: &str = "kind";
pub const TEXT: &str = "text";
pub const TS: &str = "ts";
/// The AI turn an entry belongs to (a number, counted per room from 1).
pub const TURN: &str = "turn";
pub const MODEL: &str = "model";
/// `thinking | streaming | editing | running | done | stopped | error | rejected`.
pub const STATUS: &str = "status";
/// `{input_tokens, output_tokens, cache_write_tokens, cache_read_tokens}`.
pub const USAGE: &str = "usage";
pub const COST_USD: &str = "cost_usd";
/// The id of the message an AI entry answers.
pub const REPLY_TO: &str = "reply_to";
/// Why a turn ended in `error`, in words for people.
pub const ERROR: &str = "error";
/// `{by, at}`: someone asked (through the HTTP API) for this turn to be rejected.
pub const REJECT_REQUEST: &str = "reject_request";
/// `{by, at, files: [path]}`: the turn was rejected.
pub const REJECTED: &str = "rejected";
/// Why a requested rejection could not be done.
pub const REJECT_ERROR: &str = "reject_error";
/// `[{name, path?, outcome}]`: the tools a turn used, in order.
pub const TOOLS: &str = "tools";

pub const KIND_HUMAN: &str = "human";
pub const KIND_AI: &str = "ai";
pub const KIND_SYSTEM: &str = "system";

/// `meta` key: `mention` (default: answer messages that mention `@claude`), `always`, `off`.
pub const META_AI: &str = "ai";

/// Statuses of a turn that has not ended.
pub const RUNNING_STATUSES: [&str; 4] = ["thinking", "streaming", "editing", "running"];

/// A chat entry as read (a snapshot; `text` is the text at that moment).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Position in the `chat` array.
    pub index: u32,
    /// The entry's `id`, or its CRDT id (`c{client}.{clock}`) for entries written without one.
    pub id: String,
    pub author: String,
    /// `human` when absent.
    pub kind: String,
    pub text: String,
    pub ts: f64,
    pub turn: Option<u64>,
    pub status: Option<String>,
    pub reply_to: Option<String>,
    /// Every field as JSON (for fields this struct does not name).
    pub fields: serde_json::Value,
}

impl Entry {
    pub fn is_human(&self) -> bool {
        self.kind == KIND_HUMAN
    }

    pub fn is_running_turn(&self) -> bool {
        self.kind == KIND_AI
            && self
                .status
                .as_deref()
                .is_some_and(|s| RUNNING_STATUSES.contains(&s))
    }
}

/// What a new entry starts as.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub id: String,
    pub author: String,
    pub kind: String,
    pub text: String,
    pub ts: f64,
    /// More plain fields (`turn`, `status`, `reply_to`, ...).
    pub fields: Vec<(String, Any)>,
}

pub fn chat(doc: &Doc) -> ArrayRef {
    doc.get_or_insert_array(CHAT)
}

/// Appends an entry; returns its map (its `text` is a `Y.Text`).
pub fn append(txn: &mut TransactionMut<'_>, entry: NewEntry) -> MapRef {
    let chat = txn.get_or_insert_array(CHAT);
    let mut prelim: MapPrelim = MapPrelim::default();
    prelim.insert(ID.into(), Any::from(entry.id).into());
    prelim.insert(AUTHOR.into(), Any::from(entry.author).into());
    prelim.insert(KIND.into(), Any::from(entry.kind).into());
    prelim.insert(TS.into(), Any::from(entry.ts).into());
    for (k, v) in entry.fields {
        prelim.insert(k.into(), v.into());
    }
    let index = chat.len(txn);
    let map = chat.insert(txn, index, prelim);
    map.insert(txn, TEXT, TextPrelim::new(entry.text));
    map
}

/// Every entry, oldest first.
pub fn entries(doc: &Doc) -> Vec<Entry> {
    let chat = chat(doc);
    let txn = doc.transact();
    (0..chat.len(&txn))
        .filter_map(|i| match chat.get(&txn, i)? {
            Out::YMap(map) => Some(read_entry(&txn, i, &map)),
            _ => None,
        })
        .collect()
}

/// The entry map at `index`.
pub fn entry_map<T: ReadTxn>(txn: &T, chat: &ArrayRef, index: u32) -> Option<MapRef> {
    match chat.get(txn, index)? {
        Out::YMap(map) => Some(map),
        _ => None,
    }
}

/// Finds the entry map whose `id` (as `entries` reports it) is `id`.
pub fn find<T: ReadTxn>(txn: &T, chat: &ArrayRef, id: &str) -> Option<(u32, MapRef)> {
    (0..chat.len(txn)).rev().find_map(|i| {
        let map = entry_map(txn, chat, i)?;
        (entry_id(txn, &map) == id).then_some((i, map))
    })
}

/// Finds the AI entry of turn `turn`.
pub fn find_turn<T: ReadTxn>(txn: &T, chat: &ArrayRef, turn: u64) -> Option<(u32, MapRef)> {
    (0..chat.len(txn)).rev().find_map(|i| {
        let map = entry_map(txn, chat, i)?;
        let is_ai = str_field(txn, &map, KIND).as_deref() == Some(KIND_AI);
        (is_ai && num_field(txn, &map, TURN).map(|n| n as u64) == Some(turn)).then_some((i, map))
    })
}

/// The highest turn number in the chat (0 when none).
pub fn last_turn(doc: &Doc) -> u64 {
    entries(doc)
        .iter()
        .filter_map(|e| e.turn)
        .max()
        .unwrap_or(0)
}

pub fn read_entry<T: ReadTxn>(txn: &T, index: u32, map: &MapRef) -> Entry {
    let text = match map.get(txn, TEXT) {
        Some(Out::YText(t)) => t.get_string(txn),
        Some(Out::Any(Any::String(s))) => s.to_string(),
        _ => String::new(),
    };
    let fields = serde_json::to_value(map.to_json(txn)).unwrap_or(serde_json::Value::Null);
    Entry {
        index,
        id: entry_id(txn, map),
        author: str_field(txn, map, AUTHOR).unwrap_or_default(),
        kind: str_field(txn, map, KIND).unwrap_or_else(|| KIND_HUMAN.to_owned()),
        text,
        ts: num_field(txn, map, TS).unwrap_or(0.0),
        turn: num_field(txn, map, TURN).map(|n| n as u64),
        status: str_field(txn, map, STATUS),
        reply_to: str_field(txn, map, REPLY_TO),
        fields,
    }
}

fn entry_id<T: ReadTxn>(txn: &T, map: &MapRef) -> String {
    str_field(txn, map, ID)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| match AsRef::<yrs::branch::Branch>::as_ref(map).id() {
            yrs::branch::BranchID::Nested(id) => format!("c{}.{}", id.client, id.clock),
            yrs::branch::BranchID::Root(name) => name.to_string(),
        })
}

pub fn str_field<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Option<String> {
    match map.get(txn, key)? {
        Out::Any(Any::String(s)) => Some(s.to_string()),
        Out::YText(t) => Some(t.get_string(txn)),
        _ => None,
    }
}

pub fn num_field<T: ReadTxn>(txn: &T, map: &MapRef, key: &str) -> Option<f64> {
    match map.get(txn, key)? {
        Out::Any(Any::Number(n)) => n.as_f64(),
        _ => None,
    }
}

/// Milliseconds since the epoch, as JS `Date.now()` writes `ts`.
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}

/// JSON to a Yjs value (objects and arrays as plain `Any`).
pub fn any(value: &serde_json::Value) -> Any {
    serde_json::from_value(value.clone()).unwrap_or(Any::Null)
}

/// `@name` (any case) as a word: what makes the AI peer answer in a `mention` room, and what
/// clients check before adding a mention of their own.
pub fn mentions(text: &str, name: &str) -> bool {
    let needle = format!("@{}", name.to_lowercase());
    let lower = text.to_lowercase();
    lower.match_indices(&needle).any(|(i, m)| {
        lower[i + m.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::Text;

    #[test]
    fn a_mention_is_the_name_as_a_word_in_any_case() {
        assert!(mentions("@claude fix it", "Claude"));
        assert!(mentions("hey @Claude, look", "Claude"));
        assert!(mentions("ping @CLAUDE", "Claude"));
        assert!(!mentions("@claudette is someone else", "Claude"));
        assert!(!mentions("claude without the at", "Claude"));
        assert!(mentions("@ada and @bot", "bot"));
    }

    #[test]
    fn entries_round_trip_and_are_found_by_id_and_turn() {
        let doc = Doc::new();
        {
            let mut txn = doc.transact_mut();
            append(
                &mut txn,
                NewEntry {
                    id: "m1".into(),
                    author: "ada".into(),
                    kind: KIND_HUMAN.into(),
                    text: "@claude hi".into(),
                    ts: 5.0,
                    fields: vec![],
                },
            );
            let reply = append(
                &mut txn,
                NewEntry {
                    id: "a1".into(),
                    author: "Claude".into(),
                    kind: KIND_AI.into(),
                    text: String::new(),
                    ts: 6.0,
                    fields: vec![
                        (TURN.into(), Any::from(1.0)),
                        (STATUS.into(), Any::from("streaming")),
                        (REPLY_TO.into(), Any::from("m1")),
                    ],
                },
            );
            let Some(Out::YText(t)) = reply.get(&txn, TEXT) else {
                panic!("text is a Y.Text")
            };
            t.insert(&mut txn, 0, "hello");
        }
        let all = entries(&doc);
        assert_eq!(all.len(), 2);
        assert!(all[0].is_human());
        assert_eq!(all[1].text, "hello");
        assert_eq!(all[1].turn, Some(1));
        assert!(all[1].is_running_turn());
        assert_eq!(all[1].reply_to.as_deref(), Some("m1"));
        assert_eq!(last_turn(&doc), 1);
        let chat = chat(&doc);
        let txn = doc.transact();
        assert_eq!(find(&txn, &chat, "m1").map(|(i, _)| i), Some(0));
        assert_eq!(find_turn(&txn, &chat, 1).map(|(i, _)| i), Some(1));
        assert!(find_turn(&txn, &chat, 2).is_none());
    }

    #[test]
    fn entries_without_id_or_kind_get_defaults() {
        let doc = Doc::new();
        {
            let chat = chat(&doc);
            let mut txn = doc.transact_mut();
            let mut prelim: MapPrelim = MapPrelim::default();
            prelim.insert(TEXT.into(), Any::from("plain string text").into());
            chat.push_back(&mut txn, prelim);
        }
        let e = &entries(&doc)[0];
        assert!(e.is_human());
        assert!(e.id.starts_with('c'), "{}", e.id);
        assert_eq!(e.text, "plain string text");
    }
}
