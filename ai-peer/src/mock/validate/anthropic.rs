//! The Messages API body schema: model, max_tokens, stream, messages (roles, blocks, tool_use
//! and tool_result pairing), system, tools, tool_choice and the four-breakpoint cache limit.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{
    Checked, array, join, object, only_fields, optional, positive_int, required, string, tool_name,
};

const TOP_FIELDS: &[&str] = &[
    "model",
    "max_tokens",
    "messages",
    "system",
    "stream",
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "metadata",
    "cache_control",
    "thinking",
    "service_tier",
];

/// Checks a `POST /v1/messages` body; `Err` is the `invalid_request_error` message.
pub fn check_body(body: &Value) -> Checked<()> {
    let top = object(body, "")?;
    only_fields(top, "", TOP_FIELDS)?;
    if string(required(top, "", "model")?, "model")?.is_empty() {
        return Err("model: must not be empty".into());
    }
    positive_int(required(top, "", "max_tokens")?, "max_tokens")?;
    if top.get("stream") != Some(&Value::Bool(true)) {
        return Err("stream: claude-mock serves streaming requests only (\"stream\": true)".into());
    }
    let mut cache_points = check_messages(required(top, "", "messages")?)?;
    if let Some(system) = optional(top, "system") {
        cache_points += check_system(system)?;
    }
    if let Some(tools) = optional(top, "tools") {
        cache_points += check_tools(tools)?;
    }
    if let Some(choice) = optional(top, "tool_choice") {
        check_tool_choice(choice)?;
    }
    if let Some(cache_control) = optional(top, "cache_control") {
        check_cache_control(cache_control, "cache_control")?;
        cache_points += 1;
    }
    if cache_points > 4 {
        return Err(format!(
            "A maximum of 4 blocks with cache_control may be provided. Found {cache_points}."
        ));
    }
    if let Some(t) = optional(top, "temperature") {
        t.as_f64()
            .filter(|t| (0.0..=1.0).contains(t))
            .ok_or("temperature: must be between 0 and 1")?;
    }
    if let Some(stops) = optional(top, "stop_sequences") {
        for (i, s) in array(stops, "stop_sequences")?.iter().enumerate() {
            string(s, &join("stop_sequences", i))?;
        }
    }
    Ok(())
}

/// What one message holds, for the checks across messages.
#[derive(Default)]
struct Blocks {
    cache_points: usize,
    tool_uses: Vec<String>,
    tool_results: Vec<(usize, String)>,
    /// The text of the last block, when it is text (the final-whitespace rule).
    last_text: Option<String>,
}

