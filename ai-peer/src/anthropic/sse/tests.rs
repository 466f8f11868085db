//! The SSE event mapping as a table: frames in, events and the closing error out.

use super::SseMapper;
use crate::{AiError, Event, StopReason, Usage};

const START: (&str, &str) = (
    "message_start",
    r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",
       "model":"claude-x","content":[],"stop_reason":null,"usage":{"input_tokens":10,
       "output_tokens":1,"cache_creation_input_tokens":20,"cache_read_input_tokens":30,
       "cache_creation":{"ephemeral_5m_input_tokens":20},"service_tier":"standard"}}}"#,
);
const STOP: (&str, &str) = ("message_stop", r#"{"type":"message_stop"}"#);

fn usage(input: u64, output: u64, write: u64, read: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        cache_write_tokens: write,
        cache_read_tokens: read,
    }
}

fn started() -> Event {
    Event::MessageStart {
        model: Some("claude-x".into()),
        usage: Some(usage(10, 1, 20, 30)),
    }
}

fn text(index: u32, s: &str) -> Event {
    Event::TextDelta {
        index,
        text: s.into(),
    }
}

/// Feeds `frames` until an error; without one, the error (if any) of the body ending there.
fn run(frames: &[(&str, &str)]) -> (Vec<Event>, Option<AiError>) {
    let mut mapper = SseMapper::new();
    let mut events = Vec::new();
    for (name, data) in frames {
        match mapper.on_event(name, data) {
            Ok(more) => events.extend(more),
            Err(e) => return (events, Some(e)),
        }
    }
    (events, mapper.on_end())
}

/// The error's variant and kind, to compare in the table.
fn describe(e: &AiError) -> String {
    match e {
        AiError::MidStream { kind, .. } => format!("MidStream({kind:?})"),
        AiError::Malformed(_) => "Malformed".into(),
        AiError::Disconnected => "Disconnected".into(),
        other => format!("{other:?}"),
    }
}

/// Name, frames, the events they give, and the closing error if any.
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<Event>,
    Option<&'static str>,
);

