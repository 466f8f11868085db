//! The room document schema (DESIGN §3): typed accessors over the shared Yjs document.
//!
//! `files` is a `Y.Map<path, Y.Text>`, `chat` and `runs` are `Y.Array<Y.Map>`, `meta` a `Y.Map`.
//! Every Tandem participant goes through these accessors so the schema lives in one place.

use std::collections::BTreeMap;
use std::time::Duration;

use yrs::types::ToJson;
use yrs::{
    ArrayRef, Doc, GetString, Map, MapRef, OffsetKind, Out, ReadTxn, Text, TextPrelim, TextRef,
    Transact, TransactionMut, WriteTxn,
};

pub const FILES: &str = "files";
pub const CHAT: &str = "chat";
pub const RUNS: &str = "runs";
pub const META: &str = "meta";

/// Longest accepted file path, in bytes.
pub const MAX_PATH_LEN: usize = 512;

/// Above this much work a text diff gives up on minimality and replaces the differing middle.
const DIFF_DEADLINE: Duration = Duration::from_millis(200);

pub fn files(doc: &Doc) -> MapRef {
    doc.get_or_insert_map(FILES)
}
pub fn chat(doc: &Doc) -> ArrayRef {
    doc.get_or_insert_array(CHAT)
}
pub fn runs(doc: &Doc) -> ArrayRef {
    doc.get_or_insert_array(RUNS)
}
pub fn meta(doc: &Doc) -> MapRef {
    doc.get_or_insert_map(META)
}

/// A file path is relative, `/`-separated, without empty, `.` or `..` segments.
pub fn valid_file_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= MAX_PATH_LEN
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// The `Y.Text` of a file, if the path holds one.
pub fn file_text<T: ReadTxn>(txn: &T, files: &MapRef, path: &str) -> Option<TextRef> {
    match files.get(txn, path)? {
        Out::YText(text) => Some(text),
        _ => None,
    }
}

/// A file's contents.
pub fn read_file(doc: &Doc, path: &str) -> Option<String> {
    let files = files(doc);
    let txn = doc.transact();
    file_text(&txn, &files, path).map(|t| t.get_string(&txn))
}

/// Every file path, sorted.
pub fn list_files(doc: &Doc) -> Vec<String> {
    let files = files(doc);
    let txn = doc.transact();
    let mut paths: Vec<String> = files
        .iter(&txn)
        .filter(|(_, v)| matches!(v, Out::YText(_)))
        .map(|(k, _)| k.to_string())
        .collect();
    paths.sort();
    paths
}

/// What `write_file` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Created,
    Changed,
    Unchanged,
}

/// Sets a file's contents as a minimal character diff against what is there, so editors bound to
/// the text keep their cursors and concurrent edits elsewhere in the file survive.
pub fn write_file(txn: &mut TransactionMut<'_>, path: &str, contents: &str) -> WriteOutcome {
    let files = txn.get_or_insert_map(FILES);
    match file_text(txn, &files, path) {
        Some(text) => {
            let old = text.get_string(txn);
            if old == contents {
                return WriteOutcome::Unchanged;
            }
            let unit = txn.doc().offset_kind();
            apply_diff(txn, &text, &old, contents, unit);
            WriteOutcome::Changed
        }
        None => {
            files.insert(txn, path, TextPrelim::new(contents));
            WriteOutcome::Created
        }
    }
}

/// Removes a file; returns whether it existed.
pub fn delete_file(txn: &mut TransactionMut<'_>, path: &str) -> bool {
    let files = txn.get_or_insert_map(FILES);
    files.remove(txn, path).is_some()
}

/// Every file's contents, by path.
pub fn file_contents(doc: &Doc) -> BTreeMap<String, String> {
    let files = files(doc);
    let txn = doc.transact();
    files
        .iter(&txn)
        .filter_map(|(k, v)| match v {
            Out::YText(t) => Some((k.to_string(), t.get_string(&txn))),
            _ => None,
        })
        .collect()
}

/// What `replace_files` did, file by file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReplaceOutcome {
    pub created: Vec<String>,
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
}

/// Makes the files exactly `target` (restoring a version): each kept file changes by a minimal
/// diff, so editors keep their cursors in the parts that did not change.
pub fn replace_files(
    txn: &mut TransactionMut<'_>,
    target: &BTreeMap<String, String>,
) -> ReplaceOutcome {
    let files = txn.get_or_insert_map(FILES);
    let stale: Vec<String> = files
        .keys(txn)
        .filter(|k| !target.contains_key(*k))
        .map(str::to_owned)
        .collect();
    let mut out = ReplaceOutcome::default();
    for path in stale {
        files.remove(txn, &path);
        out.deleted.push(path);
    }
    for (path, text) in target {
        match write_file(txn, path, text) {
            WriteOutcome::Created => out.created.push(path.clone()),
            WriteOutcome::Changed => out.changed.push(path.clone()),
            WriteOutcome::Unchanged => {}
        }
    }
    out.deleted.sort();
    out
}

fn unit_len(s: &str, unit: OffsetKind) -> u32 {
    match unit {
        OffsetKind::Bytes => s.len() as u32,
        OffsetKind::Utf16 => s.encode_utf16().count() as u32,
    }
}

