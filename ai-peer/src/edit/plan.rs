//! The streaming diff behind a live edit: turns `old` and the part of `new` that has arrived
//! into a queue of settled character operations, and hands them out within a budget.
//!
//! The diff of `old` against a *prefix* of `new` is unstable near the prefix's end (the rest of
//! `new` may still match `old` differently), so while input is open only operations ending at
//! least `lookahead` chars before the end of the arrival are settled. The rest is diffed again,
//! from the settled point on, when more text comes. Whatever is settled, applying the queue and
//! then diffing the remaining `old` against the remaining `new` always yields exactly `new`.

mod align;
mod refine;

use std::collections::VecDeque;
use std::ops::Range;
use std::time::{Duration, Instant};

use similar::DiffTag;

use super::units::char_to_byte;
use align::{Numbered, OldLines};

/// Time allowed to one re-diff; past it `similar` returns a coarser (still correct) diff.
const DIFF_DEADLINE: Duration = Duration::from_millis(30);
/// While input is open, the tail hunk's old side is cut to about its new side plus this many
/// chars before the char diff: the model is most likely rewriting the lines in front of it.
const TAIL_SLACK: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Keep,
    Insert,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Op {
    tag: Tag,
    /// Length in `old` (Keep, Delete) or `new` (Insert).
    bytes: usize,
    chars: usize,
}

/// One applied piece: byte ranges of `old` (Keep, Delete) or `new` (Insert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    pub(crate) tag: Tag,
    pub(crate) range: Range<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    old: String,
    old_lines: OldLines,
    new: String,
    finished: bool,
    lookahead: usize,
    /// Byte positions in (old, new) up to which operations are queued.
    planned: (usize, usize),
    /// Byte positions in (old, new) up to which operations were handed out.
    applied: (usize, usize),
    queue: VecDeque<Op>,
}

impl Plan {
    pub(crate) fn new(old: String, lookahead: usize) -> Self {
        Self {
            old_lines: OldLines::new(&old),
            old,
            new: String::new(),
            finished: false,
            lookahead,
            planned: (0, 0),
            applied: (0, 0),
            queue: VecDeque::new(),
        }
    }

    /// Applies from the next arrival on.
    pub(crate) fn set_lookahead(&mut self, chars: usize) {
        self.lookahead = chars;
    }

    pub(crate) fn old(&self) -> &str {
        &self.old
    }

    pub(crate) fn new_text(&self) -> &str {
        &self.new
    }

    /// Byte positions in (old, new) of what has been handed out: the range holds
    /// `new[..applied.1] + old[applied.0..]`.
    pub(crate) fn applied(&self) -> (usize, usize) {
        self.applied
    }

    pub(crate) fn push(&mut self, chunk: &str) {
        if self.finished || chunk.is_empty() {
            return;
        }
        self.new.push_str(chunk);
        self.replan();
    }

    pub(crate) fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.replan();
        }
    }

    /// Chars of change (inserted + deleted) settled and not yet handed out.
    pub(crate) fn pending(&self) -> usize {
        self.queue
            .iter()
            .filter(|op| op.tag != Tag::Keep)
            .map(|op| op.chars)
            .sum()
    }

    /// Input finished and every operation handed out.
    pub(crate) fn is_complete(&self) -> bool {
        self.finished && self.queue.is_empty() && self.applied == (self.old.len(), self.new.len())
    }

    /// The next piece: a whole Keep (free), or up to `budget` (> 0) chars of an Insert or
    /// Delete. None when the queue is empty or the next change needs budget there is not.
    pub(crate) fn next_piece(&mut self, budget: usize) -> Option<Piece> {
        let op = self.queue.front_mut()?;
        let (src, at) = match op.tag {
            Tag::Insert => (&self.new, self.applied.1),
            Tag::Keep | Tag::Delete => (&self.old, self.applied.0),
        };
        let (bytes, chars) = if op.tag == Tag::Keep || op.chars <= budget {
            (op.bytes, op.chars)
        } else if budget == 0 {
            return None;
        } else {
            (char_to_byte(&src[at..], budget), budget)
        };
        let tag = op.tag;
        op.bytes -= bytes;
        op.chars -= chars;
        if op.chars == 0 {
            self.queue.pop_front();
        }
        let range = at..at + bytes;
        match tag {
            Tag::Keep => {
                self.applied.0 += bytes;
                self.applied.1 += bytes;
            }
            Tag::Insert => self.applied.1 += bytes,
            Tag::Delete => self.applied.0 += bytes,
        }
        Some(Piece { tag, range })
    }

    /// Settles what can be settled of the diff from the planned point on.
    fn replan(&mut self) {
        let old_rest = &self.old[self.planned.0..];
        let new_rest = &self.new[self.planned.1..];
        let limit = if self.finished {
            new_rest.len()
        } else {
            let arrived = new_rest.chars().count();
            if arrived <= self.lookahead {
                return;
            }
            char_to_byte(new_rest, arrived - self.lookahead)
        };
        let mid_line = |s: &str, at: usize| at > 0 && !s[..at].ends_with('\n');
        let mid_line = mid_line(&self.old, self.planned.0) && mid_line(&self.new, self.planned.1);
        let (ol, nl) = self.old_lines.numbered(&self.old, self.planned.0, new_rest);
        let ops = diff((&ol, &nl), old_rest, new_rest, !self.finished, mid_line);
        let mut p = 0;
        for op in ops {
            let take = match op.tag {
                Tag::Delete if p < limit || self.finished => op,
                Tag::Delete => break,
                _ if p + op.bytes <= limit => op,
                _ if p < limit => {
                    let part = &new_rest[p..limit];
                    Op {
                        tag: op.tag,
                        bytes: part.len(),
                        chars: part.chars().count(),
                    }
                }
                _ => break,
            };
            match take.tag {
                Tag::Keep => {
                    self.planned.0 += take.bytes;
                    self.planned.1 += take.bytes;
                    p += take.bytes;
                }
                Tag::Insert => {
                    self.planned.1 += take.bytes;
                    p += take.bytes;
                }
                Tag::Delete => self.planned.0 += take.bytes,
            }
            push_op(&mut self.queue, take);
            if take != op {
                break;
            }
        }
    }
}

