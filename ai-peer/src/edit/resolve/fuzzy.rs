//! Line-level fuzzy matching (after Zed's edit agent): `old_str`'s lines against every window
//! of as many lines of the text, lines compared by normalized Levenshtein similarity.
//!
//! Cheap filters (length, character histogram) reject most line pairs before any edit
//! distance is computed, and identical lines are compared once, so a 5,000-line file is fast.

use std::collections::HashMap;

use super::lines::Lines;
use super::{Candidate, EditSettings, Resolved, Unresolved, nearest};
use crate::edit::distance::levenshtein_within;

/// Above this many DP cells, an unmatched pair's similarity is estimated from its lower bound.
const EXACT_CELLS: usize = 250_000;
const TIE: f32 = 1e-6;

/// A line prepared for comparison: its trimmed-end chars and a coarse character histogram.
struct Line {
    chars: Vec<char>,
    hist: [u8; 32],
}

impl Line {
    fn new(s: &str) -> Self {
        let chars: Vec<char> = s.trim_end().chars().collect();
        let mut hist = [0u8; 32];
        for &c in &chars {
            let b = ((c as u32).wrapping_mul(2_654_435_761) >> 27) as usize;
            hist[b] = hist[b].saturating_add(1);
        }
        Self { chars, hist }
    }

    /// A lower bound of the edit distance: each edit changes the length by at most one and the
    /// histogram's L1 distance by at most two.
    fn distance_bound(&self, other: &Line) -> usize {
        let l1: usize = self
            .hist
            .iter()
            .zip(&other.hist)
            .map(|(a, b)| a.abs_diff(*b) as usize)
            .sum();
        self.chars
            .len()
            .abs_diff(other.chars.len())
            .max(l1.div_ceil(2))
    }
}

/// Similarity if it reaches `threshold`.
fn similar_enough(a: &Line, b: &Line, threshold: f32) -> Option<f32> {
    let longest = a.chars.len().max(b.chars.len());
    if longest == 0 {
        return Some(1.0);
    }
    let budget = ((1.0 - threshold) * longest as f32 + 1e-4).floor() as usize;
    if a.distance_bound(b) > budget {
        return None;
    }
    levenshtein_within(&a.chars, &b.chars, budget).map(|d| 1.0 - d as f32 / longest as f32)
}

/// Similarity of any pair (estimated from the lower bound when the lines are huge).
fn similarity(a: &Line, b: &Line) -> f32 {
    let longest = a.chars.len().max(b.chars.len());
    if longest == 0 {
        return 1.0;
    }
    let d = if a.chars.len() * b.chars.len() <= EXACT_CELLS {
        levenshtein_within(&a.chars, &b.chars, longest).unwrap_or(longest)
    } else {
        a.distance_bound(b)
    };
    1.0 - d as f32 / longest as f32
}

