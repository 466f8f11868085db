//! The editor's buffer as the bridge knows it (sans-IO). Local edits arrive in the editor's
//! offsets against that buffer, which may lag the room (remote text not yet shown, or refused
//! because the person typed meanwhile); `local` rebases them onto the room's text without
//! touching remote text. `remote` derives what the editor still lacks, on the buffer's current
//! change counter, so the editor applies it only if nothing moved in between.

use std::ops::Range;

use similar::{Algorithm, DiffTag, TextDiff};

use crate::Units;

/// One change in the editor's unit, against the text before it; a list applies in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub from: usize,
    pub to: usize,
    pub text: String,
}

/// A change to the room's text in bytes: delete `delete` then insert `insert` at its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteChange {
    pub delete: Range<usize>,
    pub insert: String,
}

/// What the editor lacks, computed on the buffer at counter `base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEdit {
    pub base: u64,
    pub changes: Vec<Change>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BufferError {
    #[error("range {from}..{to} does not fit the buffer (length {len})")]
    BadRange { from: usize, to: usize, len: usize },
}

#[derive(Debug)]
pub struct Buffer {
    units: Units,
    text: String,
    tick: u64,
    /// A remote edit sent on `base`, and the text it leads to.
    pending: Option<(u64, String)>,
}

impl Buffer {
    pub fn new(units: Units, text: &str, tick: u64) -> Buffer {
        Buffer {
            units,
            text: text.to_owned(),
            tick,
            pending: None,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// The person's edit (`changes`, made on this buffer, leaving the counter at `tick`),
    /// applied here and returned as byte changes to apply in order to `room`, the room's text.
    /// A remote edit still pending was refused by the editor (its counter moved on).
    pub fn local(
        &mut self,
        room: &str,
        tick: u64,
        changes: &[Change],
    ) -> Result<Vec<ByteChange>, BufferError> {
        let mut room = room.to_owned();
        let mut text = self.text.clone();
        let mut out = Vec::new();
        for c in changes {
            let bad = || BufferError::BadRange {
                from: c.from,
                to: c.to,
                len: self.units.len(&text),
            };
            let from = self.units.to_byte(&text, c.from).ok_or_else(bad)?;
            let to = self.units.to_byte(&text, c.to).ok_or_else(bad)?;
            if to < from {
                return Err(bad());
            }
            for bc in rebase(&text, &room, from..to, &c.text) {
                room.replace_range(bc.delete.clone(), &bc.insert);
                out.push(bc);
            }
            text.replace_range(from..to, &c.text);
        }
        self.text = text;
        self.tick = tick;
        self.pending = None;
        Ok(out)
    }

    /// The changes that bring the buffer to `room`, on the current counter; `None` when it
    /// already matches. Until `applied`, the buffer stays as the editor has it.
    pub fn remote(&mut self, room: &str) -> Option<RemoteEdit> {
        if self.text == room {
            self.pending = None;
            return None;
        }
        let mut changes = Vec::new();
        for s in segments(&self.text, room).into_iter().rev() {
            if s.tag == DiffTag::Equal {
                continue;
            }
            changes.push(Change {
                from: self.units.from_byte(&self.text, s.old.start),
                to: self.units.from_byte(&self.text, s.old.end),
                text: room[s.new].to_owned(),
            });
        }
        self.pending = Some((self.tick, room.to_owned()));
        Some(RemoteEdit {
            base: self.tick,
            changes,
        })
    }

    /// The editor applied the remote edit sent on `base`, which left its counter at `tick`.
    /// Returns false for an answer to an edit that is no longer pending.
    pub fn applied(&mut self, base: u64, tick: u64) -> bool {
        match self.pending.take() {
            Some((b, text)) if b == base && self.tick == base => {
                self.text = text;
                self.tick = tick;
                true
            }
            other => {
                self.pending = other;
                false
            }
        }
    }
}

/// A diff run in byte ranges of the old and new text.
struct Segment {
    tag: DiffTag,
    old: Range<usize>,
    new: Range<usize>,
}

fn segments(old: &str, new: &str) -> Vec<Segment> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .diff_chars(old, new);
    let (olds, news) = (diff.old_slices(), diff.new_slices());
    let (mut o, mut n) = (0usize, 0usize);
    diff.ops()
        .iter()
        .map(|op| {
            let (tag, or, nr) = op.as_tag_tuple();
            let ol: usize = olds[or].iter().map(|s| s.len()).sum();
            let nl: usize = news[nr].iter().map(|s| s.len()).sum();
            let s = Segment {
                tag,
                old: o..o + ol,
                new: n..n + nl,
            };
            (o, n) = (o + ol, n + nl);
            s
        })
        .collect()
}

/// Where position `p` of `old` is in `new`: inside text both share, the same character; inside
/// or at text only one has, before the other's text there.
fn map_left(segs: &[Segment], p: usize, new_len: usize) -> usize {
    for s in segs {
        let inside = p >= s.old.start && p < s.old.end;
        let at_insert = s.old.is_empty() && p == s.old.start;
        if inside || at_insert {
            return match s.tag {
                DiffTag::Equal => s.new.start + (p - s.old.start),
                _ => s.new.start,
            };
        }
    }
    new_len
}

/// The buffer change `range` → `insert` on `buffer`, as changes to `room`: only text both share
/// is deleted (a remote insertion inside the range survives), and the insertion goes where
/// `range` starts.
fn rebase(buffer: &str, room: &str, range: Range<usize>, insert: &str) -> Vec<ByteChange> {
    if buffer == room {
        return vec![ByteChange {
            delete: range,
            insert: insert.to_owned(),
        }];
    }
    let segs = segments(buffer, room);
    let at = map_left(&segs, range.start, room.len());
    let mut deletes: Vec<Range<usize>> = segs
        .iter()
        .filter(|s| s.tag == DiffTag::Equal)
        .filter_map(|s| {
            let a = range.start.max(s.old.start);
            let b = range.end.min(s.old.end);
            (a < b).then(|| s.new.start + (a - s.old.start)..s.new.start + (b - s.old.start))
        })
        .collect();
    deletes.reverse();
    let mut out: Vec<ByteChange> = deletes
        .into_iter()
        .map(|d| ByteChange {
            delete: d,
            insert: String::new(),
        })
        .collect();
    if !insert.is_empty() {
        out.push(ByteChange {
            delete: at..at,
            insert: insert.to_owned(),
        });
    }
    out
}

#[cfg(test)]
mod tests;
