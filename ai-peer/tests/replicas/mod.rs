//! Two replicas of a room document, a person's and the agent's, exchanging updates the way
//! the sync server relays them, with helpers to type, delete and watch the agent's writes.

pub mod session;

use std::sync::{Arc, Mutex};

use ai_peer::edit::{EditSettings, LiveEdit};
use protocol::schema::{file_text, files, read_file, write_file};
use yrs::types::{Delta, Observable};
use yrs::updates::decoder::Decode;
use yrs::{
    ClientID, Doc, OffsetKind, Options, Origin, Out, ReadTxn, Text, TextRef, Transact, Update,
};

pub const PATH: &str = "src/lib.rs";
pub const AI: &str = "ai:7";
pub const KINDS: [(OffsetKind, OffsetKind); 2] = [
    (OffsetKind::Bytes, OffsetKind::Utf16),
    (OffsetKind::Utf16, OffsetKind::Bytes),
];

pub fn replica(id: u64, kind: OffsetKind) -> Doc {
    Doc::with_options(Options {
        offset_kind: kind,
        ..Options::with_client_id(ClientID::new(id))
    })
}

/// Sends `to` what it lacks of `from`.
pub fn sync(from: &Doc, to: &Doc) {
    let sv = to.transact().state_vector();
    let update = from.transact().encode_state_as_update_v1(&sv);
    to.transact_mut()
        .apply_update(Update::decode_v1(&update).unwrap())
        .unwrap();
}

/// A person's doc holding `text` and the agent's replica of it.
pub fn pair(text: &str, agent_kind: OffsetKind, human_kind: OffsetKind) -> (Doc, Doc) {
    let (human, agent) = (replica(1, human_kind), replica(2, agent_kind));
    write_file(&mut human.transact_mut(), PATH, text);
    sync(&human, &agent);
    (human, agent)
}

pub fn text(doc: &Doc) -> String {
    read_file(doc, PATH).unwrap()
}

pub fn file(doc: &Doc) -> TextRef {
    let files = files(doc);
    let txn = doc.transact();
    file_text(&txn, &files, PATH).unwrap()
}

pub fn units(s: &str, kind: OffsetKind) -> u32 {
    match kind {
        OffsetKind::Bytes => s.len() as u32,
        OffsetKind::Utf16 => s.encode_utf16().count() as u32,
    }
}

pub fn byte_of_char(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(b, _)| b)
}

/// Byte offset of a UTF-16 offset (JS-style count).
pub fn byte_of_utf16(s: &str, at: u32) -> usize {
    let mut n = 0;
    for (b, c) in s.char_indices() {
        if n >= at {
            return b;
        }
        n += c.len_utf16() as u32;
    }
    s.len()
}

/// A person types `s` before char `chars` of their copy.
pub fn type_at(doc: &Doc, chars: usize, s: &str) {
    let t = text(doc);
    let at = units(&t[..byte_of_char(&t, chars)], doc.offset_kind());
    file(doc).insert(&mut doc.transact_mut(), at, s);
}

/// A person deletes `n` chars at char `chars`; returns what went.
pub fn delete_at(doc: &Doc, chars: usize, n: usize) -> String {
    let t = text(doc);
    let (a, b) = (byte_of_char(&t, chars), byte_of_char(&t, chars + n));
    let kind = doc.offset_kind();
    let at = units(&t[..a], kind);
    file(doc).remove_range(&mut doc.transact_mut(), at, units(&t[a..b], kind));
    t[a..b].to_owned()
}

/// The agent's range as char offsets into its copy.
pub fn range_chars(edit: &LiveEdit, agent: &Doc) -> (usize, usize) {
    let t = text(agent);
    let (a, b) = edit.range_utf16(agent).unwrap();
    let (a, b) = (byte_of_utf16(&t, a), byte_of_utf16(&t, b));
    (t[..a].chars().count(), t[..b].chars().count())
}

pub fn between(edit: &LiveEdit, agent: &Doc) -> String {
    let t = text(agent);
    let (a, b) = edit.range_utf16(agent).unwrap();
    t[byte_of_utf16(&t, a)..byte_of_utf16(&t, b)].to_owned()
}

/// Characters only people type.
pub fn is_human(c: char) -> bool {
    c.is_ascii_uppercase() || c == '🎈'
}

pub fn humans(s: &str) -> usize {
    s.chars().filter(|&c| is_human(c)).count()
}

/// Every agent transaction on the file, as (inserted strings, deleted units, retained units).
pub type Log = Arc<Mutex<Vec<Vec<Change>>>>;

#[derive(Debug, Clone)]
pub enum Change {
    Retain(u32),
    Insert(String),
    Delete(u32),
}

pub fn record_agent(agent: &Doc) -> Log {
    let log: Log = Arc::default();
    let sink = log.clone();
    file(agent).observe("budget", move |txn, e| {
        if txn.origin() != Some(&Origin::from(AI)) {
            return;
        }
        let changes = e
            .delta(txn)
            .iter()
            .map(|d| match d {
                Delta::Retain(n, _) => Change::Retain(*n),
                Delta::Deleted(n) => Change::Delete(*n),
                Delta::Inserted(Out::Any(yrs::Any::String(s)), _) => Change::Insert(s.to_string()),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        sink.lock().unwrap().push(changes);
    });
    log
}

/// Chars inserted + deleted by one transaction's delta, read against the text before it.
pub fn changed_chars(before: &str, kind: OffsetKind, delta: &[Change]) -> usize {
    let mut rest = before;
    let mut changed = 0;
    let skip = |rest: &mut &str, n: u32| -> usize {
        let (mut used, mut chars) = (0, 0);
        for c in rest.chars() {
            if used >= n {
                break;
            }
            used += units(c.encode_utf8(&mut [0; 4]), kind);
            chars += 1;
        }
        *rest = &rest[byte_of_char(rest, chars)..];
        chars
    };
    for d in delta {
        match d {
            Change::Retain(n) => {
                skip(&mut rest, *n);
            }
            Change::Delete(n) => changed += skip(&mut rest, *n),
            Change::Insert(s) => changed += s.chars().count(),
        }
    }
    changed
}

pub fn new_edit(agent: &Doc, range: std::ops::Range<usize>, lookahead: usize) -> LiveEdit {
    let s = EditSettings {
        diff_lookahead_chars: lookahead,
        ..EditSettings::default()
    };
    LiveEdit::begin(agent, PATH, range, AI)
        .unwrap()
        .with_settings(&s)
}
