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

/// What the editor was sent and has not answered yet: at most one at a time.
#[derive(Debug)]
struct Pending {
    base: u64,
    /// The text the editor has once it applies it.
    text: String,
    /// A whole-text replacement, which the editor applies whatever its counter (a remote edit
    /// it applies only on `base`).
    resync: bool,
}

#[derive(Debug)]
pub struct Buffer {
    units: Units,
    text: String,
    tick: u64,
    pending: Option<Pending>,
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

    /// A buffer the editor is about to fill with `text` (sent in `opened` on counter 0, which no
    /// editor uses): it counts as a resync until the editor answers `applied` with its counter.
    pub fn opening(units: Units, text: &str) -> Buffer {
        Buffer {
            units,
            text: text.to_owned(),
            tick: 0,
            pending: Some(Pending {
                base: 0,
                text: text.to_owned(),
                resync: true,
            }),
        }
    }

    pub fn units(&self) -> Units {
        self.units
    }

    /// Whether something sent to the editor awaits its `applied`.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Replaces the editor's text with `room` whatever it holds now (the fallback when the
    /// copies disagree); returns the `base` to send with it.
    pub fn resync(&mut self, room: &str) -> u64 {
        self.pending = Some(Pending {
            base: self.tick,
            text: room.to_owned(),
            resync: true,
        });
        self.tick
    }

    /// Offset `offset` (editor unit, on the editor's text) as a byte offset into `room`.
    pub fn to_room(&self, room: &str, offset: usize) -> Option<usize> {
        let byte = self.units.to_byte(&self.text, offset)?;
        if self.text == room {
            return Some(byte);
        }
        Some(map_left(&segments(&self.text, room), byte, room.len()))
    }

    /// Byte offset `byte` of `room` in the editor's unit on the editor's text.
    pub fn from_room(&self, room: &str, byte: usize) -> Option<usize> {
        if !room.is_char_boundary(byte) {
            return None;
        }
        let mapped = if self.text == room {
            byte
        } else {
            map_left(&segments(room, &self.text), byte, self.text.len())
        };
        Some(self.units.from_byte(&self.text, mapped))
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
        // A remote edit in flight was refused (the person's counter moved first); a resync is
        // applied whatever the counter, so it stays awaited.
        if self.pending.as_ref().is_some_and(|p| !p.resync) {
            self.pending = None;
        }
        Ok(out)
    }

    /// The changes that bring the buffer to `room`, on the current counter; `None` when it
    /// already matches or when something sent earlier is still unanswered (one at a time, so
    /// an answer always names what the editor really has). Until `applied`, the buffer stays
    /// as the editor has it.
    pub fn remote(&mut self, room: &str) -> Option<RemoteEdit> {
        if self.text == room || self.pending.is_some() {
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
        self.pending = Some(Pending {
            base: self.tick,
            text: room.to_owned(),
            resync: false,
        });
        Some(RemoteEdit {
            base: self.tick,
            changes,
        })
    }

    /// The editor applied the remote edit (or resync) sent on `base`, which left its counter
    /// at `tick`. Returns false for an answer to something no longer pending.
    pub fn applied(&mut self, base: u64, tick: u64) -> bool {
        match self.pending.take() {
            Some(p) if p.base == base && (p.resync || self.tick == base) => {
                self.text = p.text;
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
