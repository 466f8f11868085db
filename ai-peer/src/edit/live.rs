//! A pinned edit streaming into a live `Y.Text`: the resolved range is held by two sticky
//! indexes, `new_str` goes in as small character diffs within a budget per step, and the edit
//! stops (reporting the fresh text) the moment someone else has changed the range.
//!
//! Pins: a non-empty range is held by its first character (start, `Assoc::After`) and its last
//! (end, `Assoc::Before`), so text typed just before or just after it stays outside. An empty
//! range is held by its neighbours instead (start after the character before it, end before
//! the character after it), so anything typed at that spot lands inside and is noticed. The
//! pins are re-made after every step from the known offsets, so they never rest on a character
//! the agent deleted.

use std::ops::Range;

use protocol::schema::{file_text, files};
use yrs::{
    Assoc, Doc, GetString, IndexedSequence, MapRef, OffsetKind, ReadTxn, StickyIndex, Text,
    TextRef, Transact, TransactionMut,
};

mod text_ops;

use super::EditSettings;
use super::plan::{Plan, Tag};
use super::units;
use crate::AiError;
use text_ops::{pin, replace_minimal};

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Characters changed (inserted + deleted).
    pub applied: usize,
    /// The input is finished and all of it is applied: the range holds `new_str`.
    pub done: bool,
}

/// Someone else changed the range: nothing was applied. `start_line`/`end_line` are the
/// 1-based lines of the file the range spans now (both 0 when the file itself is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The text between the pins now.
    pub fresh: String,
    pub start_line: u32,
    pub end_line: u32,
}

/// One `str_replace` being applied to a file of a live document.
#[derive(Debug)]
pub struct LiveEdit {
    path: String,
    origin: String,
    files: MapRef,
    text: TextRef,
    kind: OffsetKind,
    start: StickyIndex,
    end: StickyIndex,
    plan: Plan,
    /// Rolled back: the edit is over.
    over: bool,
}

impl LiveEdit {
    /// Pins `range` (byte offsets into the file's current text, as `resolve` returned them on
    /// that text) and remembers its text as `old`. Opens transactions on `doc`: call it
    /// without one open.
    pub fn begin(
        doc: &Doc,
        path: &str,
        range: Range<usize>,
        origin: &str,
    ) -> Result<Self, AiError> {
        let files = files(doc);
        let txn = doc.transact();
        let text =
            file_text(&txn, &files, path).ok_or_else(|| AiError::NoSuchFile(path.to_owned()))?;
        let s = text.get_string(&txn);
        let bad = || AiError::BadRange {
            path: path.to_owned(),
            start: range.start,
            end: range.end,
            len: s.len(),
        };
        let old = s.get(range.clone()).ok_or_else(bad)?.to_owned();
        let kind = doc.offset_kind();
        let at = units::len(&s[..range.start], kind);
        let (start, end) = pin(
            &txn,
            &text,
            at,
            at + units::len(&old, kind),
            units::len(&s, kind),
        )
        .ok_or_else(bad)?;
        drop(txn);
        Ok(Self {
            path: path.to_owned(),
            origin: origin.to_owned(),
            files,
            text,
            kind,
            start,
            end,
            plan: Plan::new(old, EditSettings::default().diff_lookahead_chars),
            over: false,
        })
    }