fn check_messages(value: &Value) -> Checked<usize> {
    let messages = array(value, "messages")?;
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let mut cache_points = 0;
    let mut seen_ids = HashSet::new();
    let mut pending: Vec<String> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let path = join("messages", i);
        let message = object(message, &path)?;
        only_fields(message, &path, &["role", "content"])?;
        let role = string(required(message, &path, "role")?, &join(&path, "role"))?;
        if role != "user" && role != "assistant" {
            return Err(format!(
                "{path}.role: must be \"user\" or \"assistant\", not {role:?}"
            ));
        }
        if i == 0 && role != "user" {
            return Err("messages.0.role: the first message must use the \"user\" role".into());
        }
        let final_assistant = i + 1 == messages.len() && role == "assistant";
        let blocks = check_content(required(message, &path, "content")?, role, &path)?;
        let empty = blocks.is_none();
        let blocks = blocks.unwrap_or_default();
        if empty && !final_assistant {
            return Err(format!(
                "{path}: all messages must have non-empty content except for the optional final assistant message"
            ));
        }
        if !pending.is_empty() {
            let answered: HashSet<&str> = blocks
                .tool_results
                .iter()
                .map(|(_, id)| id.as_str())
                .collect();
            let missing: Vec<&str> = pending
                .iter()
                .map(String::as_str)
                .filter(|id| !answered.contains(id))
                .collect();
            if !missing.is_empty() {
                return Err(format!(
                    "messages.{}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. \
                     Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
                    i - 1,
                    missing.join(", ")
                ));
            }
        }
        for (j, id) in &blocks.tool_results {
            if !pending.contains(id) {
                return Err(format!(
                    "{path}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. \
                     Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                ));
            }
        }
        for id in &blocks.tool_uses {
            if !seen_ids.insert(id.clone()) {
                return Err(format!(
                    "{path}: `tool_use` ids must be unique; {id} is repeated"
                ));
            }
        }
        if final_assistant
            && blocks
                .last_text
                .as_deref()
                .is_some_and(|t| t.ends_with(char::is_whitespace))
        {
            return Err(format!(
                "{path}: final assistant content cannot end with trailing whitespace"
            ));
        }
        cache_points += blocks.cache_points;
        pending = blocks.tool_uses;
    }
    Ok(cache_points)
}

/// Checks a message's content; `None` when it is empty.
fn check_content(content: &Value, role: &str, path: &str) -> Checked<Option<Blocks>> {
    let path = join(path, "content");
    let blocks = match content {
        Value::String(s) if s.is_empty() => return Ok(None),
        Value::String(s) => {
            return Ok(Some(Blocks {
                last_text: Some(s.clone()),
                ..Blocks::default()
            }));
        }
        Value::Array(blocks) if blocks.is_empty() => return Ok(None),
        Value::Array(blocks) => blocks,
        _ => {
            return Err(format!(
                "{path}: expected a string or a list of content blocks"
            ));
        }
    };
    let mut out = Blocks::default();
    let mut other_content = false;
    for (j, block) in blocks.iter().enumerate() {
        let path = join(&path, j);
        let map = object(block, &path)?;
        let kind = string(required(map, &path, "type")?, &join(&path, "type"))?;
        out.cache_points += cache_control_of(map, &path)?;
        if kind == "tool_result" && other_content {
            return Err(format!(
                "{path}: tool_result blocks must come first in the user message, before any other content"
            ));
        }
        other_content |= kind != "tool_result";
        out.last_text = None;
        match kind {
            "text" => {
                only_fields(map, &path, &["type", "text", "cache_control", "citations"])?;
                let text = string(required(map, &path, "text")?, &join(&path, "text"))?;
                if text.is_empty() {
                    return Err(format!(
                        "{path}.text: text content blocks must be non-empty"
                    ));
                }
                out.last_text = Some(text.to_owned());
            }
            "image" => {
                only_fields(map, &path, &["type", "source", "cache_control"])?;
                check_image_source(required(map, &path, "source")?, &join(&path, "source"))?;
            }
            "tool_use" if role == "assistant" => {
                only_fields(
                    map,
                    &path,
                    &["type", "id", "name", "input", "cache_control"],
                )?;
                let id = string(required(map, &path, "id")?, &join(&path, "id"))?;
                if id.is_empty() {
                    return Err(format!("{path}.id: must not be empty"));
                }
                string(required(map, &path, "name")?, &join(&path, "name"))?;
                object(required(map, &path, "input")?, &join(&path, "input"))?;
                out.tool_uses.push(id.to_owned());
            }
            "tool_result" if role == "user" => {
                only_fields(
                    map,
                    &path,
                    &[
                        "type",
                        "tool_use_id",
                        "content",
                        "is_error",
                        "cache_control",
                    ],
                )?;
                let id = string(
                    required(map, &path, "tool_use_id")?,
                    &join(&path, "tool_use_id"),
                )?;
                if let Some(content) = optional(map, "content") {
                    out.cache_points +=
                        check_tool_result_content(content, &join(&path, "content"))?;
                }
                if let Some(is_error) = optional(map, "is_error") {
                    is_error
                        .as_bool()
                        .ok_or(format!("{path}.is_error: expected a boolean"))?;
                }
                out.tool_results.push((j, id.to_owned()));
            }
            "tool_use" | "tool_result" => {
                return Err(format!(
                    "{path}: {kind} blocks are not allowed in {role} messages"
                ));
            }
            other => {
                return Err(format!(
                    "{path}.type: unknown block type {other:?} (claude-mock accepts text, image, tool_use, tool_result)"
                ));
            }
        }
    }
    Ok(Some(out))
}

fn check_tool_result_content(content: &Value, path: &str) -> Checked<usize> {
    let blocks = match content {
        Value::String(_) => return Ok(0),
        Value::Array(blocks) => blocks,
        _ => {
            return Err(format!(
                "{path}: expected a string or a list of text/image blocks"
            ));
        }
    };
    let mut cache_points = 0;
    for (k, block) in blocks.iter().enumerate() {
        let path = join(path, k);
        let map = object(block, &path)?;
        cache_points += cache_control_of(map, &path)?;
        match string(required(map, &path, "type")?, &join(&path, "type"))? {
            "text" => {
                only_fields(map, &path, &["type", "text", "cache_control"])?;
                string(required(map, &path, "text")?, &join(&path, "text"))?;
            }
            "image" => {
                only_fields(map, &path, &["type", "source", "cache_control"])?;
                check_image_source(required(map, &path, "source")?, &join(&path, "source"))?;
            }
            other => {
                return Err(format!(
                    "{path}.type: {other:?} is not allowed in a tool_result"
                ));
            }
        }
    }
    Ok(cache_points)
}

fn check_image_source(source: &Value, path: &str) -> Checked<()> {
    let map = object(source, path)?;
    let needs: &[&str] = match string(required(map, path, "type")?, &join(path, "type"))? {
        "base64" => &["media_type", "data"],
        "url" => &["url"],
        "file" => &["file_id"],
        other => return Err(format!("{path}.type: unknown image source {other:?}")),
    };
    for key in needs {
        string(required(map, path, key)?, &join(path, key))?;
    }
    Ok(())
}

fn check_system(system: &Value) -> Checked<usize> {
    let blocks = match system {
        Value::String(_) => return Ok(0),
        Value::Array(blocks) => blocks,
        _ => return Err("system: expected a string or a list of text blocks".into()),
    };
    let mut cache_points = 0;
    for (i, block) in blocks.iter().enumerate() {
        let path = join("system", i);
        let map = object(block, &path)?;
        only_fields(map, &path, &["type", "text", "cache_control", "citations"])?;
        if string(required(map, &path, "type")?, &join(&path, "type"))? != "text" {
            return Err(format!("{path}.type: system blocks must be text blocks"));
        }
        if string(required(map, &path, "text")?, &join(&path, "text"))?.is_empty() {
            return Err(format!(
                "{path}.text: text content blocks must be non-empty"
            ));
        }
        cache_points += cache_control_of(map, &path)?;
    }
    Ok(cache_points)
}

fn check_tools(tools: &Value) -> Checked<usize> {
    let mut cache_points = 0;
    let mut names = HashSet::new();
    for (i, tool) in array(tools, "tools")?.iter().enumerate() {
        let path = join("tools", i);
        let map = object(tool, &path)?;
        let name = string(required(map, &path, "name")?, &join(&path, "name"))?;
        cache_points += cache_control_of(map, &path)?;
        if !names.insert(name) {
            return Err(format!(
                "tools: Tool names must be unique; {name:?} is repeated"
            ));
        }
        // Anthropic-defined tools (`text_editor_20250728`, ...) carry a type and no schema.
        let custom = optional(map, "type").is_none_or(|t| t == "custom");
        if !custom {
            continue;
        }
        only_fields(
            map,
            &path,
            &[
                "type",
                "name",
                "description",
                "input_schema",
                "cache_control",
                "eager_input_streaming",
                "strict",
            ],
        )?;
        tool_name(name, &join(&path, "name"))?;
        if let Some(description) = optional(map, "description") {
            string(description, &join(&path, "description"))?;
        }
        let schema = object(
            required(map, &path, "input_schema")?,
            &join(&path, "input_schema"),
        )?;
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            return Err(format!(
                "{path}.input_schema.type: Input should be 'object'"
            ));
        }
    }
    Ok(cache_points)
}

