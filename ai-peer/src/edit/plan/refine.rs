//! Character-level refinement of a replaced hunk of lines. Lines are first paired by
//! similarity (a rewritten line with the line it rewrites), then each pair is diffed by
//! characters; unpaired lines are inserted or deleted whole. Diffing the hunk as one string
//! instead lets a char diff match scattered letters across lines ("salad"), and while `new`
//! is a prefix it may even align `new` a line off, deleting text that was meant to stay.

use std::time::Instant;

use similar::{Algorithm, DiffTag, capture_diff_slices_deadline};

use super::{Op, Tag, op_of};
use crate::edit::distance::similarity;

/// Lines at least this similar are diffed against each other.
const PAIR_SIMILARITY: f32 = 0.5;
/// Hunks with more line pairs than this are diffed as one string.
const MAX_PAIRS: usize = 10_000;

/// `s` cut after the line reaching `chars` chars.
pub(super) fn split_tail(s: &str, chars: usize) -> (&str, &str) {
    let mut count = 0;
    for (i, c) in s.char_indices() {
        count += 1;
        if count >= chars && c == '\n' {
            return s.split_at(i + 1);
        }
    }
    (s, "")
}

/// Ops turning `old` into `new`. With `partial`, `new`'s last line may be unfinished: it is
/// compared with as much of an old line as it has. With `pair_first`, the first lines are the
/// rest of one line on both sides (the settled point is inside it) and are diffed together
/// however short they are.
pub(super) fn hunk(
    old: &str,
    new: &str,
    partial: bool,
    pair_first: bool,
    deadline: Instant,
    out: &mut Vec<Op>,
) {
    if pair_first && !old.is_empty() && !new.is_empty() {
        let (o, n) = (first_line(old), first_line(new));
        chars(o, n, deadline, out);
        return hunk(
            &old[o.len()..],
            &new[n.len()..],
            partial,
            false,
            deadline,
            out,
        );
    }
    let ol: Vec<&str> = old.split_inclusive('\n').collect();
    let nl: Vec<&str> = new.split_inclusive('\n').collect();
    if ol.len() * nl.len() > MAX_PAIRS || ol.len() * nl.len() <= 1 {
        chars(old, new, deadline, out);
        return;
    }
    let oc: Vec<Vec<char>> = ol.iter().map(|l| l.chars().collect()).collect();
    let nc: Vec<Vec<char>> = nl.iter().map(|l| l.chars().collect()).collect();
    let last_open = partial && !new.ends_with('\n');
    let sim = |i: usize, j: usize| {
        let (o, n) = (&oc[i], &nc[j]);
        if last_open && j == nc.len() - 1 {
            similarity(&o[..o.len().min(n.len())], n)
        } else {
            similarity(o, n)
        }
    };
    // best[i][j]: the best total similarity pairing old[i..] with new[j..].
    let (p, q) = (ol.len(), nl.len());
    let w = q + 1;
    let mut best = vec![0f32; (p + 1) * w];
    let mut paired = vec![false; p * q];
    for i in (0..p).rev() {
        for j in (0..q).rev() {
            let skip = best[(i + 1) * w + j].max(best[i * w + j + 1]);
            let s = sim(i, j);
            let pair = best[(i + 1) * w + j + 1] + s;
            if s >= PAIR_SIMILARITY && pair >= skip {
                best[i * w + j] = pair;
                paired[i * q + j] = true;
            } else {
                best[i * w + j] = skip;
            }
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < p || j < q {
        if i < p && j < q && paired[i * q + j] {
            chars(ol[i], nl[j], deadline, out);
            i += 1;
            j += 1;
        } else if j < q && (i == p || best[i * w + j + 1] >= best[(i + 1) * w + j]) {
            out.push(op_of(Tag::Insert, nl[j]));
            j += 1;
        } else {
            out.push(op_of(Tag::Delete, ol[i]));
            i += 1;
        }
    }
}

fn first_line(s: &str) -> &str {
    s.find('\n').map_or(s, |i| &s[..=i])
}

/// A char diff of `old` and `new`.
fn chars(old: &str, new: &str, deadline: Instant, out: &mut Vec<Op>) {
    let oc: Vec<char> = old.chars().collect();
    let nc: Vec<char> = new.chars().collect();
    let bytes = |cs: &[char]| cs.iter().map(|c| c.len_utf8()).sum::<usize>();
    for op in capture_diff_slices_deadline(Algorithm::Myers, &oc, &nc, Some(deadline)) {
        let (tag, o, n) = op.as_tag_tuple();
        let (ob, nb) = (&oc[o], &nc[n]);
        let old_op = |tag| Op {
            tag,
            bytes: bytes(ob),
            chars: ob.len(),
        };
        let new_op = Op {
            tag: Tag::Insert,
            bytes: bytes(nb),
            chars: nb.len(),
        };
        match tag {
            DiffTag::Equal => out.push(old_op(Tag::Keep)),
            DiffTag::Delete => out.push(old_op(Tag::Delete)),
            DiffTag::Insert => out.push(new_op),
            DiffTag::Replace => {
                out.push(new_op);
                out.push(old_op(Tag::Delete));
            }
        }
    }
}
