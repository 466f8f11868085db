//! A cheap, language-agnostic outline of a file: the lines that start definitions, so a file
//! the request does not name still tells the model what it holds, at a fraction of its size.
//!
//! No parser: a line is a definition when, at low indentation and after modifiers such as
//! `pub` or `export`, it starts with a definition keyword of a common language; in markdown
//! the headings are the outline.

/// Most outline lines kept per file by default.
pub const MAX_OUTLINE_LINES: usize = 80;
/// Longest outline line kept, in characters (long signatures are cut with `…`).
const MAX_LINE_CHARS: usize = 160;
/// Deepest indentation, in columns (a tab is 4), at which a definition is listed: top level
/// and one level in (methods of a Rust `impl` or a Python class).
const MAX_INDENT: usize = 4;

/// Keywords that start a definition at top level or one level in.
const DEFINITIONS: &[&str] = &[
    "fn",
    "struct",
    "enum",
    "union",
    "impl",
    "trait",
    "mod",
    "macro_rules!",
    "def",
    "class",
    "function",
    "interface",
    "func",
];
/// Keywords that start a declaration, listed only at top level (inside a body they are
/// mostly local variables).
const DECLARATIONS: &[&str] = &["type", "const", "static"];
/// Words that may precede a keyword without changing what the line is.
const MODIFIERS: &[&str] = &[
    "pub", "async", "unsafe", "default", "abstract", "declare", "extern",
];

/// The outline of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    /// (0-based line number, the line trimmed and cut), in file order.
    pub lines: Vec<(u32, String)>,
    /// Definitions beyond the cap, not listed.
    pub more: usize,
    /// Lines in the file.
    pub total_lines: u32,
}

/// The outline of `text`; `path` only tells markdown (headings) from code.
pub fn outline(path: &str, text: &str, max_lines: usize) -> Outline {
    let markdown = is_markdown(path);
    let mut in_fence = false;
    let mut lines = Vec::new();
    let mut more = 0;
    let mut total_lines = 0u32;
    for (n, line) in text.lines().enumerate() {
        total_lines = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let hit = if markdown {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            !in_fence && is_heading(line)
        } else {
            is_definition(line)
        };
        if !hit {
            continue;
        }
        if lines.len() < max_lines {
            lines.push((total_lines - 1, cut(line.trim())));
        } else {
            more += 1;
        }
    }
    Outline {
        lines,
        more,
        total_lines,
    }
}

fn is_markdown(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".md", ".markdown", ".mdx"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// An ATX heading: one to six `#` at the start of the line, then a space.
fn is_heading(line: &str) -> bool {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    (1..=6).contains(&hashes) && line[hashes..].starts_with(' ')
}

fn is_definition(line: &str) -> bool {
    let indent: usize = line
        .chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum();
    if indent > MAX_INDENT {
        return false;
    }
    let mut rest = line.trim_start();
    if rest.starts_with("export ") {
        return true;
    }
    // Strip modifiers, including `pub(crate)` and friends.
    loop {
        let word = first_word(rest);
        let after = &rest[word.len()..];
        if word == "pub" && after.starts_with('(') {
            match after.find(')') {
                Some(close) => rest = after[close + 1..].trim_start(),
                None => return false,
            }
        } else if MODIFIERS.contains(&word) && after.starts_with([' ', '\t']) {
            rest = after.trim_start();
        } else {
            break;
        }
    }
    let word = first_word(rest);
    // The keyword must be followed by a separator: `type(x)` or `const_x = 1` are not
    // definitions.
    let separated = rest[word.len()..].starts_with([' ', '\t', '<', '*']);
    separated && (DEFINITIONS.contains(&word) || (indent == 0 && DECLARATIONS.contains(&word)))
}

fn first_word(s: &str) -> &str {
    let end = s
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '!'))
        .map_or(s.len(), |(i, _)| i);
    &s[..end]
}