pub(super) fn resolve(
    text: &str,
    lines: &Lines,
    old: &str,
    hint: Option<u32>,
    s: &EditSettings,
) -> Result<Resolved, Unresolved> {
    let ends_nl = old.ends_with('\n');
    let old_body = old.strip_suffix('\n').unwrap_or(old);
    let olds: Vec<Line> = old_body.split('\n').map(Line::new).collect();
    let texts: Vec<Line> = lines
        .spans
        .iter()
        .map(|r| Line::new(&text[r.clone()]))
        .collect();
    let n = olds.len();
    if texts.len() < n {
        return Err(Unresolved::NotFound { closest: vec![] });
    }
    let windows = texts.len() - n + 1;

    // Compare each distinct old line with each distinct text line once; scatter the matches
    // into per-window counts.
    let old_groups = group(old_body.split('\n'));
    let text_groups = group(lines.spans.iter().map(|r| &text[r.clone()]));
    let mut counts = vec![0u32; windows];
    let mut sims: HashMap<(usize, usize), f32> = HashMap::new();
    for old_idx in old_groups.values() {
        let a = &olds[old_idx[0]];
        for text_idx in text_groups.values() {
            let Some(sim) = similar_enough(a, &texts[text_idx[0]], s.fuzzy_line_similarity) else {
                continue;
            };
            for &j in old_idx {
                for &i in text_idx {
                    if i >= j && i - j < windows {
                        counts[i - j] += 1;
                        sims.insert((j, i), sim);
                    }
                }
            }
        }
    }
    let score = |w: usize| -> f32 {
        let total: f32 = (0..n)
            .map(|j| {
                sims.get(&(j, w + j))
                    .copied()
                    .unwrap_or_else(|| similarity(&olds[j], &texts[w + j]))
            })
            .sum();
        total / n as f32
    };

    let need = ((s.fuzzy_min_line_fraction * n as f32) - 1e-4)
        .ceil()
        .max(1.0) as u32;
    let mut qualified: Vec<(usize, f32)> = (0..windows)
        .filter(|&w| counts[w] >= need)
        .map(|w| (w, score(w)))
        .collect();
    if qualified.is_empty() {
        return Err(Unresolved::NotFound {
            closest: closest(text, lines, &counts, n, s.max_candidates, score),
        });
    }
    let best = qualified.iter().map(|q| q.1).fold(f32::MIN, f32::max);
    qualified.retain(|q| best - q.1 <= TIE);
    let pick = if let [only] = qualified.as_slice() {
        Some(only.0)
    } else {
        let starts: Vec<u32> = qualified.iter().map(|q| q.0 as u32 + 1).collect();
        nearest(&starts, hint).map(|i| qualified[i].0)
    };
    let Some(w) = pick else {
        return Err(Unresolved::Ambiguous {
            total: qualified.len(),
            candidates: qualified
                .iter()
                .take(s.max_candidates)
                .map(|&(w, sim)| lines.window(text, w, n, sim))
                .collect(),
        });
    };
    let start = lines.spans[w].start;
    let mut end = lines.spans[w + n - 1].end;
    if ends_nl && end < text.len() {
        end += 1;
    } else if text[..end].ends_with('\r') && !old_body.ends_with('\r') {
        // A CRLF file: the line's `\r` belongs to its line break, not to the matched text.
        end -= 1;
    }
    Ok(Resolved {
        range: start..end,
        fuzzy: true,
    })
}

/// Positions of each distinct line.
fn group<'a>(lines: impl Iterator<Item = &'a str>) -> HashMap<&'a str, Vec<usize>> {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in lines.enumerate() {
        groups.entry(l.trim_end()).or_default().push(i);
    }
    groups
}

/// The best non-overlapping windows with at least one matching line, most similar first.
fn closest(
    text: &str,
    lines: &Lines,
    counts: &[u32],
    n: usize,
    max: usize,
    score: impl Fn(usize) -> f32,
) -> Vec<Candidate> {
    let mut order: Vec<usize> = (0..counts.len()).filter(|&w| counts[w] > 0).collect();
    order.sort_by_key(|&w| (std::cmp::Reverse(counts[w]), w));
    let mut picked: Vec<(usize, f32)> = Vec::new();
    // Score a few more than needed: the match count only approximates similarity.
    for w in order {
        if picked.len() >= max * 3 {
            break;
        }
        if picked.iter().all(|&(p, _)| w + n <= p || p + n <= w) {
            picked.push((w, score(w)));
        }
    }
    picked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    picked.truncate(max);
    picked
        .into_iter()
        .map(|(w, sim)| lines.window(text, w, n, sim))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_ignores_trailing_whitespace_only() {
        let a = Line::new("    let x = 1;   ");
        let b = Line::new("    let x = 1;");
        assert_eq!(similar_enough(&a, &b, 0.8), Some(1.0));
        let c = Line::new("let x = 1;");
        assert!(similar_enough(&a, &c, 0.8).is_none());
        assert!(similarity(&a, &c) > 0.7);
    }
}
