//! The conversation as units kept or dropped whole, so trimming never separates a tool call
//! from its result (notes §6).
//!
//! A unit starts at a user message that carries no tool result and runs up to the next one:
//! the question, the reply, and every tool call and result in between. Dropping whole units
//! from the oldest end therefore never leaves a `tool_result` without its `tool_use`, and the
//! kept conversation still starts with a plain user message.

use std::collections::HashSet;
use std::ops::Range;

use crate::{AiError, Block, Message, Role};

/// The units of `history`, oldest first, as message index ranges covering all of it.
///
/// Checks what the budget relies on: the history starts and ends with a user message, and
/// every tool result answers a tool call of the assistant message right before it.
pub(super) fn units(history: &[Message]) -> Result<Vec<Range<usize>>, AiError> {
    let invalid = |why: String| Err(AiError::Invalid(format!("conversation history: {why}")));
    match (history.first(), history.last()) {
        (None, _) | (_, None) => {
            return invalid("empty (the current user message is missing)".into());
        }
        (Some(first), _) if first.role != Role::User => {
            return invalid("starts with an assistant message".into());
        }
        (_, Some(last)) if last.role != Role::User => {
            return invalid("ends with an assistant message".into());
        }
        _ => {}
    }
    let mut starts = Vec::new();
    for (i, m) in history.iter().enumerate() {
        let results: Vec<&str> = m
            .content
            .iter()
            .filter_map(|b| match b {
                Block::ToolResult { tool_use_id, .. } => Some(tool_use_id.as_str()),
                _ => None,
            })
            .collect();
        if results.is_empty() {
            if m.role == Role::User {
                starts.push(i);
            }
            continue;
        }
        let calls: HashSet<&str> = match i.checked_sub(1).map(|p| &history[p]) {
            Some(prev) if m.role == Role::User && prev.role == Role::Assistant => prev
                .content
                .iter()
                .filter_map(|b| match b {
                    Block::ToolUse { id, .. } => Some(id.as_str()),
                    _ => None,
                })
                .collect(),
            _ => HashSet::new(),
        };
        if let Some(orphan) = results.iter().find(|id| !calls.contains(*id)) {
            return invalid(format!(
                "message {i} carries a tool result for {orphan:?}, which the assistant message before it does not call"
            ));
        }
    }
    let mut ends: Vec<usize> = starts.iter().skip(1).copied().collect();
    ends.push(history.len());
    Ok(starts.into_iter().zip(ends).map(|(s, e)| s..e).collect())
}

/// The note standing in for dropped messages.
pub(super) fn omitted_note(messages: usize) -> String {
    format!("[{messages} earlier messages omitted]")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user(t: &str) -> Message {
        Message::user(vec![Block::Text(t.into())])
    }
    fn assistant(t: &str) -> Message {
        Message::assistant(vec![Block::Text(t.into())])
    }
    fn call(id: &str) -> Message {
        Message::assistant(vec![
            Block::Text("Let me look.".into()),
            Block::ToolUse {
                id: id.into(),
                name: "read_file".into(),
                input: json!({}),
            },
        ])
    }
    fn result(id: &str) -> Message {
        Message::user(vec![Block::ToolResult {
            tool_use_id: id.into(),
            content: "ok".into(),
            is_error: false,
        }])
    }

    #[test]
    fn units_keep_tool_chains_together() -> Result<(), AiError> {
        // A history and its unit bounds as (start, end) pairs.
        type Case = (Vec<Message>, Vec<(usize, usize)>);
        let cases: Vec<Case> = vec![
            (vec![user("q")], vec![(0, 1)]),
            (
                vec![user("q"), assistant("a"), user("q2")],
                vec![(0, 2), (2, 3)],
            ),
            (
                vec![
                    user("q"),
                    call("t1"),
                    result("t1"),
                    call("t2"),
                    result("t2"),
                    assistant("done"),
                    user("q2"),
                ],
                vec![(0, 6), (6, 7)],
            ),
            // The current message is a tool result: it belongs to the unit of its call.
            (
                vec![
                    user("q"),
                    assistant("a"),
                    user("q2"),
                    call("t1"),
                    result("t1"),
                ],
                vec![(0, 2), (2, 5)],
            ),
        ];
        for (history, want) in cases {
            let got: Vec<(usize, usize)> = units(&history)?
                .into_iter()
                .map(|r| (r.start, r.end))
                .collect();
            assert_eq!(got, want, "{history:?}");
        }
        Ok(())
    }

    #[test]
    fn malformed_histories_are_refused() {
        let cases: Vec<Vec<Message>> = vec![
            vec![],
            vec![assistant("a"), user("q")],
            vec![user("q"), assistant("a")],
            vec![result("t1")],
            vec![user("q"), assistant("a"), result("t1")],
            vec![user("q"), call("t1"), result("t2")],
            vec![user("q"), call("t1"), user("q2"), result("t1")],
        ];
        for history in cases {
            assert!(
                matches!(units(&history), Err(AiError::Invalid(_))),
                "{history:?}"
            );
        }
    }
}
