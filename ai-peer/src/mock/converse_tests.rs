//! Tests of the Anthropic-to-ConverseStream translation, event by event and for whole scenarios.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;

fn builtin(name: &str) -> Vec<Line> {
    crate::mock::scenario::builtin(name).expect("a built-in scenario")
}

fn frames(lines: &[Line]) -> Vec<EsFrame> {
    let Ok(Reply::Stream(steps)) = translate(lines) else {
        panic!("a stream")
    };
    steps
        .into_iter()
        .filter_map(|s| match s {
            Step::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn one(event: Value) -> Vec<EsFrame> {
    frames(&[Line::Event(event)])
}

#[test]
fn each_event_translates_as_bedrock_sends_it() {
    let table: Vec<(Value, Vec<EsFrame>)> = vec![
        (
            json!({"type": "message_start", "message": {"role": "assistant", "usage": {}}}),
            vec![EsFrame::event("messageStart", json!({"role": "assistant"}))],
        ),
        (
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            vec![],
        ),
        (
            json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "read", "input": {}}}),
            vec![EsFrame::event(
                "contentBlockStart",
                json!({"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "toolu_1", "name": "read"}}}),
            )],
        ),
        (
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi"}}),
            vec![EsFrame::event(
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"text": "hi"}}),
            )],
        ),
        (
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"a"}}),
            vec![EsFrame::event(
                "contentBlockDelta",
                json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"a"}}}),
            )],
        ),
        (
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}}),
            vec![EsFrame::event(
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "hmm"}}}),
            )],
        ),
        (
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "citations_delta", "citation": {"cited_text": "x", "document_title": "d"}}}),
            vec![EsFrame::event(
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"citation": {"title": "d", "sourceContent": [{"text": "x"}]}}}),
            )],
        ),
        (
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "new_thing_delta", "v": 1}}),
            vec![EsFrame::event(
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"newThing": {"v": 1}}}),
            )],
        ),
        (
            json!({"type": "content_block_stop", "index": 3}),
            vec![EsFrame::event(
                "contentBlockStop",
                json!({"contentBlockIndex": 3}),
            )],
        ),
        (
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 5}}),
            vec![EsFrame::event(
                "messageStop",
                json!({"stopReason": "tool_use"}),
            )],
        ),
        (json!({"type": "ping"}), vec![]),
        (
            json!({"type": "future_event", "x": 1}),
            vec![EsFrame::event("futureEvent", json!({"x": 1}))],
        ),
    ];
    for (event, expected) in table {
        assert_eq!(one(event.clone()), expected, "{event}");
    }
}

#[test]
fn error_events_become_exceptions() {
    let table = [
        ("overloaded_error", "serviceUnavailableException"),
        ("rate_limit_error", "throttlingException"),
        ("api_error", "internalServerException"),
        ("invalid_request_error", "modelStreamErrorException"),
    ];
    for (error_type, exception) in table {
        let frames =
            one(json!({"type": "error", "error": {"type": error_type, "message": "boom"}}));
        assert_eq!(
            frames,
            vec![EsFrame::exception(exception, json!({"message": "boom"}))]
        );
    }
}

#[test]
fn metadata_carries_the_merged_cumulative_usage_and_the_latency() {
    let lines = vec![
        Line::Event(
            json!({"type": "message_start", "message": {"role": "assistant", "usage": {
            "input_tokens": 10, "output_tokens": 1,
            "cache_creation_input_tokens": 20, "cache_read_input_tokens": 30}}}),
        ),
        Line::Sleep(Duration::from_millis(7)),
        Line::Event(
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}}),
        ),
        Line::Sleep(Duration::from_millis(5)),
        Line::Event(
            json!({"type": "message_delta", "delta": {}, "usage": {"output_tokens": 9, "input_tokens": 11}}),
        ),
        Line::Event(json!({"type": "message_stop"})),
    ];
    let frames = frames(&lines);
    assert_eq!(
        frames.len(),
        3,
        "one messageStop: a delta without stop_reason only updates usage"
    );
    assert_eq!(
        frames[2],
        EsFrame::event(
            "metadata",
            json!({
                "usage": {"inputTokens": 11, "outputTokens": 9, "totalTokens": 70,
                          "cacheReadInputTokens": 30, "cacheWriteInputTokens": 20},
                "metrics": {"latencyMs": 12}
            })
        )
    );
}