fn cut(line: &str) -> String {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(path: &str, text: &str) -> Vec<(u32, String)> {
        outline(path, text, MAX_OUTLINE_LINES).lines
    }

    fn pairs(v: &[(u32, &str)]) -> Vec<(u32, String)> {
        v.iter().map(|(n, s)| (*n, (*s).to_owned())).collect()
    }

    #[test]
    fn rust() {
        let src = "\
//! Docs.
use std::fmt;

#[derive(Debug)]
pub struct Point {
    pub x: i32,
}

pub(crate) enum Shape { Dot }

const LIMIT: usize = 3;
static NAME: &str = \"n\";
pub type Id = u64;

impl<T> From<T> for Point {
    fn from(_: T) -> Self {
        let fn_like = 1;
        fn inner() {}
        Point { x: fn_like }
    }
}

pub trait Draw {
    const SIDES: u32;
    fn draw(&self);
}

pub async unsafe fn go() {}
macro_rules! m { () => {} }
mod tests;
";
        assert_eq!(
            listed("src/lib.rs", src),
            pairs(&[
                (4, "pub struct Point {"),
                (8, "pub(crate) enum Shape { Dot }"),
                (10, "const LIMIT: usize = 3;"),
                (11, "static NAME: &str = \"n\";"),
                (12, "pub type Id = u64;"),
                (14, "impl<T> From<T> for Point {"),
                (15, "fn from(_: T) -> Self {"),
                (22, "pub trait Draw {"),
                (24, "fn draw(&self);"),
                (27, "pub async unsafe fn go() {}"),
                (28, "macro_rules! m { () => {} }"),
                (29, "mod tests;"),
            ])
        );
    }

    #[test]
    fn python() {
        let src = "\
# A comment, not a heading.
import os

LIMIT = 3

class Store:
    \"\"\"A store.\"\"\"

    def get(self, key):
        def helper():
            pass
        return type(key)

async def main():
    await Store().get(1)
";
        assert_eq!(
            listed("app/store.py", src),
            pairs(&[
                (5, "class Store:"),
                (8, "def get(self, key):"),
                (13, "async def main():"),
            ])
        );
    }

    #[test]
    fn javascript() {
        let src = "\
import x from 'x';
export const API = '/v1';
export default function App() {
  const local = 1;
  function nested() {}
  return local;
}
function* gen() {}
class Widget extends Base {
  render() {}
}
interface Props { a: number }
type Alias = string;
const handler = async () => {};
";
        assert_eq!(
            listed("web/app.ts", src),
            pairs(&[
                (1, "export const API = '/v1';"),
                (2, "export default function App() {"),
                (4, "function nested() {}"),
                (7, "function* gen() {}"),
                (8, "class Widget extends Base {"),
                (11, "interface Props { a: number }"),
                (12, "type Alias = string;"),
                (13, "const handler = async () => {};"),
            ])
        );
    }

    #[test]
    fn markdown_headings_outside_fences() {
        let src = "# Title\ntext\n## Part\n```sh\n# not a heading\n```\n#hashtag\n### Sub\n";
        assert_eq!(
            listed("README.md", src),
            pairs(&[(0, "# Title"), (2, "## Part"), (7, "### Sub")])
        );
        assert!(
            listed("notes.txt", src).is_empty(),
            "headings count only in markdown"
        );
    }

    #[test]
    fn capped_and_cut() {
        let src: String = (0..10).map(|i| format!("fn f{i}() {{}}\n")).collect();
        let o = outline("a.rs", &src, 3);
        assert_eq!(o.lines.len(), 3);
        assert_eq!(o.more, 7);
        assert_eq!(o.total_lines, 10);

        let long = format!("fn long({}) {{}}", "a: u8, ".repeat(40));
        let o = outline("a.rs", &long, 3);
        assert_eq!(o.lines[0].1.chars().count(), MAX_LINE_CHARS + 1);
        assert!(o.lines[0].1.ends_with('…'));
    }
}
