//! A provider-neutral view of a (validated) request, what the rules look at: the model, the
//! text of the last user message and the tool results it carries.

use std::collections::HashMap;

use serde_json::Value;

/// What the rules can match on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    pub model: String,
    /// The text blocks of the last user message, joined with newlines.
    pub last_user_text: String,
    /// The tool results of the last user message.
    pub tool_results: Vec<ToolResult>,
    /// The request body's size, for the rough token estimate.
    pub body_bytes: usize,
}

/// One tool result of the last user message.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    /// The name of the tool_use it answers, when an earlier assistant message holds it.
    pub tool_name: Option<String>,
    /// Its text (text parts joined with newlines, JSON parts serialized).
    pub content: String,
}

/// How one API spells the pieces the view needs.
struct Dialect {
    /// Given a content block, its text when it is a text block.
    text: fn(&Value) -> Option<&str>,
    /// Given a content block, `(id, name)` when it is a tool use.
    tool_use: fn(&Value) -> Option<(&str, &str)>,
    /// Given a content block, `(tool use id, content)` when it is a tool result.
    tool_result: fn(&Value) -> Option<(&str, &Value)>,
}

const ANTHROPIC: Dialect = Dialect {
    text: |b| match b.get("type")?.as_str()? {
        "text" => b.get("text")?.as_str(),
        _ => None,
    },
    tool_use: |b| match b.get("type")?.as_str()? {
        "tool_use" => Some((b.get("id")?.as_str()?, b.get("name")?.as_str()?)),
        _ => None,
    },
    tool_result: |b| match b.get("type")?.as_str()? {
        "tool_result" => Some((
            b.get("tool_use_id")?.as_str()?,
            b.get("content").unwrap_or(&Value::Null),
        )),
        _ => None,
    },
};

const BEDROCK: Dialect = Dialect {
    text: |b| b.get("text")?.as_str(),
    tool_use: |b| {
        let u = b.get("toolUse")?;
        Some((u.get("toolUseId")?.as_str()?, u.get("name")?.as_str()?))
    },
    tool_result: |b| {
        let r = b.get("toolResult")?;
        Some((
            r.get("toolUseId")?.as_str()?,
            r.get("content").unwrap_or(&Value::Null),
        ))
    },
};

impl Conversation {
    /// From a Messages API body (the model is the body's).
    pub fn from_anthropic(body: &Value, body_bytes: usize) -> Self {
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Self::read(&ANTHROPIC, model, body, body_bytes)
    }

    /// From a ConverseStream body (the model is the path's).
    pub fn from_bedrock(model: &str, body: &Value, body_bytes: usize) -> Self {
        Self::read(&BEDROCK, model, body, body_bytes)
    }

    fn read(dialect: &Dialect, model: &str, body: &Value, body_bytes: usize) -> Self {
        let messages = body
            .get("messages")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let blocks = |m: &Value| -> Vec<Value> {
            match m.get("content") {
                Some(Value::String(s)) => vec![serde_json::json!({"type": "text", "text": s})],
                Some(Value::Array(blocks)) => blocks.clone(),
                _ => Vec::new(),
            }
        };
        let role = |m: &Value| {
            m.get("role")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let names: HashMap<String, String> = messages
            .iter()
            .filter(|m| role(m) == "assistant")
            .flat_map(blocks)
            .filter_map(|b| {
                (dialect.tool_use)(&b).map(|(id, name)| (id.to_owned(), name.to_owned()))
            })
            .collect();
        let last_user = messages
            .iter()
            .rev()
            .find(|m| role(m) == "user")
            .map(blocks)
            .unwrap_or_default();
        let last_user_text = last_user
            .iter()
            .filter_map(|b| (dialect.text)(b))
            .collect::<Vec<_>>()
            .join("\n");
        let tool_results = last_user
            .iter()
            .filter_map(|b| (dialect.tool_result)(b))
            .map(|(id, content)| ToolResult {
                tool_name: names.get(id).cloned(),
                content: content_text(content),
            })
            .collect();
        Self {
            model: model.to_owned(),
            last_user_text,
            tool_results,
            body_bytes,
        }
    }
}

/// The text of a tool result's content in either dialect.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| match (p.get("text"), p.get("json")) {
                (Some(Value::String(t)), _) => Some(t.clone()),
                (_, Some(json)) => Some(json.to_string()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn both_dialects_give_the_same_view() {
        let anthropic = json!({"model": "claude-x", "messages": [
            {"role": "user", "content": "open it"},
            {"role": "assistant", "content": [
                {"type": "text", "text": "ok"},
                {"type": "tool_use", "id": "t1", "name": "read_file", "input": {}},
                {"type": "tool_use", "id": "t2", "name": "search", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "fn main() {}"},
                {"type": "tool_result", "tool_use_id": "t2", "content": [{"type": "text", "text": "3 hits"}]},
                {"type": "text", "text": "and then"},
                {"type": "text", "text": "fix it"}]}]});
        let bedrock = json!({"messages": [
            {"role": "user", "content": [{"text": "open it"}]},
            {"role": "assistant", "content": [
                {"text": "ok"},
                {"toolUse": {"toolUseId": "t1", "name": "read_file", "input": {}}},
                {"toolUse": {"toolUseId": "t2", "name": "search", "input": {}}}]},
            {"role": "user", "content": [
                {"toolResult": {"toolUseId": "t1", "content": [{"text": "fn main() {}"}]}},
                {"toolResult": {"toolUseId": "t2", "content": [{"text": "3 hits"}]}},
                {"text": "and then"},
                {"text": "fix it"}]}]});
        let expected = Conversation {
            model: "claude-x".into(),
            last_user_text: "and then\nfix it".into(),
            tool_results: vec![
                ToolResult {
                    tool_name: Some("read_file".into()),
                    content: "fn main() {}".into(),
                },
                ToolResult {
                    tool_name: Some("search".into()),
                    content: "3 hits".into(),
                },
            ],
            body_bytes: 10,
        };
        assert_eq!(Conversation::from_anthropic(&anthropic, 10), expected);
        assert_eq!(
            Conversation::from_bedrock("claude-x", &bedrock, 10),
            expected
        );
    }

    #[test]
    fn json_results_and_unknown_ids_are_kept() {
        let bedrock = json!({"messages": [{"role": "user", "content": [
            {"toolResult": {"toolUseId": "zz", "content": [{"json": {"a": 1}}]}}]}]});
        let view = Conversation::from_bedrock("m", &bedrock, 0);
        assert_eq!(
            view.tool_results,
            vec![ToolResult {
                tool_name: None,
                content: "{\"a\":1}".into()
            }]
        );
        assert_eq!(view.last_user_text, "");
    }
}
