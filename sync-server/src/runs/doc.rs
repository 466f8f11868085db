//! A run's entry in the room document (DESIGN §3): one `Y.Map` appended to `runs`, whose fields
//! follow the run and whose `output` `Y.Text` receives what the program writes, always at the end.
//! Only the room actor runs these (inside `Rooms::edit` / `Rooms::read` closures).

use std::collections::BTreeMap;

use protocol::schema;
use yrs::types::Attrs;
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Array, ArrayRef, Doc, GetString, Map, MapPrelim, MapRef, Out, ReadTxn, Text, TextPrelim,
    Transact, TransactionMut, WriteTxn,
};

pub const ID: &str = "id";
pub const LANG: &str = "lang";
pub const ENTRY: &str = "entry";
pub const REQUESTED_BY: &str = "requested_by";
pub const STATE_VECTOR: &str = "state_vector";
pub const STATUS: &str = "status";
pub const EXIT_CODE: &str = "exit_code";
pub const SIGNAL: &str = "signal";
pub const REASON: &str = "reason";
pub const MESSAGE: &str = "message";
pub const DURATION_MS: &str = "duration_ms";
pub const CPU_MS: &str = "cpu_ms";
pub const PEAK_MEMORY_BYTES: &str = "peak_memory_bytes";
pub const QUEUE_POSITION: &str = "queue_position";
pub const LIMITS: &str = "limits";
pub const TS: &str = "ts";
pub const STARTED_AT: &str = "started_at";
pub const FINISHED_AT: &str = "finished_at";
pub const OUTPUT: &str = "output";

/// Formatting attribute on the `output` text the program wrote to stderr, so a terminal view can
/// colour it; plain text is stdout.
pub const STDERR_ATTR: &str = "stderr";

/// `meta` keys a run falls back on when its request names no entry or language.
pub const META_ENTRY: &str = "entry";
pub const META_LANGUAGE: &str = "language";

/// What a run is started from, read in the same transaction that appends its entry.
pub struct Snapshot {
    pub files: BTreeMap<String, String>,
    pub meta_entry: Option<String>,
    pub meta_language: Option<String>,
    /// The document's v1-encoded state vector before the run's entry was added: which edits the
    /// run saw.
    pub state_vector: Vec<u8>,
}

pub fn snapshot(txn: &mut TransactionMut<'_>) -> Snapshot {
    let files = txn.get_or_insert_map(schema::FILES);
    let meta = txn.get_or_insert_map(schema::META);
    let files = files
        .iter(txn)
        .filter_map(|(path, v)| match v {
            Out::YText(t) => Some((path.to_owned(), t.get_string(txn))),
            _ => None,
        })
        .collect();
    let text = |key: &str| match meta.get(txn, key)? {
        Out::Any(Any::String(s)) => Some(s.to_string()),
        Out::YText(t) => Some(t.get_string(txn)),
        _ => None,
    };
    Snapshot {
        files,
        meta_entry: text(META_ENTRY).filter(|s| !s.is_empty()),
        meta_language: text(META_LANGUAGE).filter(|s| !s.is_empty()),
        state_vector: txn.state_vector().encode_v1(),
    }
}

/// A run entry as first written (status `queued`).
pub struct NewRun<'a> {
    pub id: &'a str,
    pub lang: &'a str,
    pub entry: &'a str,
    pub requested_by: &'a str,
    /// Base64 (standard alphabet) of `Snapshot::state_vector`.
    pub state_vector: &'a str,
    pub ts_ms: i64,
}

/// Appends the entry (with an empty `output`) to `runs`.
pub fn insert(txn: &mut TransactionMut<'_>, run: &NewRun<'_>) {
    let runs = txn.get_or_insert_array(schema::RUNS);
    let fields: [(&str, Any); 10] = [
        (ID, run.id.into()),
        (LANG, run.lang.into()),
        (ENTRY, run.entry.into()),
        (REQUESTED_BY, run.requested_by.into()),
        (STATE_VECTOR, run.state_vector.into()),
        (STATUS, "queued".into()),
        (EXIT_CODE, Any::Null),
        (DURATION_MS, Any::Null),
        (TS, number(run.ts_ms)),
        (MESSAGE, "".into()),
    ];
    let map = runs.push_back(txn, MapPrelim::from(fields));
    map.insert(txn, OUTPUT, TextPrelim::new(""));
}

/// An integer field (yrs writes safe integers in Yjs's integer encoding, which JS clients read
/// as a plain number).
pub fn number(n: impl TryInto<i64>) -> Any {
    Any::from(n.try_into().unwrap_or(i64::MAX))
}

/// Which stream a piece of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Changes to one run entry, applied in one transaction: output to append, fields to set.
#[derive(Debug, Default)]
pub struct Patch {
    /// Consecutive pieces of one stream are merged, so a batch is a few inserts.
    output: Vec<(Stream, String)>,
    output_bytes: usize,
    /// `None` removes the key.
    fields: Vec<(&'static str, Option<Any>)>,
}

impl Patch {
    pub fn is_empty(&self) -> bool {
        self.output.is_empty() && self.fields.is_empty()
    }

    pub fn output_bytes(&self) -> usize {
        self.output_bytes
    }

    pub fn output(&mut self, stream: Stream, text: &str) {
        if text.is_empty() {
            return;
        }
        self.output_bytes += text.len();
        match self.output.last_mut() {
            Some((s, last)) if *s == stream => last.push_str(text),
            _ => self.output.push((stream, text.to_owned())),
        }
    }

    pub fn set(&mut self, key: &'static str, value: impl Into<Any>) {
        self.fields.push((key, Some(value.into())));
    }

