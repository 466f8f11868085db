//! A small scripted "model" for end-to-end tests: the first rule whose conditions hold renders
//! its reply (text and tool calls) into scenario lines, so both wire formats get it for free.

use serde::Deserialize;
use serde_json::{Value, json};

use super::conversation::Conversation;
use super::scenario::Line;

/// `{"rules": [...]}`: the first matching rule answers.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// The rules in order. Default: none (every request gets the `text` scenario).
    pub rules: Vec<Rule>,
}

/// One rule: when it applies and what the model answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Conditions, all of which must hold. Default: none (the rule always applies).
    #[serde(default)]
    pub when: When,
    /// The answer's content blocks, in order.
    pub reply: Vec<ReplyItem>,
    /// Pause between consecutive deltas, in milliseconds. Default: 0.
    #[serde(default)]
    pub delay_ms: u64,
    /// Characters per delta. Default: 8.
    #[serde(default = "default_chunk_chars")]
    pub chunk_chars: usize,
    /// Overrides the computed stop reason (`tool_use` with a tool item, else `end_turn`).
    #[serde(default)]
    pub stop_reason: Option<String>,
}

fn default_chunk_chars() -> usize {
    8
}

/// A rule's conditions; each one given must hold.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct When {
    /// The last user message's text contains this.
    pub last_user_contains: Option<String>,
    /// The last user message answers a tool_use of this name.
    pub tool_result_for: Option<String>,
    /// A tool result of the last user message contains this (the same result as
    /// `tool_result_for` when both are given).
    pub tool_result_contains: Option<String>,
    /// The requested model contains this.
    pub model: Option<String>,
    /// `true` always holds, `false` never (a disabled rule).
    pub always: Option<bool>,
}

/// One content block of a reply.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ReplyItem {
    /// `{"text": "..."}`; `{{last_user}}` is replaced by the last user message's text.
    Text(TextItem),
    /// `{"tool": "name", "input": {...}}`: a tool call (`{{last_user}}` works in its strings).
    Tool(ToolItem),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextItem {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolItem {
    pub tool: String,
    /// The tool's input. Default: `{}`.
    #[serde(default = "empty_object")]
    pub input: Value,
}

fn empty_object() -> Value {
    json!({})
}

impl ReplyItem {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(TextItem { text: text.into() })
    }

    pub fn tool(name: impl Into<String>, input: Value) -> Self {
        Self::Tool(ToolItem {
            tool: name.into(),
            input,
        })
    }
}

impl Rules {
    /// Reads rules JSON (`{"rules": [...]}`).
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("rules: {e}"))
    }

    /// The first rule that applies.
    pub fn find(&self, conversation: &Conversation) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.when.holds(conversation))
    }
}

impl When {
    pub fn holds(&self, c: &Conversation) -> bool {
        let contains = |needle: &Option<String>, hay: &str| {
            needle.as_ref().is_none_or(|n| hay.contains(n.as_str()))
        };
        let tool_result = self.tool_result_for.is_none() && self.tool_result_contains.is_none()
            || c.tool_results.iter().any(|r| {
                self.tool_result_for
                    .as_ref()
                    .is_none_or(|name| r.tool_name.as_ref() == Some(name))
                    && contains(&self.tool_result_contains, &r.content)
            });
        self.always != Some(false)
            && contains(&self.last_user_contains, &c.last_user_text)
            && contains(&self.model, &c.model)
            && tool_result
    }
}

impl Rule {
    /// How many tool calls the reply makes (each takes one `toolu_mock_N` id).
    pub fn tool_count(&self) -> u64 {
        self.reply
            .iter()
            .filter(|i| matches!(i, ReplyItem::Tool(_)))
            .count() as u64
    }

    /// The reply as scenario lines: message `msg_mock_<message_no>`, tool ids from
    /// `toolu_mock_<first_tool_id>` on. Usage is a rough, deterministic estimate: request
    /// bytes / 4 in, generated characters / 4 (rounded up) out.
    pub fn render(&self, c: &Conversation, message_no: u64, first_tool_id: u64) -> Vec<Line> {
        let chunk = self.chunk_chars.max(1);
        let mut lines = vec![event(json!({
            "type": "message_start",
            "message": {
                "id": format!("msg_mock_{message_no}"), "type": "message", "role": "assistant",
                "model": c.model, "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": c.body_bytes / 4, "cache_creation_input_tokens": 0,
                          "cache_read_input_tokens": 0, "output_tokens": 1},
            },
        }))];
        let mut generated = 0;
        let mut deltas = 0;
        let mut tool_id = first_tool_id;
        let mut push_delta = |lines: &mut Vec<Line>, index: usize, delta: Value| {
            if deltas > 0 && self.delay_ms > 0 {
                lines.push(Line::Sleep(std::time::Duration::from_millis(self.delay_ms)));
            }
            deltas += 1;
            lines.push(event(
                json!({"type": "content_block_delta", "index": index, "delta": delta}),
            ));
        };
        for (index, item) in self.reply.iter().enumerate() {
            match item {
                ReplyItem::Text(TextItem { text }) => {
                    let text = text.replace("{{last_user}}", &c.last_user_text);
                    generated += text.chars().count();
                    lines.push(event(json!({"type": "content_block_start", "index": index,
                        "content_block": {"type": "text", "text": ""}})));
                    for piece in chunks(&text, chunk) {
                        push_delta(
                            &mut lines,
                            index,
                            json!({"type": "text_delta", "text": piece}),
                        );
                    }
                }
                ReplyItem::Tool(ToolItem { tool, input }) => {
                    let input = fill_template(input, &c.last_user_text).to_string();
                    generated += input.chars().count();
                    lines.push(event(json!({"type": "content_block_start", "index": index,
                        "content_block": {"type": "tool_use", "id": format!("toolu_mock_{tool_id}"),
                                          "name": tool, "input": {}}})));
                    tool_id += 1;
                    // The real API's first fragment is often empty; clients must cope.
                    push_delta(
                        &mut lines,
                        index,
                        json!({"type": "input_json_delta", "partial_json": ""}),
                    );
                    for piece in chunks(&input, chunk) {
                        push_delta(
                            &mut lines,
                            index,
                            json!({"type": "input_json_delta", "partial_json": piece}),
                        );
                    }
                }
            }
            lines.push(event(json!({"type": "content_block_stop", "index": index})));
        }
        let stop_reason = self.stop_reason.clone().unwrap_or_else(|| {
            if self.tool_count() > 0 {
                "tool_use"
            } else {
                "end_turn"
            }
            .to_owned()
        });
        lines.push(event(json!({"type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": null},
            "usage": {"output_tokens": generated.div_ceil(4)}})));
        lines.push(event(json!({"type": "message_stop"})));
        lines
    }
}

fn event(value: Value) -> Line {
    Line::Event(value)
}

/// `text` in pieces of `size` characters (never splitting a character).
fn chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

fn fill_template(value: &Value, last_user: &str) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace("{{last_user}}", last_user)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| fill_template(v, last_user)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_template(v, last_user)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
