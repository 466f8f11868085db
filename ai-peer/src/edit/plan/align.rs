//! Line alignment for the streaming diff: which lines of `old` and `new` stay, as hunks.
//!
//! A longest-common-subsequence table is `old × new` lines, and while input streams `new` is
//! only the few lines past the settled point, so it is cheap whatever the size of `old`.
//! Among equally long alignments it defers deleting old lines until a later match forces it:
//! lines `new` has not reached yet are not deleted on a guess.

use std::collections::HashMap;
use std::ops::Range;
use std::time::Instant;

use similar::{Algorithm, DiffTag, capture_diff_slices_deadline};

/// Above this many table cells, Myers' algorithm (with its deadline) is used instead.
const MAX_CELLS: usize = 4_000_000;

/// A run of lines: kept (`Equal`), or changed (`Delete`, `Insert`, `Replace`).
pub(super) type Hunk = (DiffTag, Range<usize>, Range<usize>);

/// `old`'s lines, split and numbered once (equal lines, equal numbers), so that each re-diff
/// costs little more than the table.
#[derive(Debug, Clone)]
pub(super) struct OldLines {
    /// Byte offset where each line starts, then the text's length.
    bounds: Vec<usize>,
    ids: Vec<u32>,
    numbers: HashMap<String, u32>,
}

/// Lines of some text: byte bounds (relative to its start, first 0, last its length) and numbers.
pub(super) struct Numbered {
    pub(super) bounds: Vec<usize>,
    pub(super) ids: Vec<u32>,
}

impl OldLines {
    pub(super) fn new(old: &str) -> Self {
        let mut numbers = HashMap::new();
        let mut bounds = vec![0];
        let mut ids = Vec::new();
        for line in old.split_inclusive('\n') {
            let next = numbers.len() as u32;
            ids.push(*numbers.entry(line.to_owned()).or_insert(next));
            bounds.push(bounds[bounds.len() - 1] + line.len());
        }
        Self {
            bounds,
            ids,
            numbers,
        }
    }

    /// The lines of `old[from..]` (the first may be the rest of a line) and of `new`.
    pub(super) fn numbered(&self, old: &str, from: usize, new: &str) -> (Numbered, Numbered) {
        // Lines `old` does not have (as whole lines); few, since `new` is short while streaming.
        let mut extra: HashMap<String, u32> = HashMap::new();
        let mut number = |line: &str| -> u32 {
            if let Some(&id) = self.numbers.get(line) {
                return id;
            }
            let next = (self.numbers.len() + extra.len()) as u32;
            *extra.entry(line.to_owned()).or_insert(next)
        };
        // The line holding `from`: bounds[k] <= from < bounds[k + 1].
        let k = self
            .bounds
            .partition_point(|&b| b <= from)
            .saturating_sub(1);
        let mut rest = Numbered {
            bounds: vec![0],
            ids: Vec::new(),
        };
        if from < old.len() {
            let first_end = self.bounds[k + 1];
            rest.ids.push(if self.bounds[k] == from {
                self.ids[k]
            } else {
                number(&old[from..first_end])
            });
            rest.bounds.push(first_end - from);
            for i in k + 1..self.ids.len() {
                rest.ids.push(self.ids[i]);
                rest.bounds.push(self.bounds[i + 1] - from);
            }
        }
        let mut fresh = Numbered {
            bounds: vec![0],
            ids: Vec::new(),
        };
        for line in new.split_inclusive('\n') {
            fresh.ids.push(number(line));
            fresh
                .bounds
                .push(fresh.bounds[fresh.bounds.len() - 1] + line.len());
        }
        (rest, fresh)
    }
}

pub(super) fn hunks(a: &[u32], b: &[u32], deadline: Instant) -> Vec<Hunk> {
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        return capture_diff_slices_deadline(Algorithm::Myers, a, b, Some(deadline))
            .iter()
            .map(|op| op.as_tag_tuple())
            .collect();
    }
    let (n, m) = (a.len(), b.len());
    let w = m + 1;
    // lcs[i * w + j]: length of the LCS of a[i..] and b[j..].
    let mut lcs = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                1 + lcs[(i + 1) * w + j + 1]
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let mut out: Vec<Hunk> = Vec::new();
    let (mut i, mut j) = (0, 0);
    let (mut ci, mut cj) = (0, 0);
    let flush = |out: &mut Vec<Hunk>, ci: usize, cj: usize, i: usize, j: usize| {
        let tag = match (i > ci, j > cj) {
            (true, true) => DiffTag::Replace,
            (true, false) => DiffTag::Delete,
            (false, true) => DiffTag::Insert,
            (false, false) => return,
        };
        out.push((tag, ci..i, cj..j));
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            flush(&mut out, ci, cj, i, j);
            match out.last_mut() {
                Some((DiffTag::Equal, o, nr)) => {
                    o.end += 1;
                    nr.end += 1;
                }
                _ => out.push((DiffTag::Equal, i..i + 1, j..j + 1)),
            }
            i += 1;
            j += 1;
            (ci, cj) = (i, j);
        } else if j < m && (i == n || lcs[i * w + j + 1] == lcs[i * w + j]) {
            j += 1;
        } else {
            i += 1;
        }
    }
    flush(&mut out, ci, cj, i, j);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(old: &[&str], new: &[&str]) -> Vec<Hunk> {
        let lines = OldLines::new(&old.concat());
        let (a, b) = lines.numbered(&old.concat(), 0, &new.concat());
        assert_eq!(a.bounds.len(), old.len() + 1);
        hunks(
            &a.ids,
            &b.ids,
            Instant::now() + std::time::Duration::from_secs(1),
        )
    }

    #[test]
    fn the_rest_of_a_line_is_numbered_by_its_text() {
        let old = "ab\ncd\nab\n";
        let lines = OldLines::new(old);
        let (a, b) = lines.numbered(old, 4, "d\nab\nx");
        assert_eq!(a.bounds, vec![0, 2, 5]);
        assert_eq!(b.bounds, vec![0, 2, 5, 6]);
        assert_eq!(a.ids[0], b.ids[0], "both are the rest \"d\\n\"");
        assert_eq!(a.ids[1], b.ids[1]);
        assert_ne!(b.ids[2], a.ids[1]);
        let (a, _) = lines.numbered(old, old.len(), "");
        assert_eq!((a.bounds, a.ids), (vec![0], vec![]));
    }

    #[test]
    fn deletions_wait_for_a_later_match() {
        let old = ["g0\n", "g1\n", "k0\n", "k1\n"];
        assert_eq!(
            run(&old, &["note\n", "k0\n", "k"]),
            vec![
                (DiffTag::Replace, 0..2, 0..1),
                (DiffTag::Equal, 2..3, 1..2),
                (DiffTag::Replace, 3..4, 2..3),
            ]
        );
        assert_eq!(run(&old, &["g"]), vec![(DiffTag::Replace, 0..4, 0..1)]);
        assert_eq!(run(&old, &[]), vec![(DiffTag::Delete, 0..4, 0..0)]);
        assert_eq!(run(&[], &["x"]), vec![(DiffTag::Insert, 0..0, 0..1)]);
    }

    #[test]
    fn the_earliest_equal_line_is_kept() {
        assert_eq!(
            run(&["a\n", "b\n", "a\n"], &["a\n"]),
            vec![(DiffTag::Equal, 0..1, 0..1), (DiffTag::Delete, 1..3, 1..1)]
        );
    }
}