#[test]
fn sse_mapper_table() {
    let cases: Vec<Case> = vec![
        (
            "text: empty start and deltas skipped, ping and unknown events skipped",
            vec![
                START,
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                ),
                ("ping", r#"{"type": "ping"}"#),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}"#,
                ),
                ("brand_new_event", "not even json"),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo","new_field":1}}"#,
                ),
                (
                    "content_block_stop",
                    r#"{"type":"content_block_stop","index":0}"#,
                ),
                (
                    "message_delta",
                    r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#,
                ),
                STOP,
            ],
            vec![
                started(),
                text(0, "Hel"),
                text(0, "lo"),
                Event::BlockStop { index: 0 },
                Event::MessageDelta {
                    stop_reason: Some(StopReason::EndTurn),
                    usage: usage(10, 15, 20, 30),
                },
                Event::MessageStop,
            ],
            None,
        ),
        (
            "a non-empty initial text is a delta; frames without event names use the JSON type",
            vec![
                (
                    "message",
                    r#"{"type":"content_block_start","index":2,"content_block":{"type":"text","text":"Hi"}}"#,
                ),
                ("", r#"{"type":"message_stop"}"#),
            ],
            vec![text(2, "Hi"), Event::MessageStop],
            None,
        ),
        (
            "tool use: start, empty fragment skipped, fragments, stop",
            vec![
                START,
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"str_replace","input":{}}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}}"#,
                ),
                (
                    "content_block_stop",
                    r#"{"type":"content_block_stop","index":1}"#,
                ),
                (
                    "message_delta",
                    r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"input_tokens":11,"output_tokens":40,"cache_read_input_tokens":0}}"#,
                ),
                (
                    "message_delta",
                    r#"{"type":"message_delta","delta":{"stop_reason":"brand_new"}}"#,
                ),
                STOP,
            ],
            vec![
                started(),
                Event::ToolUseStart {
                    index: 1,
                    id: "toolu_1".into(),
                    name: "str_replace".into(),
                },
                Event::ToolInputDelta {
                    index: 1,
                    partial_json: "{\"a\":".into(),
                },
                Event::ToolInputDelta {
                    index: 1,
                    partial_json: "1}".into(),
                },
                Event::BlockStop { index: 1 },
                Event::MessageDelta {
                    stop_reason: Some(StopReason::ToolUse),
                    usage: usage(11, 40, 20, 0),
                },
                Event::MessageDelta {
                    stop_reason: Some(StopReason::Other("brand_new".into())),
                    usage: usage(11, 40, 20, 0),
                },
                Event::MessageStop,
            ],
            None,
        ),
        (
            "thinking and server-tool blocks, and unknown delta types, are skipped entirely",
            vec![
                (
                    "message_start",
                    r#"{"type":"message_start","message":{"model":"claude-x"}}"#,
                ),
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"leak"}}"#,
                ),
                (
                    "content_block_stop",
                    r#"{"type":"content_block_stop","index":0}"#,
                ),
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":1,"content_block":{"type":"server_tool_use","id":"srv","name":"web_search"}}"#,
                ),
                (
                    "content_block_stop",
                    r#"{"type":"content_block_stop","index":1}"#,
                ),
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":2,"delta":{"type":"citations_delta","citation":{}}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"ok"}}"#,
                ),
                (
                    "content_block_stop",
                    r#"{"type":"content_block_stop","index":2}"#,
                ),
                (
                    "message_delta",
                    r#"{"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":3}}"#,
                ),
                STOP,
            ],
            vec![
                Event::MessageStart {
                    model: Some("claude-x".into()),
                    usage: Some(Usage::default()),
                },
                text(2, "ok"),
                Event::BlockStop { index: 2 },
                Event::MessageDelta {
                    stop_reason: None,
                    usage: usage(0, 3, 0, 0),
                },
                Event::MessageStop,
            ],
            None,
        ),
        (
            "anything after message_stop is ignored, even errors",
            vec![
                STOP,
                (
                    "error",
                    r#"{"type":"error","error":{"type":"api_error","message":"x"}}"#,
                ),
                STOP,
            ],
            vec![Event::MessageStop],
            None,
        ),
        (
            "the body ending before message_stop",
            vec![
                START,
                (
                    "content_block_delta",
                    r#"{"index":0,"delta":{"type":"text_delta","text":"a"}}"#,
                ),
            ],
            vec![started(), text(0, "a")],
            Some("Disconnected"),
        ),
        ("an empty body", vec![], vec![], Some("Disconnected")),
        (
            "overloaded mid-stream",
            vec![
                START,
                (
                    "error",
                    r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                ),
                STOP,
            ],
            vec![started()],
            Some("MidStream(Overloaded)"),
        ),
        (
            "rate limited mid-stream",
            vec![(
                "error",
                r#"{"error":{"type":"rate_limit_error","message":""}}"#,
            )],
            vec![],
            Some("MidStream(RateLimited)"),
        ),
        (
            "api error mid-stream",
            vec![("error", r#"{"error":{"type":"api_error","message":""}}"#)],
            vec![],
            Some("MidStream(Server)"),
        ),
        (
            "invalid request mid-stream",
            vec![(
                "error",
                r#"{"error":{"type":"invalid_request_error","message":""}}"#,
            )],
            vec![],
            Some("MidStream(InvalidRequest)"),
        ),
        (
            "unknown error type mid-stream",
            vec![("error", r#"{"error":{"type":"new_error","message":""}}"#)],
            vec![],
            Some("MidStream(Other)"),
        ),
        (
            "unreadable error payload",
            vec![("error", "boom")],
            vec![],
            Some("MidStream(Other)"),
        ),
        (
            "data that is not JSON",
            vec![START, ("content_block_delta", "{\"index\":0,")],
            vec![started()],
            Some("Malformed"),
        ),
        (
            "message_start without a model",
            vec![("message_start", r#"{"message":{"usage":{}}}"#)],
            vec![],
            Some("Malformed"),
        ),
        (
            "a delta without an index",
            vec![(
                "content_block_delta",
                r#"{"delta":{"type":"text_delta","text":"a"}}"#,
            )],
            vec![],
            Some("Malformed"),
        ),
        (
            "a text_delta without text",
            vec![(
                "content_block_delta",
                r#"{"index":0,"delta":{"type":"text_delta"}}"#,
            )],
            vec![],
            Some("Malformed"),
        ),
        (
            "an input_json_delta without partial_json",
            vec![(
                "content_block_delta",
                r#"{"index":0,"delta":{"type":"input_json_delta"}}"#,
            )],
            vec![],
            Some("Malformed"),
        ),
        (
            "a tool_use block without an id",
            vec![(
                "content_block_start",
                r#"{"index":0,"content_block":{"type":"tool_use","name":"x"}}"#,
            )],
            vec![],
            Some("Malformed"),
        ),
        (
            "a nameless frame without a type",
            vec![("message", "{}")],
            vec![],
            Some("Malformed"),
        ),
    ];
    for (name, frames, want_events, want_error) in cases {
        let (events, error) = run(&frames);
        assert_eq!(events, want_events, "{name}");
        assert_eq!(
            error.as_ref().map(describe).as_deref(),
            want_error,
            "{name}: {error:?}"
        );
    }
}

#[test]
fn done_only_after_message_stop() {
    let mut mapper = SseMapper::new();
    mapper.on_event(START.0, START.1).expect("start");
    assert!(!mapper.is_done());
    mapper.on_event(STOP.0, STOP.1).expect("stop");
    assert!(mapper.is_done());
    assert!(mapper.on_end().is_none());
}
