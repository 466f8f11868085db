//! Awareness, both ways: our cursor as the Yjs relative positions the web page and the AI peer
//! publish (`cursor: {file, anchor, head}`), and everyone else's carets, selections and Claude's
//! leased range resolved to byte offsets in the room's text.

use serde_json::{Value, json};
use yrs::branch::{Branch, BranchPtr};
use yrs::{
    Assoc, Doc, GetString, IndexedSequence, Map, Out, ReadTxn, StickyIndex, TextRef, Transact,
};

use protocol::schema;

use crate::wire::Person;

/// Someone's caret or selection in a file, in bytes of the room's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caret {
    pub client: u64,
    pub name: String,
    pub color: String,
    pub kind: String,
    pub file: String,
    pub anchor: usize,
    pub head: usize,
}

/// A range Claude holds while it edits, in bytes of the room's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRange {
    pub name: String,
    pub file: String,
    pub from: usize,
    pub to: usize,
}

/// What we publish: who we are and where our cursor is.
pub fn local_state(name: &str, color: &str, cursor: Option<Value>) -> Value {
    let mut state = json!({ "user": { "name": name, "color": color, "kind": "human" } });
    if let Some(c) = cursor {
        state["cursor"] = c;
    }
    state
}

/// Our cursor at bytes `anchor`/`head` of `path`, as relative positions.
pub fn cursor_json(doc: &Doc, path: &str, anchor: usize, head: usize) -> Option<Value> {
    let files = schema::files(doc);
    let txn = doc.transact();
    let text = schema::file_text(&txn, &files, path)?;
    let content = text.get_string(&txn);
    let len = content.len();
    // The offsets come from a read before this one: keep them on a character of this text.
    let boundary = |at: usize| {
        let mut at = at.min(len);
        while !content.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let pos = |at: usize| sticky(&txn, &text, boundary(at) as u32, len as u32);
    let (a, h) = (pos(anchor)?, pos(head)?);
    Some(json!({
        "file": path,
        "anchor": serde_json::to_value(a).ok()?,
        "head": serde_json::to_value(h).ok()?,
    }))
}

fn sticky<T: ReadTxn>(txn: &T, text: &TextRef, at: u32, len: u32) -> Option<StickyIndex> {
    if at < len {
        text.sticky_index(txn, at, Assoc::After)
    } else if len > 0 {
        text.sticky_index(txn, at, Assoc::Before)
    } else {
        Some(StickyIndex::from_type(txn, text, Assoc::After))
    }
}

/// A stable colour for a name (the web page's palette and hash).
pub fn color_for(name: &str) -> &'static str {
    const PALETTE: [&str; 8] = [
        "#f97316", "#22c55e", "#3b82f6", "#eab308", "#ec4899", "#14b8a6", "#a855f7", "#ef4444",
    ];
    let h = name
        .chars()
        .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(c as u32));
    PALETTE[h as usize % PALETTE.len()]
}

/// Everyone but `me` with a name, with their status and the file their cursor is in.
pub fn people(doc: &Doc, presence: &[(u64, Value)], me: u64) -> Vec<Person> {
    let carets = carets(doc, presence, me);
    let mut out: Vec<Person> = presence
        .iter()
        .filter(|(id, _)| *id != me)
        .filter_map(|(id, state)| {
            let user = &state["user"];
            let name = user["name"].as_str()?;
            Some(Person {
                client: *id,
                name: name.to_owned(),
                kind: kind_of(user),
                status: state["status"].as_str().map(str::to_owned),
                path: carets
                    .iter()
                    .find(|c| c.client == *id)
                    .map(|c| c.file.clone()),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.client.cmp(&b.client)));
    out
}

fn kind_of(user: &Value) -> String {
    if user["kind"] == "ai" { "ai" } else { "human" }.to_owned()
}

/// Every other client's caret, resolved in our replica (bytes of the file's text).
pub fn carets(doc: &Doc, presence: &[(u64, Value)], me: u64) -> Vec<Caret> {
    let files = schema::files(doc);
    let txn = doc.transact();
    let mut out = Vec::new();
    for (id, state) in presence {
        if *id == me {
            continue;
        }
        let user = &state["user"];
        let Some(name) = user["name"].as_str() else {
            continue;
        };
        let cursor = &state["cursor"];
        let resolve = |v: &Value| {
            let pos = serde_json::from_value::<StickyIndex>(v.clone()).ok()?;
            pos.get_offset(&txn)
        };
        let Some(head) = resolve(&cursor["head"]).or_else(|| resolve(&cursor["anchor"])) else {
            continue;
        };
        let anchor = resolve(&cursor["anchor"])
            .filter(|a| a.branch == head.branch)
            .map_or(head.index, |a| a.index);
        let file = files.iter(&txn).find_map(|(path, v)| match v {
            Out::YText(t) if BranchPtr::from(AsRef::<Branch>::as_ref(&t)) == head.branch => {
                Some(path.to_owned())
            }
            _ => None,
        });
        let Some(file) = file.or_else(|| cursor["file"].as_str().map(str::to_owned)) else {
            continue;
        };
        out.push(Caret {
            client: *id,
            name: name.to_owned(),
            color: user["color"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| color_for(name).to_owned()),
            kind: kind_of(user),
            file,
            anchor: anchor as usize,
            head: head.index as usize,
        });
    }
    out
}

/// Leased ranges still in force at `now_ms`, converted from the UTF-16 units the AI peer
/// publishes to bytes of the file's text.
pub fn leases(doc: &Doc, presence: &[(u64, Value)], me: u64, now_ms: f64) -> Vec<LeaseRange> {
    let mut out = Vec::new();
    for (id, state) in presence {
        let lease = &state["lease"];
        let (Some(file), Some(from), Some(to)) = (
            lease["file"].as_str(),
            lease["from"].as_u64(),
            lease["to"].as_u64(),
        ) else {
            continue;
        };
        if *id == me || lease["until"].as_f64().is_some_and(|u| u <= now_ms) {
            continue;
        }
        let Some(text) = schema::read_file(doc, file) else {
            continue;
        };
        let byte = |u: u64| crate::Units::Utf16.to_byte(&text, u as usize);
        let (Some(from), Some(to)) = (byte(from), byte(to)) else {
            continue;
        };
        out.push(LeaseRange {
            name: state["user"]["name"]
                .as_str()
                .unwrap_or("Claude")
                .to_owned(),
            file: file.to_owned(),
            from: from.min(to),
            to: to.max(from),
        });
    }
    out
}
