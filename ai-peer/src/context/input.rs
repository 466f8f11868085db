//! What the budget builder is given and what it reports: the room's files, cursors and
//! conversation in, the request and an account of what was kept out.

use serde::{Deserialize, Serialize};

use super::outline::MAX_OUTLINE_LINES;
use crate::{Message, Request, Tool};

/// A file of the room with its current text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDoc {
    pub path: String,
    pub text: String,
}

/// Where someone is working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub path: String,
    /// 0-based line.
    pub line: u32,
    /// Who it is, as shown to the model.
    pub who: String,
}

/// Everything a request could carry, before the budget decides.
#[derive(Debug, Clone, Default)]
pub struct ContextInput {
    pub system: String,
    pub tools: Vec<Tool>,
    /// Every path in the room.
    pub file_tree: Vec<String>,
    /// Files the request names: shown in full when they fit.
    pub targets: Vec<FileDoc>,
    /// People's cursors; windows around them are shown in `targets` and `cursor_files`.
    pub cursors: Vec<Cursor>,
    /// Files shown as windows around the cursors in them (their head when there are none).
    pub cursor_files: Vec<FileDoc>,
    /// Other files: shown as outlines.
    pub others: Vec<FileDoc>,
    /// The conversation, oldest first; its last message is the current user message. Older
    /// messages that do not fit are dropped and counted in a note (no summaries).
    pub history: Vec<Message>,
    /// The output reserve.
    pub max_tokens: u32,
}

/// The `[ai.context]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetSettings {
    /// Most prompt and output tokens together, also bounded by the model's context window.
    /// Default 180000.
    pub budget_tokens: u64,
    /// Lines shown either side of a cursor. Default 40.
    pub window_lines: u32,
    /// Most definitions listed per outlined file. Default 80.
    pub outline_lines: usize,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        Self {
            budget_tokens: 180_000,
            window_lines: 40,
            outline_lines: MAX_OUTLINE_LINES,
        }
    }
}

/// The request and how it was made.
#[derive(Debug, Clone)]
pub struct Built {
    pub request: Request,
    pub report: Report,
}

/// What the budget kept and left out, for logs and for telling the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The request's prompt estimate (without the output reserve).
    pub estimated_tokens: u64,
    /// The prompt budget: the smaller of the setting and the context window, minus the
    /// output reserve.
    pub budget: u64,
    pub included_full: Vec<String>,
    /// (path, first line, end line): 0-based, end exclusive.
    pub windows: Vec<(String, u32, u32)>,
    pub outlined: Vec<String>,
    /// Files not shown at all (the tree still names them).
    pub omitted_files: Vec<String>,
    /// The file tree was cut short (with a "… and N more" line) or left out.
    pub tree_truncated: bool,
    /// Oldest messages dropped, replaced by a note at the start of the first kept one.
    pub dropped_messages: usize,
}
