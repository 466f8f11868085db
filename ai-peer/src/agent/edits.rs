//! Streaming edit tool calls (`str_replace`, `create_file`) into the live files while the model is
//! still writing them: fields are picked out of the partial tool input, the target is resolved
//! against the live text and pinned, and the new text is applied in paced steps. Edits apply one
//! after another in the order the model wrote them.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::Value;
use yrs::{Doc, Transact};

use super::tools::{self, CREATE_FILE, Outcome, STR_REPLACE};
use crate::edit::{self, EditSettings, FieldEvent, InputStream, LiveEdit, TokenBucket, units};

/// An edit tool call being streamed.
struct Pending {
    index: usize,
    tool_id: String,
    create: bool,
    input: Option<InputStream>,
    path: Option<String>,
    old: Option<String>,
    path_done: bool,
    old_done: bool,
    /// `new_str` / `content` received before the edit could begin.
    early: String,
    line: Option<u32>,
    input_done: bool,
    live: Option<LiveEdit>,
    fuzzy: bool,
    /// Set once the edit has ended (the model gets it as the tool result).
    outcome: Option<Outcome>,
}

/// Where the turn's current edit is, for presence.
pub struct Progress {
    pub file: String,
    pub range_utf16: Option<(u32, u32)>,
    pub cursor: Option<yrs::StickyIndex>,
}

/// The turn's edit calls, in order.
pub struct Edits {
    queue: VecDeque<Pending>,
    done: Vec<(String, Outcome)>,
    bucket: TokenBucket,
    max_per_txn: usize,
    settings: EditSettings,
    origin: String,
    /// An edit ended because someone else changed its range (the router escalates the retry).
    pub failed: bool,
}

impl Edits {
    pub fn new(chars_per_sec: u32, max_per_txn: u32, origin: String) -> Edits {
        Edits {
            queue: VecDeque::new(),
            done: Vec::new(),
            bucket: TokenBucket::new(chars_per_sec.max(1), max_per_txn.max(1), Instant::now()),
            max_per_txn: max_per_txn.max(1) as usize,
            settings: EditSettings::default(),
            origin,
            failed: false,
        }
    }

    /// Whether `name` is a tool this module streams.
    pub fn streams(name: &str) -> bool {
        name == STR_REPLACE || name == CREATE_FILE
    }

    pub fn start(&mut self, index: usize, tool_id: &str, name: &str) {
        self.queue.push_back(Pending {
            index,
            tool_id: tool_id.to_owned(),
            create: name == CREATE_FILE,
            input: Some(InputStream::new()),
            path: None,
            old: None,
            path_done: false,
            old_done: false,
            early: String::new(),
            line: None,
            input_done: false,
            live: None,
            fuzzy: false,
            outcome: None,
        });
    }

    fn find(&mut self, index: usize) -> Option<&mut Pending> {
        self.queue.iter_mut().find(|p| p.index == index)
    }

    /// More of a tool call's input JSON.
    pub fn delta(&mut self, index: usize, partial_json: &str) {
        let Some(p) = self.find(index) else { return };
        let Some(input) = p.input.as_mut() else {
            return;
        };
        for event in input.push(partial_json) {
            match event {
                FieldEvent::Start { key } => p.field_chunk(&key, ""),
                FieldEvent::Chunk { key, text } => p.field_chunk(&key, &text),
                FieldEvent::End { key } if key == "path" => p.path_done = true,
                FieldEvent::End { key } if key == "old_str" => p.old_done = true,
                FieldEvent::End { .. } => {}
            }
        }
    }

