//! Scenario lines (Anthropic events) translated to Bedrock ConverseStream events and errors,
//! the way Bedrock reshapes Claude's stream: no text block starts, `messageStop` from
//! `message_delta`, the usage totals in a final `metadata` event.

use std::time::Duration;

use serde_json::{Value, json};

use super::eventstream::EsFrame;
use super::plan::{HttpReply, Reply, Step};
use super::scenario::{HttpErrorLine, Line};

/// Token counts as Anthropic reports them, merged field by field (the numbers are cumulative).
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    input: u64,
    output: u64,
    cache_write: u64,
    cache_read: u64,
}

impl Usage {
    fn merge(&mut self, usage: Option<&Value>) {
        let Some(usage) = usage else { return };
        let read = |key: &str, slot: &mut u64| {
            if let Some(n) = usage.get(key).and_then(Value::as_u64) {
                *slot = n;
            }
        };
        read("input_tokens", &mut self.input);
        read("output_tokens", &mut self.output);
        read("cache_creation_input_tokens", &mut self.cache_write);
        read("cache_read_input_tokens", &mut self.cache_read);
    }
}

/// Translates a scenario for ConverseStream. Fails on a known event missing what Bedrock
/// needs (e.g. a `content_block_delta` without `index`).
pub fn translate(lines: &[Line]) -> Result<Reply<EsFrame>, String> {
    if let Some(Line::HttpError(error)) = lines.first() {
        return Ok(Reply::Error(http_error(error)));
    }
    let mut usage = Usage::default();
    let mut latency = Duration::ZERO;
    let mut steps = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        match line {
            Line::Event(event) => {
                let frame = event_frame(event, &mut usage, latency)
                    .map_err(|e| format!("line {}: {e}", n + 1))?;
                steps.extend(frame.map(Step::Frame));
            }
            Line::Sleep(d) => {
                latency += *d;
                steps.push(Step::Sleep(*d));
            }
            Line::Drop => steps.push(Step::Drop),
            Line::HttpError(_) => return Err(format!("line {}: http_error mid-stream", n + 1)),
        }
    }
    Ok(Reply::Stream(steps))
}