    /// Takes the diff lookahead from `s` (call before pushing text).
    pub fn with_settings(mut self, s: &EditSettings) -> Self {
        self.plan.set_lookahead(s.diff_lookahead_chars);
        self
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The range's text when the edit began.
    pub fn old_text(&self) -> &str {
        self.plan.old()
    }

    /// More of `new_str` arrived.
    pub fn push_new(&mut self, chunk: &str) {
        self.plan.push(chunk);
    }

    /// `new_str` is complete.
    pub fn finish_input(&mut self) {
        self.plan.finish();
    }

    /// Characters of change that could be applied now.
    pub fn pending(&self) -> usize {
        if self.over { 0 } else { self.plan.pending() }
    }

    /// Applies at most `budget` characters of change in one transaction with the edit's origin,
    /// after checking that the range holds exactly what the edit left there.
    pub fn step(&mut self, doc: &Doc, budget: usize) -> Result<Step, Conflict> {
        if self.over {
            return Ok(Step {
                applied: 0,
                done: true,
            });
        }
        if budget == 0 || self.plan.pending() == 0 {
            self.check(&doc.transact())?;
            // Only unchanged stretches (if anything) are due: they need no write.
            while self.plan.next_piece(0).is_some() {}
            return Ok(Step {
                applied: 0,
                done: self.plan.is_complete(),
            });
        }
        let mut txn = doc.transact_mut_with(self.origin.as_str());
        let (at, file_len) = self.check(&txn)?;
        let (_, done_new) = self.plan.applied();
        let mut pos = at + units::len(&self.plan.new_text()[..done_new], self.kind);
        let mut left = budget;
        let mut len = file_len;
        while let Some(piece) = self.plan.next_piece(left) {
            match piece.tag {
                Tag::Keep => pos += units::len(&self.plan.old()[piece.range], self.kind),
                Tag::Insert => {
                    let s = &self.plan.new_text()[piece.range];
                    self.text.insert(&mut txn, pos, s);
                    let u = units::len(s, self.kind);
                    pos += u;
                    len += u;
                    left -= s.chars().count();
                }
                Tag::Delete => {
                    let s = &self.plan.old()[piece.range];
                    let u = units::len(s, self.kind);
                    self.text.remove_range(&mut txn, pos, u);
                    len -= u;
                    left -= s.chars().count();
                }
            }
        }
        self.repin(&txn, at, len);
        Ok(Step {
            applied: budget - left,
            done: self.plan.is_complete(),
        })
    }

    /// Puts `old` back if the range still holds exactly what the edit wrote (one transaction,
    /// minimal diff, the edit's origin); false, touching nothing, if someone changed it. The
    /// edit is over afterwards.
    pub fn rollback(&mut self, doc: &Doc) -> bool {
        if self.over {
            return false;
        }
        let mut txn = doc.transact_mut_with(self.origin.as_str());
        let Ok((at, file_len)) = self.check(&txn) else {
            return false;
        };
        let (done_old, done_new) = self.plan.applied();
        let written = &self.plan.new_text()[..done_new];
        let restored = &self.plan.old()[..done_old];
        let len = replace_minimal(
            &mut txn, &self.text, at, written, restored, self.kind, file_len,
        );
        self.over = true;
        self.plan = Plan::new(self.plan.old().to_owned(), 0);
        self.repin(&txn, at, len);
        true
    }

    /// The pinned range's current offsets in UTF-16 code units (what JS Yjs clients count).
    pub fn range_utf16(&self, doc: &Doc) -> Option<(u32, u32)> {
        let txn = doc.transact();
        let a = self.start.get_offset(&txn)?.index;
        let b = self.end.get_offset(&txn)?.index.max(a);
        match self.kind {
            OffsetKind::Utf16 => Some((a, b)),
            OffsetKind::Bytes => {
                let s = self.text.get_string(&txn);
                let (a, b) = (
                    units::to_byte(&s, a, self.kind)?,
                    units::to_byte(&s, b, self.kind)?,
                );
                Some((units::utf16_len(&s[..a]), units::utf16_len(&s[..b])))
            }
        }
    }

    /// Where the agent is writing (after the last character it wrote, else at the range's
    /// start), for its presence cursor.
    pub fn cursor(&self, doc: &Doc) -> Option<StickyIndex> {
        let (_, done_new) = self.plan.applied();
        if done_new == 0 || self.over {
            return Some(self.start.clone());
        }
        let txn = doc.transact();
        let at = self.start.get_offset(&txn)?.index;
        let pos = at + units::len(&self.plan.new_text()[..done_new], self.kind);
        self.text.sticky_index(&txn, pos, Assoc::Before)
    }

    /// The range's start (doc units) and the file's length, if the range holds
    /// `new[..applied] + old[applied..]`.
    fn check<T: ReadTxn>(&self, txn: &T) -> Result<(u32, u32), Conflict> {
        let gone = || Conflict {
            fresh: String::new(),
            start_line: 0,
            end_line: 0,
        };
        if file_text(txn, &self.files, &self.path).as_ref() != Some(&self.text) {
            return Err(gone());
        }
        let s = self.text.get_string(txn);
        let (Some(a), Some(b)) = (self.start.get_offset(txn), self.end.get_offset(txn)) else {
            return Err(gone());
        };
        let (Some(ab), Some(bb)) = (
            units::to_byte(&s, a.index, self.kind),
            units::to_byte(&s, b.index, self.kind),
        ) else {
            return Err(gone());
        };
        let fresh = &s[ab..bb.max(ab)];
        let (done_old, done_new) = self.plan.applied();
        let (new, old) = (
            &self.plan.new_text()[..done_new],
            &self.plan.old()[done_old..],
        );
        if fresh.len() == new.len() + old.len() && fresh.starts_with(new) && fresh.ends_with(old) {
            return Ok((a.index, units::len(&s, self.kind)));
        }
        let start_line = units::line_of(&s, ab);
        Err(Conflict {
            fresh: fresh.to_owned(),
            start_line,
            end_line: units::last_line(start_line, fresh),
        })
    }

    /// Re-pins the range `[at, at + expected length)` after the edit's own changes.
    fn repin(&mut self, txn: &TransactionMut<'_>, at: u32, file_len: u32) {
        let (done_old, done_new) = self.plan.applied();
        let len = units::len(&self.plan.new_text()[..done_new], self.kind)
            + units::len(&self.plan.old()[done_old..], self.kind);
        if let Some((start, end)) = pin(txn, &self.text, at, at + len, file_len) {
            self.start = start;
            self.end = end;
        }
    }
}

#[cfg(test)]
mod tests;