    /// A tool call's input is complete: its full JSON, parsed.
    pub fn block_stop(&mut self, index: usize) -> Option<Value> {
        let p = self.find(index)?;
        let input = p.input.take()?.finish();
        p.input_done = true;
        let value = match input {
            Ok(v) => v,
            Err(e) => {
                p.outcome = Some(Outcome::error(format!(
                    "The tool input was not valid JSON: {e}"
                )));
                return Some(Value::Null);
            }
        };
        // Fields the scanner did not stream (numbers) or that came whole.
        p.line = value["line"].as_u64().map(|l| l as u32);
        if p.path.is_none() {
            p.path = value["path"].as_str().map(str::to_owned);
        }
        if p.old.is_none() {
            p.old = value["old_str"].as_str().map(str::to_owned);
        }
        if let Some(live) = p.live.as_mut() {
            live.finish_input();
        } else if p.outcome.is_none() && !p.ready_to_begin() {
            let needs = if p.create {
                "`path` and `content`"
            } else {
                "`path`, `old_str` and `new_str`"
            };
            p.outcome = Some(Outcome::error(format!("The edit needs {needs}.")));
        }
        Some(value)
    }

    /// Whether anything is left to apply or resolve.
    pub fn busy(&self) -> bool {
        !self.queue.is_empty()
    }

    /// When the head edit can take its next step (`None`: it waits for more input).
    pub fn next_wake(&self, now: Instant) -> Option<Instant> {
        let p = self.queue.front()?;
        if p.outcome.is_some() {
            // Ended: it leaves the queue once its input is complete too.
            return p.finished().then_some(now);
        }
        match &p.live {
            None => p.ready_to_begin().then_some(now),
            Some(live) => {
                let want = live.pending().min(self.max_per_txn);
                if want == 0 {
                    // Finished input with nothing pending still needs one step to report done.
                    return p.input_done.then_some(now);
                }
                Some(now + self.bucket.wait(want, now))
            }
        }
    }

    /// Does the head edit's next piece of work (begin, or one paced step).
    pub fn step(&mut self, doc: &Doc, now: Instant) {
        let Some(p) = self.queue.front_mut() else {
            return;
        };
        if p.outcome.is_none() && p.live.is_none() && p.ready_to_begin() {
            p.begin(doc, &self.settings, &self.origin);
        }
        if p.outcome.is_none()
            && let Some(live) = p.live.as_mut()
        {
            let want = live.pending().min(self.max_per_txn);
            let budget = if want == 0 {
                0
            } else {
                self.bucket.take(want, now)
            };
            if budget > 0 || (want == 0 && p.input_done) {
                match live.step(doc, budget) {
                    Ok(step) if step.done => {
                        p.outcome = Some(p.success(doc));
                    }
                    Ok(_) => {}
                    Err(conflict) => {
                        self.failed = true;
                        p.outcome = Some(Outcome::error(format!(
                            "Someone else edited {path} inside the range you were replacing (now lines {}-{}), so your edit stopped there; what you had written so far stays. That part of the file now reads:\n```\n{}\n```\nRead the file again and redo what is still needed.",
                            conflict.start_line,
                            conflict.end_line,
                            conflict.fresh,
                            path = p.path.as_deref().unwrap_or("the file"),
                        )));
                    }
                }
            }
        }
        if self.queue.front().is_some_and(Pending::finished) {
            let p = self.queue.pop_front().expect("front exists");
            self.done.push((p.tool_id, p.outcome.expect("checked")));
        }
    }

    /// Where the head edit is writing.
    pub fn progress(&self, doc: &Doc) -> Option<Progress> {
        let p = self.queue.front()?;
        let live = p.live.as_ref()?;
        Some(Progress {
            file: p.path.clone()?,
            range_utf16: live.range_utf16(doc),
            cursor: live.cursor(doc),
        })
    }

    /// Outcomes of the edits that ended, by tool id.
    pub fn take_outcomes(&mut self) -> Vec<(String, Outcome)> {
        std::mem::take(&mut self.done)
    }

    /// Stops every edit (the turn was stopped or the model's answer broke off): the one being
    /// applied is rolled back when nobody else touched its range, so no half-written edit stays.
    pub fn abort(&mut self, doc: &Doc, why: &str) {
        for mut p in self.queue.drain(..) {
            let note = match p.live.as_mut().map(|live| live.rollback(doc)) {
                Some(true) => " (its partial text was taken back)",
                Some(false) => " (someone else edited the range, so its partial text stays)",
                None => "",
            };
            self.done.push((
                p.tool_id,
                Outcome::error(format!("Edit not applied: {why}{note}.")),
            ));
        }
    }
}

