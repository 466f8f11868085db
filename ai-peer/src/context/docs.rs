//! How the room's files are shown to the model: in full, as line-numbered windows, as
//! outlines, and the file tree.
//!
//! Each view is one text block headed by an XML-style tag naming its path (the form
//! Anthropic recommends for documents). Full files are not numbered, so `str_replace` can
//! quote them verbatim; windows are, because they are only part of the file. Shown line
//! numbers are 1-based, as in an editor; ranges in code are 0-based and half-open.

use super::outline::outline;
use super::{Cursor, FileDoc};

/// A line range `[start, end)`, 0-based.
pub(super) type Span = (u32, u32);

/// The whole file.
pub(super) fn full(doc: &FileDoc) -> String {
    let body = doc.text.strip_suffix('\n').unwrap_or(&doc.text);
    format!(
        "<file path={} view=\"full\">\n{body}\n</file>",
        quote(&doc.path)
    )
}

/// Lines in `text`, as the windows count them.
pub(super) fn line_count(text: &str) -> u32 {
    u32::try_from(text.lines().count()).unwrap_or(u32::MAX)
}

/// Windows of `radius` lines either side of each cursor line, clamped to the file and merged
/// where they overlap or touch. No lines, no windows.
pub(super) fn merged_windows(total: u32, cursor_lines: &[u32], radius: u32) -> Vec<Span> {
    if total == 0 {
        return Vec::new();
    }
    let mut spans: Vec<Span> = cursor_lines
        .iter()
        .map(|&line| {
            let line = line.min(total - 1);
            (
                line.saturating_sub(radius),
                line.saturating_add(radius).saturating_add(1).min(total),
            )
        })
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// The first lines of a file, for a file that is too large and has no cursor in it.
pub(super) fn head(total: u32, radius: u32) -> Span {
    (0, radius.saturating_mul(2).saturating_add(1).min(total))
}

/// Lines `span` of `doc`, numbered, naming the cursors inside.
pub(super) fn window(doc: &FileDoc, span: Span, cursors: &[&Cursor]) -> String {
    let (start, end) = span;
    let total = line_count(&doc.text);
    let width = end.to_string().len();
    let here: Vec<String> = cursors
        .iter()
        .filter(|c| (start..end).contains(&c.line.min(total.saturating_sub(1))))
        .map(|c| format!("{}:{}", c.who, c.line.min(total.saturating_sub(1)) + 1))
        .collect();
    let mut out = format!(
        "<file path={} view=\"lines {}-{} of {total}\"",
        quote(&doc.path),
        start + 1,
        end
    );
    if !here.is_empty() {
        out.push_str(&format!(" cursors={}", quote(&here.join(", "))));
    }
    out.push_str(">\n");
    let lines = doc
        .text
        .lines()
        .skip(start as usize)
        .take((end - start) as usize);
    for (n, line) in (start + 1..).zip(lines) {
        out.push_str(&format!("{n:>width$}| {line}\n"));
    }
    out.push_str("</file>");
    out
}

/// The file's definitions, capped at `max_lines`.
pub(super) fn outlined(doc: &FileDoc, max_lines: usize) -> String {
    let o = outline(&doc.path, &doc.text, max_lines);
    let mut out = format!(
        "<file path={} view=\"outline of {} lines\">\n",
        quote(&doc.path),
        o.total_lines
    );
    for (n, line) in &o.lines {
        out.push_str(&format!("{}: {line}\n", n + 1));
    }
    if o.more > 0 {
        out.push_str(&format!("… and {} more definitions\n", o.more));
    }
    out.push_str("</file>");
    out
}

/// The file tree showing the first `shown` of `paths`.
pub(super) fn tree(paths: &[String], shown: usize) -> String {
    let mut out = String::from("Files in the room:\n");
    for p in &paths[..shown.min(paths.len())] {
        out.push_str(p);
        out.push('\n');
    }
    if shown < paths.len() {
        out.push_str(&format!("… and {} more\n", paths.len() - shown));
    }
    out
}

/// A JSON-quoted string, safe inside a tag whatever the path holds.
fn quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(path: &str, lines: u32) -> FileDoc {
        FileDoc {
            path: path.into(),
            text: (1..=lines).map(|i| format!("line {i}\n")).collect(),
        }
    }

    #[test]
    fn windows_clamp_and_merge() {
        let cases: &[(u32, &[u32], u32, &[Span])] = &[
            (100, &[50], 5, &[(45, 56)]),
            (100, &[2], 5, &[(0, 8)]),
            (100, &[98], 5, &[(93, 100)]),
            (100, &[500], 5, &[(94, 100)]),
            // Overlapping, touching, and apart.
            (100, &[10, 14], 5, &[(5, 20)]),
            (100, &[10, 21], 5, &[(5, 27)]),
            (100, &[10, 22], 5, &[(5, 16), (17, 28)]),
            (100, &[60, 10, 12, 90], 5, &[(5, 18), (55, 66), (85, 96)]),
            (3, &[0, 2], 40, &[(0, 3)]),
            (0, &[0], 40, &[]),
        ];
        for (total, lines, radius, want) in cases {
            assert_eq!(
                merged_windows(*total, lines, *radius),
                *want,
                "{total} {lines:?} {radius}"
            );
        }
        assert_eq!(head(100, 40), (0, 81));
        assert_eq!(head(10, 40), (0, 10));
    }

    #[test]
    fn window_is_numbered_and_names_cursors() {
        let d = doc("src/a.rs", 12);
        let alice = Cursor {
            path: "src/a.rs".into(),
            line: 9,
            who: "alice".into(),
        };
        let bob = Cursor {
            path: "src/a.rs".into(),
            line: 1,
            who: "bob".into(),
        };
        let text = window(&d, (7, 11), &[&alice, &bob]);
        assert_eq!(
            text,
            "<file path=\"src/a.rs\" view=\"lines 8-11 of 12\" cursors=\"alice:10\">\n\
             \x208| line 8\n\x209| line 9\n10| line 10\n11| line 11\n</file>"
        );
    }

    #[test]
    fn full_outline_and_tree() {
        let d = FileDoc {
            path: "a \"b\".rs".into(),
            text: "fn main() {}\n".into(),
        };
        assert_eq!(
            full(&d),
            "<file path=\"a \\\"b\\\".rs\" view=\"full\">\nfn main() {}\n</file>"
        );
        let o = FileDoc {
            path: "m.py".into(),
            text: "import x\ndef a():\n    pass\ndef b():\n".into(),
        };
        assert_eq!(
            outlined(&o, 1),
            "<file path=\"m.py\" view=\"outline of 4 lines\">\n2: def a():\n… and 1 more definitions\n</file>"
        );
        let paths: Vec<String> = ["a", "b", "c"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(tree(&paths, 3), "Files in the room:\na\nb\nc\n");
        assert_eq!(tree(&paths, 1), "Files in the room:\na\n… and 2 more\n");
    }
}
