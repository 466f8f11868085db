//! Finding `old_str` in a file's live text: exactly once, or by a line hint among several exact
//! matches, or line by line with fuzzy matching; otherwise an explanation for the model.

mod fuzzy;
mod lines;

use std::ops::Range;

use super::EditSettings;
use lines::Lines;

/// How far (in lines) a line hint may be from a match and still choose it.
const HINT_REACH: u32 = 200;
/// Longest candidate text quoted back to the model, in chars.
const QUOTE_CHARS: usize = 1500;

/// Where `old_str` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Byte offsets into the text, on char boundaries.
    pub range: Range<usize>,
    /// Found by fuzzy line matching: the range covers whole lines that only resemble `old_str`.
    pub fuzzy: bool,
}

/// A place in the file that `old_str` matches or resembles.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// 1-based first line.
    pub start_line: u32,
    /// 1-based last line (inclusive).
    pub end_line: u32,
    /// 1.0 for an exact match; the mean line similarity otherwise.
    pub similarity: f32,
    /// The whole lines of the place.
    pub text: String,
}

/// Why `old_str` could not be placed.
#[derive(Debug, Clone, PartialEq)]
pub enum Unresolved {
    /// `old_str` is empty.
    Empty,
    /// Neither an exact nor a fuzzy match; `closest` are the most similar places, best first.
    NotFound { closest: Vec<Candidate> },
    /// Several places match equally well and no line hint decided; `candidates` are the first
    /// of them (at most `max_candidates`), `total` how many there are.
    Ambiguous {
        candidates: Vec<Candidate>,
        total: usize,
    },
}

/// Finds `old` in `text`. `line_hint` is the 1-based line where the model thinks `old` starts.
pub fn resolve(
    text: &str,
    old: &str,
    line_hint: Option<u32>,
    s: &EditSettings,
) -> Result<Resolved, Unresolved> {
    if old.is_empty() {
        return Err(Unresolved::Empty);
    }
    let lines = Lines::new(text);
    let exact = occurrences(text, old);
    match exact.as_slice() {
        [] => fuzzy::resolve(text, &lines, old, line_hint, s),
        [only] => Ok(Resolved {
            range: only.clone(),
            fuzzy: false,
        }),
        many => {
            let starts: Vec<u32> = many.iter().map(|r| lines.line_of(r.start)).collect();
            if let Some(i) = nearest(&starts, line_hint) {
                return Ok(Resolved {
                    range: many[i].clone(),
                    fuzzy: false,
                });
            }
            let candidates = many
                .iter()
                .take(s.max_candidates)
                .map(|r| lines.candidate(text, r.clone(), 1.0))
                .collect();
            Err(Unresolved::Ambiguous {
                candidates,
                total: many.len(),
            })
        }
    }
}

/// Every (possibly overlapping) occurrence of `needle`.
fn occurrences(hay: &str, needle: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = hay[from..].find(needle) {
        let start = from + at;
        out.push(start..start + needle.len());
        let step = hay[start..].chars().next().map_or(1, char::len_utf8);
        from = start + step;
        if from > hay.len() {
            break;
        }
    }
    out
}

/// The index of the start line nearest to the hint, if one is within reach and no other is as
/// near.
fn nearest(starts: &[u32], hint: Option<u32>) -> Option<usize> {
    let hint = hint?;
    let mut best: Option<(u32, usize)> = None;
    let mut tied = false;
    for (i, &line) in starts.iter().enumerate() {
        let d = line.abs_diff(hint);
        if d > HINT_REACH {
            continue;
        }
        match best {
            Some((bd, _)) if d > bd => {}
            Some((bd, _)) if d == bd => tied = true,
            _ => {
                best = Some((d, i));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(_, i)| i)
}

impl Unresolved {
    /// The text of the error `tool_result` for a `str_replace` on `path`.
    pub fn message(&self, path: &str) -> String {
        match self {
            Self::Empty => format!(
                "old_str is empty, so there is nothing to find in {path}. To insert text, put \
                 the neighbouring line(s) in old_str and repeat them in new_str with the \
                 addition."
            ),
            Self::NotFound { closest } => {
                let mut m = format!(
                    "old_str was not found in {path}, not even approximately (the file may have \
                     changed since you read it; other people are editing it)."
                );
                if !closest.is_empty() {
                    m.push_str(" The most similar places are:\n");
                    quote(&mut m, closest);
                }
                m.push_str(
                    "\nRead the file again and retry with old_str copied exactly from its \
                     current text, with enough surrounding lines that it matches exactly once.",
                );
                m
            }
            Self::Ambiguous { candidates, total } => {
                let mut m = format!(
                    "old_str matches {total} places in {path}; it must match exactly once. \
                     {}:\n",
                    if candidates.len() < *total {
                        format!("The first {}", candidates.len())
                    } else {
                        "They are".to_owned()
                    }
                );
                quote(&mut m, candidates);
                m.push_str(
                    "\nRetry with more surrounding context in old_str so that it matches exactly \
                     once (or pass `line` with the line where it starts).",
                );
                m
            }
        }
    }
}

fn quote(m: &mut String, candidates: &[Candidate]) {
    for c in candidates {
        let lines = if c.start_line == c.end_line {
            format!("line {}", c.start_line)
        } else {
            format!("lines {}-{}", c.start_line, c.end_line)
        };
        let text: String = c.text.chars().take(QUOTE_CHARS).collect();
        let cut = if text.len() < c.text.len() {
            "\n…"
        } else {
            ""
        };
        if c.similarity < 1.0 {
            let pct = (c.similarity * 100.0).round();
            m.push_str(&format!(
                "- {lines} ({pct}% similar):\n```\n{text}{cut}\n```\n"
            ));
        } else {
            m.push_str(&format!("- {lines}:\n```\n{text}{cut}\n```\n"));
        }
    }
}

#[cfg(test)]
mod tests;
