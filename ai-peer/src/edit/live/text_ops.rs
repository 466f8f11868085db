//! The two writes below the streaming: pinning a range with sticky indexes, and rewriting a
//! piece of text by a minimal char diff (for rollback).

use std::time::{Duration, Instant};

use similar::{Algorithm, DiffTag, capture_diff_slices_deadline};
use yrs::{
    Assoc, IndexedSequence, OffsetKind, ReadTxn, StickyIndex, Text, TextRef, TransactionMut,
};

use crate::edit::units;

/// Sticky indexes for `[start, end)` in a text of `len` units (see the module docs).
pub(super) fn pin<T: ReadTxn>(
    txn: &T,
    text: &TextRef,
    start: u32,
    end: u32,
    len: u32,
) -> Option<(StickyIndex, StickyIndex)> {
    if start < end {
        return Some((
            text.sticky_index(txn, start, Assoc::After)?,
            text.sticky_index(txn, end, Assoc::Before)?,
        ));
    }
    let before = text.sticky_index(txn, start, Assoc::Before)?;
    // `sticky_index` cannot stick after the last character; the end of the type can.
    let after = if start < len {
        text.sticky_index(txn, start, Assoc::After)?
    } else {
        StickyIndex::from_type(txn, text, Assoc::After)
    };
    Some((before, after))
}

/// Turns `from` (at `at`) into `to` by a minimal char diff; returns the file's new length.
pub(super) fn replace_minimal(
    txn: &mut TransactionMut<'_>,
    text: &TextRef,
    at: u32,
    from: &str,
    to: &str,
    kind: OffsetKind,
    mut len: u32,
) -> u32 {
    let (fc, tc): (Vec<char>, Vec<char>) = (from.chars().collect(), to.chars().collect());
    let piece = |cs: &[char]| cs.iter().collect::<String>();
    let mut pos = at;
    let deadline = Instant::now() + Duration::from_millis(50);
    for op in capture_diff_slices_deadline(Algorithm::Myers, &fc, &tc, Some(deadline)) {
        let (tag, o, n) = op.as_tag_tuple();
        let removed = units::len(&piece(&fc[o]), kind);
        match tag {
            DiffTag::Equal => pos += removed,
            DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                if removed > 0 {
                    text.remove_range(txn, pos, removed);
                    len -= removed;
                }
                let inserted = piece(&tc[n]);
                if !inserted.is_empty() {
                    text.insert(txn, pos, &inserted);
                    let u = units::len(&inserted, kind);
                    pos += u;
                    len += u;
                }
            }
        }
    }
    len
}