impl Pending {
    fn finished(&self) -> bool {
        self.outcome.is_some() && (self.input_done || self.live.is_none())
    }

    fn field_chunk(&mut self, key: &str, text: &str) {
        match key {
            "path" => self.path.get_or_insert_with(String::new).push_str(text),
            "old_str" => self.old.get_or_insert_with(String::new).push_str(text),
            "new_str" | "content" => match self.live.as_mut() {
                Some(live) => live.push_new(text),
                None => self.early.push_str(text),
            },
            _ => {}
        }
    }

    /// The edit can begin once its target is known: a create needs the whole path, a replace
    /// the whole path and `old_str`.
    fn ready_to_begin(&self) -> bool {
        let path = self.path_done || (self.input_done && self.path.is_some());
        if self.create {
            return path;
        }
        path && (self.old_done || (self.input_done && self.old.is_some()))
    }

    fn begin(&mut self, doc: &Doc, settings: &EditSettings, origin: &str) {
        let path = self.path.clone().unwrap_or_default();
        if !protocol::schema::valid_file_path(&path) {
            self.outcome = Some(Outcome::error(format!(
                "{path:?} is not a valid file path."
            )));
            return;
        }
        let range = if self.create {
            if protocol::schema::read_file(doc, &path).is_some() {
                self.outcome = Some(Outcome::error(format!(
                    "{path} already exists; use str_replace to change it."
                )));
                return;
            }
            protocol::schema::write_file(&mut doc.transact_mut_with(origin), &path, "");
            0..0
        } else {
            let Some(text) = protocol::schema::read_file(doc, &path) else {
                self.outcome = Some(Outcome::error(tools::no_such_file(doc, &path)));
                return;
            };
            let old = self.old.clone().unwrap_or_default();
            match edit::resolve(&text, &old, self.line, settings) {
                Ok(r) => {
                    self.fuzzy = r.fuzzy;
                    r.range
                }
                Err(e) => {
                    self.outcome = Some(Outcome::error(e.message(&path)));
                    return;
                }
            }
        };
        match LiveEdit::begin(doc, &path, range, origin) {
            Ok(mut live) => {
                live.push_new(&std::mem::take(&mut self.early));
                if self.input_done {
                    live.finish_input();
                }
                self.live = Some(live);
            }
            Err(e) => self.outcome = Some(Outcome::error(format!("{path}: {e}"))),
        }
    }

    fn success(&self, doc: &Doc) -> Outcome {
        let path = self.path.as_deref().unwrap_or("");
        let lines = self
            .live
            .as_ref()
            .and_then(|l| l.range_utf16(doc))
            .and_then(|(from, to)| line_span(doc, path, from, to));
        let at = lines.map_or(String::new(), |(a, b)| format!(" (now lines {a}-{b})"));
        if self.create {
            Outcome::ok(format!("Created {path}{at}."))
        } else if self.fuzzy {
            Outcome::ok(format!(
                "Edited {path}{at}. Note: old_str did not match exactly; the closest text was replaced."
            ))
        } else {
            Outcome::ok(format!("Edited {path}{at}."))
        }
    }
}

/// 1-based lines spanned by UTF-16 offsets `from..to` of a file.
fn line_span(doc: &Doc, path: &str, from: u32, to: u32) -> Option<(u32, u32)> {
    let text = protocol::schema::read_file(doc, path)?;
    let line_at = |at: u32| {
        units::to_byte(&text, at, yrs::OffsetKind::Utf16).map(|b| units::line_of(&text, b))
    };
    Some((line_at(from)?, line_at(to.max(from))?))
}

/// How long to wait for `d` when it is zero-ish (tokio needs a future instant).
pub fn at_least(d: Duration) -> Duration {
    d.max(Duration::from_micros(100))
}

#[cfg(test)]
#[path = "edits_tests.rs"]
mod tests;