fn check_tool_choice(choice: &Value) -> Checked<()> {
    let map = object(choice, "tool_choice")?;
    match string(required(map, "tool_choice", "type")?, "tool_choice.type")? {
        "auto" | "any" | "none" => {}
        "tool" => {
            string(required(map, "tool_choice", "name")?, "tool_choice.name")?;
        }
        other => return Err(format!("tool_choice.type: unknown choice {other:?}")),
    }
    if let Some(flag) = optional(map, "disable_parallel_tool_use") {
        flag.as_bool()
            .ok_or("tool_choice.disable_parallel_tool_use: expected a boolean")?;
    }
    Ok(())
}

/// 1 when the block carries a (valid) `cache_control` marker.
fn cache_control_of(map: &Map<String, Value>, path: &str) -> Checked<usize> {
    match optional(map, "cache_control") {
        Some(marker) => check_cache_control(marker, &join(path, "cache_control")).map(|()| 1),
        None => Ok(0),
    }
}

fn check_cache_control(marker: &Value, path: &str) -> Checked<()> {
    let map = object(marker, path)?;
    only_fields(map, path, &["type", "ttl"])?;
    if string(required(map, path, "type")?, &join(path, "type"))? != "ephemeral" {
        return Err(format!("{path}.type: must be \"ephemeral\""));
    }
    match optional(map, "ttl").map(Value::as_str) {
        None | Some(Some("5m" | "1h")) => Ok(()),
        Some(_) => Err(format!("{path}.ttl: must be \"5m\" or \"1h\"")),
    }
}