fn event_frame(
    event: &Value,
    usage: &mut Usage,
    latency: Duration,
) -> Result<Option<EsFrame>, String> {
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let index = || {
        event
            .get("index")
            .and_then(Value::as_u64)
            .ok_or(format!("{kind} needs `index`"))
    };
    let frame = match kind {
        "message_start" => {
            let message = event
                .get("message")
                .ok_or("message_start needs `message`")?;
            usage.merge(message.get("usage"));
            let role = message
                .get("role")
                .and_then(Value::as_str)
                .unwrap_or("assistant");
            EsFrame::event("messageStart", json!({ "role": role }))
        }
        "content_block_start" => {
            let index = index()?;
            let block = event
                .get("content_block")
                .ok_or("content_block_start needs `content_block`")?;
            if block.get("type").and_then(Value::as_str) != Some("tool_use") {
                // Bedrock starts only tool blocks; text (and other) blocks begin with a delta.
                return Ok(None);
            }
            let field = |key: &str| {
                block
                    .get(key)
                    .and_then(Value::as_str)
                    .ok_or(format!("tool_use needs `{key}`"))
            };
            let start = json!({ "toolUse": { "toolUseId": field("id")?, "name": field("name")? } });
            EsFrame::event(
                "contentBlockStart",
                json!({ "contentBlockIndex": index, "start": start }),
            )
        }
        "content_block_delta" => {
            let index = index()?;
            let delta = event
                .get("delta")
                .ok_or("content_block_delta needs `delta`")?;
            EsFrame::event(
                "contentBlockDelta",
                json!({ "contentBlockIndex": index, "delta": delta_body(delta)? }),
            )
        }
        "content_block_stop" => {
            EsFrame::event("contentBlockStop", json!({ "contentBlockIndex": index()? }))
        }
        "message_delta" => {
            usage.merge(event.get("usage"));
            match event.pointer("/delta/stop_reason").and_then(Value::as_str) {
                Some(reason) => EsFrame::event("messageStop", json!({ "stopReason": reason })),
                None => return Ok(None),
            }
        }
        "message_stop" => {
            let Usage {
                input,
                output,
                cache_write,
                cache_read,
            } = *usage;
            let usage = json!({
                "inputTokens": input,
                "outputTokens": output,
                "totalTokens": input + output + cache_write + cache_read,
                "cacheReadInputTokens": cache_read,
                "cacheWriteInputTokens": cache_write,
            });
            let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
            EsFrame::event(
                "metadata",
                json!({ "usage": usage, "metrics": { "latencyMs": latency_ms } }),
            )
        }
        "ping" => return Ok(None),
        "error" => {
            let error_type = event
                .pointer("/error/type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let message = event
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            EsFrame::exception(stream_exception(error_type), json!({ "message": message }))
        }
        // An event Anthropic may add some day: Bedrock's counterpart is an event type the
        // client does not know either, so both clients must skip one.
        other => {
            let mut payload = event.clone();
            if let Some(map) = payload.as_object_mut() {
                map.remove("type");
            }
            EsFrame::event(&camel_case(other), payload)
        }
    };
    Ok(Some(frame))
}

/// The `delta` union of `contentBlockDelta` for an Anthropic delta.
fn delta_body(delta: &Value) -> Result<Value, String> {
    let kind = delta
        .get("type")
        .and_then(Value::as_str)
        .ok_or("a delta needs `type`")?;
    let string = |key: &str| {
        delta
            .get(key)
            .and_then(Value::as_str)
            .ok_or(format!("{kind} needs `{key}`"))
    };
    Ok(match kind {
        "text_delta" => json!({ "text": string("text")? }),
        "input_json_delta" => json!({ "toolUse": { "input": string("partial_json")? } }),
        "thinking_delta" => json!({ "reasoningContent": { "text": string("thinking")? } }),
        "signature_delta" => json!({ "reasoningContent": { "signature": string("signature")? } }),
        "citations_delta" => {
            let citation = delta.get("citation").unwrap_or(&Value::Null);
            let mut body = json!({});
            if let Some(title) = citation.get("document_title").and_then(Value::as_str) {
                body["title"] = json!(title);
            }
            if let Some(text) = citation.get("cited_text").and_then(Value::as_str) {
                body["sourceContent"] = json!([{ "text": text }]);
            }
            json!({ "citation": body })
        }
        // A member Bedrock's union does not have: the SDK reads it as `Unknown`.
        other => {
            let mut body = delta.clone();
            if let Some(map) = body.as_object_mut() {
                map.remove("type");
            }
            json!({ camel_case(other.trim_end_matches("_delta")): body })
        }
    })
}

/// The in-stream exception Bedrock sends for an Anthropic `error` event.
pub fn stream_exception(error_type: &str) -> &'static str {
    match error_type {
        "overloaded_error" => "serviceUnavailableException",
        "rate_limit_error" => "throttlingException",
        "api_error" => "internalServerException",
        _ => "modelStreamErrorException",
    }
}

/// Bedrock's status and `x-amzn-errortype` for an Anthropic HTTP error status.
pub fn http_status(status: u16) -> (u16, &'static str) {
    match status {
        529 | 503 => (503, "ServiceUnavailableException"),
        429 => (429, "ThrottlingException"),
        401 | 403 => (403, "AccessDeniedException"),
        404 => (404, "ResourceNotFoundException"),
        408 => (408, "ModelTimeoutException"),
        400..=499 => (status, "ValidationException"),
        _ => (status, "InternalServerException"),
    }
}

fn http_error(error: &HttpErrorLine) -> HttpReply {
    let (status, error_type) = http_status(error.status);
    error_reply(status, error_type, &error.message, error.headers.clone())
}

/// A Bedrock HTTP error: `x-amzn-errortype` and `{"message": ...}`.
pub fn error_reply(
    status: u16,
    error_type: &str,
    message: &str,
    mut headers: Vec<(String, String)>,
) -> HttpReply {
    headers.push(("x-amzn-errortype".into(), error_type.into()));
    HttpReply {
        status,
        headers,
        body: json!({ "message": message }),
    }
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
#[path = "converse_tests.rs"]
mod tests;