fn push_op(queue: &mut VecDeque<Op>, op: Op) {
    if op.bytes == 0 {
        return;
    }
    match queue.back_mut() {
        Some(last) if last.tag == op.tag => {
            last.bytes += op.bytes;
            last.chars += op.chars;
        }
        _ => queue.push_back(op),
    }
}

/// A character-level edit script from `old` to `new`: a line alignment first (cheap, and it
/// aligns text across large deletions), each replaced hunk refined by a char diff. Changes
/// between two Keeps are ordered inserts first, so the range is not emptied on the way.
fn diff(
    lines: (&Numbered, &Numbered),
    old: &str,
    new: &str,
    open: bool,
    mid_line: bool,
) -> Vec<Op> {
    let deadline = Instant::now() + DIFF_DEADLINE;
    let (ol, nl) = lines;
    let mut out = Vec::new();
    for (tag, o, n) in align::hunks(&ol.ids, &nl.ids, deadline) {
        let old_part = &old[ol.bounds[o.start]..ol.bounds[o.end]];
        let new_part = &new[nl.bounds[n.start]..nl.bounds[n.end]];
        match tag {
            DiffTag::Equal => out.push(op_of(Tag::Keep, old_part)),
            DiffTag::Delete => out.push(op_of(Tag::Delete, old_part)),
            DiffTag::Insert => out.push(op_of(Tag::Insert, new_part)),
            DiffTag::Replace => {
                let tail_hunk = open && n.end == nl.ids.len();
                let (head, tail) = if tail_hunk {
                    refine::split_tail(old_part, new_part.chars().count() + TAIL_SLACK)
                } else {
                    (old_part, "")
                };
                let pair_first = mid_line && o.start == 0 && n.start == 0;
                refine::hunk(head, new_part, tail_hunk, pair_first, deadline, &mut out);
                out.push(op_of(Tag::Delete, tail));
            }
        }
    }
    normalize(out)
}

fn op_of(tag: Tag, s: &str) -> Op {
    Op {
        tag,
        bytes: s.len(),
        chars: s.chars().count(),
    }
}

/// Merges neighbours of one kind; each run of changes becomes one insert then one delete.
fn normalize(ops: Vec<Op>) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::new();
    let mut ins = op_of(Tag::Insert, "");
    let mut del = op_of(Tag::Delete, "");
    let flush = |out: &mut Vec<Op>, ins: &mut Op, del: &mut Op| {
        for op in [*ins, *del] {
            if op.bytes > 0 {
                out.push(op);
            }
        }
        *ins = op_of(Tag::Insert, "");
        *del = op_of(Tag::Delete, "");
    };
    for op in ops.into_iter().filter(|op| op.bytes > 0) {
        match op.tag {
            Tag::Insert => {
                ins.bytes += op.bytes;
                ins.chars += op.chars;
            }
            Tag::Delete => {
                del.bytes += op.bytes;
                del.chars += op.chars;
            }
            Tag::Keep => {
                flush(&mut out, &mut ins, &mut del);
                match out.last_mut() {
                    Some(last) if last.tag == Tag::Keep => {
                        last.bytes += op.bytes;
                        last.chars += op.chars;
                    }
                    _ => out.push(op),
                }
            }
        }
    }
    flush(&mut out, &mut ins, &mut del);
    out
}

#[cfg(test)]
mod tests;
