//! Scenario lines as the Anthropic Messages API sends them: server-sent events
//! (`event: <type>` + one `data:` line of JSON), or an error body before the stream.

use bytes::Bytes;
use serde_json::{Value, json};

use super::plan::{HttpReply, Reply, Step};
use super::scenario::Line;

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct SseFrame {
    pub event: String,
    pub data: Value,
}

impl SseFrame {
    /// `event: <name>\ndata: <json>\n\n` (compact JSON never holds a raw newline).
    pub fn encode(&self) -> Bytes {
        Bytes::from(format!("event: {}\ndata: {}\n\n", self.event, self.data))
    }
}

/// Translates a scenario for the Anthropic API: events go out as written, except that
/// `message_start` echoes the request's `model`.
pub fn translate(lines: &[Line], model: &str, request_id: &str) -> Reply<SseFrame> {
    if let Some(Line::HttpError(error)) = lines.first() {
        return Reply::Error(error_reply(
            error.status,
            &error.error_type,
            &error.message,
            request_id,
            error.headers.clone(),
        ));
    }
    let steps = lines
        .iter()
        .filter_map(|line| match line {
            Line::Event(event) => Some(Step::Frame(frame(event, model))),
            Line::Sleep(d) => Some(Step::Sleep(*d)),
            Line::Drop => Some(Step::Drop),
            // `parse_lines` allows it only as the first line, handled above.
            Line::HttpError(_) => None,
        })
        .collect();
    Reply::Stream(steps)
}

fn frame(event: &Value, model: &str) -> SseFrame {
    let name = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut data = event.clone();
    if name == "message_start"
        && let Some(message) = data.get_mut("message").and_then(Value::as_object_mut)
    {
        message.insert("model".into(), json!(model));
    }
    SseFrame { event: name, data }
}

/// An Anthropic HTTP error: `{type: error, error: {type, message}, request_id}`.
pub fn error_reply(
    status: u16,
    error_type: &str,
    message: &str,
    request_id: &str,
    mut headers: Vec<(String, String)>,
) -> HttpReply {
    headers.push(("request-id".into(), request_id.into()));
    HttpReply {
        status,
        headers,
        body: json!({
            "type": "error",
            "error": { "type": error_type, "message": message },
            "request_id": request_id,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn builtin(name: &str) -> Vec<Line> {
        crate::mock::scenario::builtin(name).expect("a built-in scenario")
    }

    #[test]
    fn frames_are_event_and_data_lines() {
        // serde_json orders keys; the newline inside a string stays escaped on the one data line.
        let frame = SseFrame {
            event: "ping".into(),
            data: json!({"type": "ping", "t": "a\nb"}),
        };
        assert_eq!(
            &frame.encode()[..],
            b"event: ping\ndata: {\"t\":\"a\\nb\",\"type\":\"ping\"}\n\n"
        );
    }

    #[test]
    fn events_pass_through_and_message_start_echoes_the_model() {
        let Reply::Stream(steps) = translate(&builtin("text"), "claude-test-1", "req_1") else {
            panic!("a stream");
        };
        let names: Vec<_> = steps
            .iter()
            .map(|s| match s {
                Step::Frame(f) => f.event.as_str(),
                other => panic!("only frames in `text`, got {other:?}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        let Step::Frame(start) = &steps[0] else {
            unreachable!()
        };
        assert_eq!(start.data["message"]["model"], "claude-test-1");
        assert_eq!(
            start.data["message"]["usage"]["cache_read_input_tokens"],
            3400
        );
    }

    #[test]
    fn directives_become_steps() {
        let Reply::Stream(steps) = translate(&builtin("slow"), "m", "r") else {
            panic!("a stream")
        };
        let sleeps = steps
            .iter()
            .filter(|s| **s == Step::Sleep(Duration::from_millis(50)))
            .count();
        assert_eq!(sleeps, 5);
        let Reply::Stream(steps) = translate(&builtin("dropped"), "m", "r") else {
            panic!("a stream")
        };
        assert_eq!(steps.last(), Some(&Step::Drop));
        assert!(
            !steps
                .iter()
                .any(|s| matches!(s, Step::Frame(f) if f.event == "message_stop"))
        );
    }

    #[test]
    fn http_errors_carry_the_anthropic_body_and_headers() {
        let Reply::Error(reply) = translate(&builtin("rate_limited"), "m", "req_9") else {
            panic!("an error");
        };
        assert_eq!(reply.status, 429);
        assert!(reply.headers.contains(&("retry-after".into(), "1".into())));
        assert!(
            reply
                .headers
                .contains(&("request-id".into(), "req_9".into()))
        );
        assert_eq!(reply.body["type"], "error");
        assert_eq!(reply.body["error"]["type"], "rate_limit_error");
        assert_eq!(reply.body["request_id"], "req_9");
        let Reply::Error(reply) = translate(&builtin("overloaded"), "m", "r") else {
            panic!("an error")
        };
        assert_eq!(
            (reply.status, &reply.body["error"]["type"]),
            (529, &json!("overloaded_error"))
        );
    }
}
