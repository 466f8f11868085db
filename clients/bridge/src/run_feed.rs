//! Runs for the editor: every run in the room (anyone's), its output as it is appended (stdout
//! and stderr apart, from the output text's `stderr` attribute) and its status as it changes.

use std::collections::HashMap;

use yrs::types::text::YChange;
use yrs::{Any, Array, GetString, Map, Out, ReadTxn, Text, Transact};

use protocol::schema;

use crate::wire::Event;

#[derive(Debug, Default)]
struct Seen {
    /// Bytes of output already sent.
    output: usize,
    status: String,
}

#[derive(Debug, Default)]
pub struct RunFeed {
    seen: HashMap<String, Seen>,
    primed: bool,
}

impl RunFeed {
    /// Output and status changes since the last call. Runs already finished when we joined are
    /// not replayed.
    pub fn poll(&mut self, doc: &yrs::Doc) -> Vec<Event> {
        let runs = schema::runs(doc);
        let txn = doc.transact();
        let mut out = Vec::new();
        let primed = std::mem::replace(&mut self.primed, true);
        for i in 0..runs.len(&txn) {
            let Some(Out::YMap(map)) = runs.get(&txn, i) else {
                continue;
            };
            let field = |k: &str| match map.get(&txn, k) {
                Some(Out::Any(Any::String(s))) => Some(s.to_string()),
                _ => None,
            };
            let number = |k: &str| match map.get(&txn, k) {
                Some(Out::Any(a)) => serde_json::to_value(&a).ok()?.as_f64(),
                _ => None,
            };
            let Some(id) = field("id") else { continue };
            let status = field("status").unwrap_or_else(|| "queued".into());
            let finished = !matches!(status.as_str(), "queued" | "running");
            let seen = self.seen.entry(id.clone()).or_insert_with(|| Seen {
                output: 0,
                status: String::new(),
            });
            if !primed && finished {
                // Skip history: remember it as fully reported.
                seen.status = status;
                seen.output = output_len(&txn, &map);
                continue;
            }
            if let Some(Out::YText(text)) = map.get(&txn, "output")
                // Output only grows at its end: nothing new while its length is what was sent
                // (a cheap check, as this runs on every change to the room).
                && text.len(&txn) as usize != seen.output
            {
                let mut at = 0usize;
                for d in text.diff(&txn, YChange::identity) {
                    let Out::Any(Any::String(s)) = &d.insert else {
                        continue;
                    };
                    let (start, end) = (at, at + s.len());
                    at = end;
                    if end <= seen.output {
                        continue;
                    }
                    let piece = &s[seen.output.saturating_sub(start)..];
                    let stderr = d
                        .attributes
                        .as_ref()
                        .is_some_and(|a| a.get("stderr") == Some(&Any::Bool(true)));
                    out.push(Event::RunOutput {
                        run: id.clone(),
                        text: piece.to_owned(),
                        stderr,
                    });
                    seen.output = end;
                }
            }
            if seen.status != status {
                seen.status = status.clone();
                out.push(Event::RunStatus {
                    run: id,
                    status,
                    exit_code: number("exit_code").map(|n| n as i64),
                    duration_ms: number("duration_ms").map(|n| n as u64),
                    requested_by: field("requested_by").unwrap_or_default(),
                    entry: field("entry").unwrap_or_default(),
                });
            }
        }
        out
    }
}

fn output_len<T: ReadTxn>(txn: &T, map: &yrs::MapRef) -> usize {
    match map.get(txn, "output") {
        Some(Out::YText(t)) => t.get_string(txn).len(),
        _ => 0,
    }
}