    pub fn remove(&mut self, key: &'static str) {
        self.fields.push((key, None));
    }
}

/// Applies `patch` to the run `id`; false if the document has no such run (a client removed it).
pub fn apply(txn: &mut TransactionMut<'_>, id: &str, patch: &Patch) -> bool {
    let runs = txn.get_or_insert_array(schema::RUNS);
    let Some(run) = find(txn, &runs, id) else {
        return false;
    };
    if !patch.output.is_empty() {
        let output = match run.get(txn, OUTPUT) {
            Some(Out::YText(t)) => t,
            _ => run.insert(txn, OUTPUT, TextPrelim::new("")),
        };
        for (stream, text) in &patch.output {
            // Explicit attributes every time: text inserted without them would take the
            // formatting of the text before it.
            let value = match stream {
                Stream::Stderr => Any::Bool(true),
                Stream::Stdout => Any::Null,
            };
            let attrs = Attrs::from([(STDERR_ATTR.into(), value)]);
            let end = output.len(txn);
            output.insert_with_attributes(txn, end, text, attrs);
        }
    }
    for (key, value) in &patch.fields {
        match value {
            Some(v) => {
                run.insert(txn, *key, v.clone());
            }
            None => {
                run.remove(txn, key);
            }
        }
    }
    true
}

/// The run `id` in `runs` (the newest one, should a client have copied an entry).
fn find<T: ReadTxn>(txn: &T, runs: &ArrayRef, id: &str) -> Option<MapRef> {
    runs.iter(txn)
        .filter_map(|v| match v {
            Out::YMap(m) => Some(m),
            _ => None,
        })
        .filter(|m| matches!(m.get(txn, ID), Some(Out::Any(Any::String(s))) if &*s == id))
        .last()
}

/// Whether the document has a run `id`.
pub fn exists(doc: &Doc, id: &str) -> bool {
    let runs = schema::runs(doc);
    let txn = doc.transact();
    find(&txn, &runs, id).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::types::text::{Diff, YChange};

    fn new_run(doc: &Doc, id: &str) {
        let mut txn = doc.transact_mut();
        let snap = snapshot(&mut txn);
        assert!(snap.files.is_empty());
        insert(
            &mut txn,
            &NewRun {
                id,
                lang: "auto",
                entry: "main.py",
                requested_by: "ada",
                state_vector: "AA==",
                ts_ms: 1_700_000_000_000,
            },
        );
    }

    #[test]
    fn output_is_appended_with_stderr_marked_and_fields_follow() {
        let doc = Doc::new();
        new_run(&doc, "r1");
        new_run(&doc, "r2");
        let mut p = Patch::default();
        p.output(Stream::Stdout, "out 1\n");
        p.output(Stream::Stdout, "out 2\n");
        p.output(Stream::Stderr, "err\n");
        p.output(Stream::Stdout, "out 3\n");
        p.set(STATUS, "running");
        p.set(QUEUE_POSITION, number(2));
        p.remove(QUEUE_POSITION);
        assert_eq!(p.output_bytes(), 22);
        assert!(apply(&mut doc.transact_mut(), "r1", &p));
        assert!(!apply(&mut doc.transact_mut(), "nope", &p));

        let json = schema::export_json(&doc);
        let r1 = &json["runs"][0];
        assert_eq!(r1["output"], "out 1\nout 2\nerr\nout 3\n");
        assert_eq!(r1["status"], "running");
        assert_eq!(r1["entry"], "main.py");
        assert_eq!(r1["ts"], 1_700_000_000_000.0);
        assert!(r1.get(QUEUE_POSITION).is_none());
        assert_eq!(json["runs"][1]["output"], "", "the other run is untouched");
        assert!(exists(&doc, "r2") && !exists(&doc, "r3"));

        // Only the stderr piece carries the attribute.
        let runs = schema::runs(&doc);
        let txn = doc.transact();
        let run = find(&txn, &runs, "r1").unwrap();
        let Some(Out::YText(output)) = run.get(&txn, OUTPUT) else {
            panic!("output is a Y.Text")
        };
        let chunks: Vec<Diff<YChange>> = output.diff(&txn, YChange::identity);
        let marked: Vec<(String, bool)> = chunks
            .iter()
            .map(|d| {
                let Out::Any(Any::String(s)) = &d.insert else {
                    panic!("text")
                };
                // Plain text carries no attributes at all (not even `stderr: null`).
                let stderr = match d.attributes.as_deref() {
                    None => false,
                    Some(a) if a.len() == 1 && a.get(STDERR_ATTR) == Some(&Any::Bool(true)) => true,
                    Some(other) => panic!("unexpected attributes {other:?}"),
                };
                (s.to_string(), stderr)
            })
            .collect();
        assert_eq!(
            marked,
            [
                ("out 1\nout 2\n".to_string(), false),
                ("err\n".to_string(), true),
                ("out 3\n".to_string(), false),
            ]
        );
    }

    #[test]
    fn snapshot_reads_files_meta_and_the_state_vector() {
        let doc = Doc::new();
        {
            let mut txn = doc.transact_mut();
            schema::write_file(&mut txn, "main.py", "print(1)");
            let meta = txn.get_or_insert_map(schema::META);
            meta.insert(&mut txn, META_ENTRY, "main.py");
        }
        let before = doc.transact().state_vector().encode_v1();
        let snap = snapshot(&mut doc.transact_mut());
        assert_eq!(snap.files["main.py"], "print(1)");
        assert_eq!(snap.meta_entry.as_deref(), Some("main.py"));
        assert_eq!(snap.meta_language, None);
        assert_eq!(snap.state_vector, before);
    }
}