fn apply_diff(
    txn: &mut TransactionMut<'_>,
    text: &TextRef,
    old: &str,
    new: &str,
    unit: OffsetKind,
) {
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .timeout(DIFF_DEADLINE)
        .diff_chars(old, new);
    let (old_chars, new_chars) = (diff.old_slices(), diff.new_slices());
    let mut pos: u32 = 0;
    for op in diff.ops() {
        let (tag, o, n) = op.as_tag_tuple();
        let removed: u32 = old_chars[o].iter().map(|c| unit_len(c, unit)).sum();
        let inserted: String = new_chars[n].concat();
        match tag {
            similar::DiffTag::Equal => pos += removed,
            similar::DiffTag::Delete => text.remove_range(txn, pos, removed),
            similar::DiffTag::Insert | similar::DiffTag::Replace => {
                if tag == similar::DiffTag::Replace {
                    text.remove_range(txn, pos, removed);
                }
                text.insert(txn, pos, &inserted);
                pos += unit_len(&inserted, unit);
            }
        }
    }
}

/// The whole room as JSON: `{files: {path: text}, chat: [...], runs: [...], meta: {...}}`.
pub fn export_json(doc: &Doc) -> serde_json::Value {
    // Root refs first: creating one needs a write transaction, which a held read would block.
    let (files, chat, runs, meta) = (files(doc), chat(doc), runs(doc), meta(doc));
    let txn = doc.transact();
    let mut files_json = serde_json::Map::new();
    for (path, value) in files.iter(&txn) {
        if let Out::YText(text) = value {
            files_json.insert(path.to_string(), text.get_string(&txn).into());
        }
    }
    let any_json = |any: yrs::Any| serde_json::to_value(&any).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "files": files_json,
        "chat": any_json(chat.to_json(&txn)),
        "runs": any_json(runs.to_json(&txn)),
        "meta": any_json(meta.to_json(&txn)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{Options, StateVector, Update};

    fn edit_then_sync(base: &str, new: &str, unit: OffsetKind) {
        let doc = Doc::with_options(Options {
            offset_kind: unit,
            ..Options::default()
        });
        write_file(&mut doc.transact_mut(), "a.txt", base);
        let before = doc.transact().state_vector();
        let outcome = write_file(&mut doc.transact_mut(), "a.txt", new);
        assert_eq!(read_file(&doc, "a.txt").as_deref(), Some(new));
        if base != new {
            assert_eq!(outcome, WriteOutcome::Changed);
            // A minimal diff touches few blocks: the update is far smaller than the text.
            let update = doc.transact().encode_state_as_update_v1(&before);
            assert!(
                update.len() < 64 + new.len() / 2,
                "update of {} bytes",
                update.len()
            );
        }
        // And a replica that replays it ends up equal.
        let other = Doc::new();
        let full = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        other
            .transact_mut()
            .apply_update(Update::decode_v1(&full).unwrap())
            .unwrap();
        assert_eq!(read_file(&other, "a.txt").as_deref(), Some(new));
    }

    #[test]
    fn replace_files_makes_exactly_the_target() {
        let doc = Doc::new();
        {
            let mut txn = doc.transact_mut();
            write_file(&mut txn, "keep.py", "a\nb\nc\n");
            write_file(&mut txn, "same.txt", "same");
            write_file(&mut txn, "gone.md", "bye");
        }
        let target: BTreeMap<String, String> = [
            ("keep.py", "a\nB\nc\n"),
            ("same.txt", "same"),
            ("new.rs", "fn main() {}"),
        ]
        .into_iter()
        .map(|(p, t)| (p.to_owned(), t.to_owned()))
        .collect();
        let out = replace_files(&mut doc.transact_mut(), &target);
        assert_eq!(out.created, ["new.rs"]);
        assert_eq!(out.changed, ["keep.py"]);
        assert_eq!(out.deleted, ["gone.md"]);
        assert_eq!(file_contents(&doc), target);
        let again = replace_files(&mut doc.transact_mut(), &target);
        assert_eq!(again, ReplaceOutcome::default(), "nothing left to do");
    }

    #[test]
    fn write_file_applies_minimal_diffs_in_every_unit() {
        let long = "fn main() {\n    println!(\"hi\");\n}\n".repeat(20);
        let changed = long.replacen("hi", "héllo 🎉 世界", 1);
        for unit in [OffsetKind::Bytes, OffsetKind::Utf16] {
            edit_then_sync(&long, &changed, unit);
            edit_then_sync("🎉a世", "a🎉b世c", unit);
            edit_then_sync("same", "same", unit);
        }
    }

    #[test]
    fn paths_are_checked() {
        for ok in ["a", "src/main.rs", ".env", "a/b.c/d"] {
            assert!(valid_file_path(ok), "{ok}");
        }
        for bad in ["", "/abs", "a//b", "../x", "a/./b", "a\\b", "a/"] {
            assert!(!valid_file_path(bad), "{bad}");
        }
    }

    #[test]
    fn list_delete_and_export() {
        let doc = Doc::new();
        {
            let mut txn = doc.transact_mut();
            write_file(&mut txn, "b.py", "print(1)");
            write_file(&mut txn, "a.js", "1");
        }
        assert_eq!(list_files(&doc), vec!["a.js", "b.py"]);
        assert!(delete_file(&mut doc.transact_mut(), "a.js"));
        let json = export_json(&doc);
        assert_eq!(json["files"], serde_json::json!({"b.py": "print(1)"}));
        assert!(json["chat"].is_array());
    }
}