#[test]
fn http_errors_map_to_bedrock_statuses_and_error_types() {
    let table = [
        (529, 503, "ServiceUnavailableException"),
        (429, 429, "ThrottlingException"),
        (500, 500, "InternalServerException"),
        (400, 400, "ValidationException"),
        (401, 403, "AccessDeniedException"),
        (403, 403, "AccessDeniedException"),
    ];
    for (anthropic, status, error_type) in table {
        let line = Line::HttpError(HttpErrorLine {
            status: anthropic,
            headers: vec![("retry-after".into(), "2".into())],
            error_type: "whatever".into(),
            message: "no".into(),
        });
        let Ok(Reply::Error(reply)) = translate(&[line]) else {
            panic!("an error")
        };
        assert_eq!(reply.status, status, "{anthropic}");
        assert!(
            reply
                .headers
                .contains(&("x-amzn-errortype".into(), error_type.into()))
        );
        assert!(reply.headers.contains(&("retry-after".into(), "2".into())));
        assert_eq!(reply.body, json!({"message": "no"}));
    }
}

#[test]
fn builtin_scenarios_translate_to_the_expected_event_sequences() {
    let names = |name: &str| -> Vec<String> {
        frames(&builtin(name))
            .into_iter()
            .map(|f| match f {
                EsFrame::Event { event_type, .. } => event_type,
                EsFrame::Exception { exception_type, .. } => format!("!{exception_type}"),
            })
            .collect()
    };
    let table: [(&str, &[&str]); 5] = [
        (
            "text",
            &[
                "messageStart",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockStop",
                "messageStop",
                "metadata",
            ],
        ),
        (
            "multi_block",
            &[
                "messageStart",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockStop",
                "contentBlockStart",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockStop",
                "messageStop",
                "metadata",
            ],
        ),
        (
            "mid_stream_error",
            &[
                "messageStart",
                "contentBlockDelta",
                "contentBlockDelta",
                "!serviceUnavailableException",
            ],
        ),
        (
            "dropped",
            &["messageStart", "contentBlockDelta", "contentBlockDelta"],
        ),
        (
            "unknown_events",
            &[
                "messageStart",
                "futureEvent",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockDelta",
                "contentBlockStop",
                "messageStop",
                "metadata",
            ],
        ),
    ];
    for (name, expected) in table {
        assert_eq!(names(name), expected, "{name}");
    }
    let Ok(Reply::Stream(steps)) = translate(&builtin("dropped")) else {
        panic!("a stream")
    };
    assert_eq!(steps.last(), Some(&Step::Drop));
}

#[test]
fn tool_input_fragments_survive_translation_unchanged() {
    let input: String = frames(&builtin("tool_call"))
        .iter()
        .filter_map(|f| match f {
            EsFrame::Event { payload, .. } => payload.pointer("/delta/toolUse/input")?.as_str(),
            EsFrame::Exception { .. } => None,
        })
        .collect();
    let parsed: Value = serde_json::from_str(&input).expect("the fragments join to JSON");
    assert_eq!(parsed["path"], "notes/café.md");
    assert_eq!(parsed["old_str"], "say \"hi\"\nbye");
}

#[test]
fn known_events_missing_required_fields_are_refused() {
    for event in [
        json!({"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t"}}),
        json!({"type": "message_start"}),
    ] {
        assert!(translate(&[Line::Event(event.clone())]).is_err(), "{event}");
    }
}
