//! The Messages API request body for a [`Request`]: a pure translation, checked before sending.

use serde_json::{Map, Value, json};

use crate::{AiError, Block, Request, Role, SystemBlock, Tool};

/// The API refuses requests with more prompt-cache breakpoints than this.
const MAX_CACHE_POINTS: usize = 4;

/// The JSON body of `POST /v1/messages` asking `model` to stream `request`.
///
/// Cache points become `cache_control` on the block before them (Anthropic marks the end of a
/// prefix, where our request marks the gap after it). A point with no block before it in its
/// section (first system piece, very first message block) marks nothing and is dropped.
pub fn body(request: &Request, model: &str) -> Result<Value, AiError> {
    let mut marks = Marks::default();

    let mut tools: Vec<Value> = request.tools.iter().map(tool).collect();
    if request.cache_tools {
        marks.mark(tools.last_mut());
    }

    let mut system: Vec<Value> = Vec::new();
    for piece in &request.system {
        match piece {
            SystemBlock::Text(text) => system.push(json!({"type": "text", "text": text})),
            SystemBlock::CachePoint => marks.mark(system.last_mut()),
        }
    }

    let mut messages: Vec<Value> = Vec::with_capacity(request.messages.len());
    for message in &request.messages {
        let mut content: Vec<Value> = Vec::with_capacity(message.content.len());
        for block in &message.content {
            match block {
                Block::CachePoint => match content.last_mut() {
                    Some(previous) => marks.mark(Some(previous)),
                    None => marks.mark(last_block(&mut messages)),
                },
                Block::Text(text) => content.push(json!({"type": "text", "text": text})),
                Block::ToolUse { id, name, input } => content
                    .push(json!({"type": "tool_use", "id": id, "name": name, "input": input})),
                Block::ToolResult {
                    tool_use_id,
                    content: result,
                    is_error,
                } => {
                    let mut v = json!({
                        "type": "tool_result",
                        "tool_use_id": tool_use_id,
                        "content": result,
                    });
                    if *is_error {
                        v["is_error"] = true.into();
                    }
                    content.push(v);
                }
            }
        }
        let role = match message.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        messages.push(json!({"role": role, "content": content}));
    }

    if marks.count > MAX_CACHE_POINTS {
        return Err(AiError::Invalid(format!(
            "{} prompt-cache breakpoints; Anthropic allows at most {MAX_CACHE_POINTS}",
            marks.count
        )));
    }

    let mut body = Map::new();
    body.insert("model".into(), model.into());
    body.insert("max_tokens".into(), request.max_tokens.into());
    body.insert("stream".into(), true.into());
    if !system.is_empty() {
        body.insert("system".into(), system.into());
    }
    body.insert("messages".into(), messages.into());
    if !tools.is_empty() {
        body.insert("tools".into(), tools.into());
    }
    if let Some(t) = request.temperature {
        body.insert("temperature".into(), temperature(t)?);
    }
    if !request.stop_sequences.is_empty() {
        body.insert(
            "stop_sequences".into(),
            request.stop_sequences.clone().into(),
        );
    }
    Ok(Value::Object(body))
}

/// Counts the distinct blocks given a `cache_control` (two adjacent points mark one block).
#[derive(Default)]
struct Marks {
    count: usize,
}

impl Marks {
    fn mark(&mut self, block: Option<&mut Value>) {
        let Some(Value::Object(block)) = block else {
            return;
        };
        if !block.contains_key("cache_control") {
            block.insert("cache_control".into(), json!({"type": "ephemeral"}));
            self.count += 1;
        }
    }
}

/// The last content block already emitted, searching back through earlier messages.
fn last_block(messages: &mut [Value]) -> Option<&mut Value> {
    messages
        .iter_mut()
        .rev()
        .filter_map(|m| m.get_mut("content").and_then(Value::as_array_mut))
        .find(|content| !content.is_empty())
        .and_then(|content| content.last_mut())
}

/// A tool definition; `edits` is ours and never leaves the process.
fn tool(tool: &Tool) -> Value {
    let mut v = json!({
        "name": tool.name,
        "description": tool.description,
        "input_schema": tool.input_schema,
    });
    if tool.eager_input_streaming {
        v["eager_input_streaming"] = true.into();
    }
    v
}

/// The temperature as the decimal the caller wrote: widening the f32 directly would send
/// 0.699999988079071 for 0.7.
fn temperature(t: f32) -> Result<Value, AiError> {
    t.to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| AiError::Invalid(format!("temperature {t} is not a number")))
}

#[cfg(test)]
mod tests;
