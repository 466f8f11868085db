//! Table tests of `StreamMapper`, fed with SDK values built by their builders.
#![allow(
    clippy::result_large_err,
    reason = "the helpers build what `EventReceiver::recv` returns"
)]

use aws_sdk_bedrockruntime::error::ConnectorError;
use aws_sdk_bedrockruntime::types::error::ThrottlingException;
use aws_sdk_bedrockruntime::types::{
    CitationsDelta, ContentBlockDeltaEvent, ContentBlockStartEvent, ContentBlockStopEvent,
    ConversationRole, ConverseStreamMetadataEvent, MessageStartEvent, MessageStopEvent,
    ReasoningContentBlockDelta, StopReason as SdkStopReason, ToolUseBlockDelta, ToolUseBlockStart,
};
use aws_smithy_types::event_stream::Message;
use bytes::Bytes;

use super::*;
use crate::ErrorKind;

fn start() -> Received {
    let event = MessageStartEvent::builder()
        .role(ConversationRole::Assistant)
        .build()
        .unwrap();
    Ok(Some(ConverseStreamOutput::MessageStart(event)))
}

fn delta(index: i32, delta: ContentBlockDelta) -> Received {
    let event = ContentBlockDeltaEvent::builder()
        .content_block_index(index)
        .delta(delta)
        .build()
        .unwrap();
    Ok(Some(ConverseStreamOutput::ContentBlockDelta(event)))
}

fn text(index: i32, s: &str) -> Received {
    delta(index, ContentBlockDelta::Text(s.into()))
}

fn tool_input(index: i32, s: &str) -> Received {
    delta(
        index,
        ContentBlockDelta::ToolUse(ToolUseBlockDelta::builder().input(s).build().unwrap()),
    )
}

fn tool_start(index: i32, id: &str, name: &str) -> Received {
    let tool = ToolUseBlockStart::builder()
        .tool_use_id(id)
        .name(name)
        .build()
        .unwrap();
    let event = ContentBlockStartEvent::builder()
        .content_block_index(index)
        .start(ContentBlockStart::ToolUse(tool))
        .build()
        .unwrap();
    Ok(Some(ConverseStreamOutput::ContentBlockStart(event)))
}

fn block_stop(index: i32) -> Received {
    let event = ContentBlockStopEvent::builder()
        .content_block_index(index)
        .build()
        .unwrap();
    Ok(Some(ConverseStreamOutput::ContentBlockStop(event)))
}

fn message_stop(reason: SdkStopReason) -> Received {
    let event = MessageStopEvent::builder()
        .stop_reason(reason)
        .build()
        .unwrap();
    Ok(Some(ConverseStreamOutput::MessageStop(event)))
}

fn metadata(
    input: i32,
    output: i32,
    cache_write: Option<i32>,
    cache_read: Option<i32>,
) -> Received {
    let usage = TokenUsage::builder()
        .input_tokens(input)
        .output_tokens(output)
        .total_tokens(input + output)
        .set_cache_write_input_tokens(cache_write)
        .set_cache_read_input_tokens(cache_read)
        .build()
        .unwrap();
    Ok(Some(ConverseStreamOutput::Metadata(
        ConverseStreamMetadataEvent::builder().usage(usage).build(),
    )))
}

/// Our events, with errors reduced to what the tables compare.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Ev(Event),
    Disconnected,
    MidStream(ErrorKind),
    Malformed,
}

fn run(items: Vec<Received>) -> Vec<Out> {
    let mut mapper = StreamMapper::default();
    let mut out = Vec::new();
    for item in items {
        if mapper.is_finished() {
            break;
        }
        out.extend(mapper.step(item).into_iter().map(|r| match r {
            Ok(event) => Out::Ev(event),
            Err(AiError::Disconnected) => Out::Disconnected,
            Err(AiError::MidStream { kind, .. }) => Out::MidStream(kind),
            Err(AiError::Malformed(_)) => Out::Malformed,
            Err(other) => panic!("unexpected {other:?}"),
        }));
    }
    out
}

fn ev(event: Event) -> Out {
    Out::Ev(event)
}

fn message_start() -> Out {
    ev(Event::MessageStart {
        model: None,
        usage: None,
    })
}

fn end(stop_reason: Option<StopReason>, usage: Usage) -> [Out; 2] {
    [
        ev(Event::MessageDelta { stop_reason, usage }),
        ev(Event::MessageStop),
    ]
}

fn text_delta(index: u32, s: &str) -> Out {
    ev(Event::TextDelta {
        index,
        text: s.into(),
    })
}

#[test]
fn text_answer_with_usage() {
    let usage = Usage {
        input_tokens: 5,
        output_tokens: 2,
        cache_write_tokens: 0,
        cache_read_tokens: 0,
    };
    let got = run(vec![
        start(),
        text(0, "Hi"),
        text(0, ""),
        text(0, " there"),
        block_stop(0),
        message_stop(SdkStopReason::EndTurn),
        metadata(5, 2, None, None),
    ]);
    let mut expected = vec![
        message_start(),
        text_delta(0, "Hi"),
        text_delta(0, " there"),
        ev(Event::BlockStop { index: 0 }),
    ];
    expected.extend(end(Some(StopReason::EndTurn), usage));
    assert_eq!(got, expected);
}

#[test]
fn text_then_tool_use_with_cache_usage() {
    let got = run(vec![
        start(),
        text(0, "Let me edit."),
        block_stop(0),
        tool_start(1, "tooluse_1", "str_replace"),
        tool_input(1, ""),
        tool_input(1, "{\"old_str\":"),
        tool_input(1, "\"a\"}"),
        block_stop(1),
        message_stop(SdkStopReason::ToolUse),
        metadata(10, 20, Some(300), Some(4000)),
    ]);
    let usage = Usage {
        input_tokens: 10,
        output_tokens: 20,
        cache_write_tokens: 300,
        cache_read_tokens: 4000,
    };
    let mut expected = vec![
        message_start(),
        text_delta(0, "Let me edit."),
        ev(Event::BlockStop { index: 0 }),
        ev(Event::ToolUseStart {
            index: 1,
            id: "tooluse_1".into(),
            name: "str_replace".into(),
        }),
        ev(Event::ToolInputDelta {
            index: 1,
            partial_json: "{\"old_str\":".into(),
        }),
        ev(Event::ToolInputDelta {
            index: 1,
            partial_json: "\"a\"}".into(),
        }),
        ev(Event::BlockStop { index: 1 }),
    ];
    expected.extend(end(Some(StopReason::ToolUse), usage));
    assert_eq!(got, expected);
}

#[test]
fn blocks_we_do_not_map_are_skipped_with_their_stops() {
    let reasoning =
        ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text("hmm".into()));
    let citation = ContentBlockDelta::Citation(CitationsDelta::builder().build());
    let got = run(vec![
        start(),
        delta(0, reasoning),
        block_stop(0),
        text(1, "x"),
        delta(1, citation),
        block_stop(1),
        text(2, ""),
        block_stop(2),
        block_stop(1),
        message_stop(SdkStopReason::from("pause_turn")),
        metadata(1, 1, None, None),
    ]);
    let usage = Usage {
        input_tokens: 1,
        output_tokens: 1,
        ..Usage::default()
    };
    let mut expected = vec![
        message_start(),
        text_delta(1, "x"),
        ev(Event::BlockStop { index: 1 }),
    ];
    expected.extend(end(Some(StopReason::PauseTurn), usage));
    assert_eq!(got, expected);
}

#[test]
fn stop_reasons_map_from_the_sdk_enum() {
    let cases = [
        (SdkStopReason::EndTurn, StopReason::EndTurn),
        (SdkStopReason::MaxTokens, StopReason::MaxTokens),
        (SdkStopReason::StopSequence, StopReason::StopSequence),
        (SdkStopReason::ToolUse, StopReason::ToolUse),
        (
            SdkStopReason::GuardrailIntervened,
            StopReason::Other("guardrail_intervened".into()),
        ),
        (
            SdkStopReason::ContentFiltered,
            StopReason::Other("content_filtered".into()),
        ),
        (
            SdkStopReason::from("something_new"),
            StopReason::Other("something_new".into()),
        ),
    ];
    for (sdk, ours) in cases {
        let got = run(vec![start(), message_stop(sdk), metadata(0, 0, None, None)]);
        assert_eq!(
            got[1],
            ev(Event::MessageDelta {
                stop_reason: Some(ours),
                usage: Usage::default()
            })
        );
    }
}

#[test]
fn how_the_stream_can_end() {
    let reset = || std::io::Error::from(std::io::ErrorKind::ConnectionReset);
    let throttled = ConverseStreamOutputError::ThrottlingException(
        ThrottlingException::builder().message("slow down").build(),
    );
    let raw = RawMessage::Decoded(Message::new(Bytes::new()));
    let cases: Vec<(Vec<Received>, Vec<Out>)> = vec![
        // Body ends after messageStop without metadata: zero usage, then the stop.
        (
            vec![
                start(),
                text(0, "a"),
                message_stop(SdkStopReason::MaxTokens),
                Ok(None),
            ],
            [
                vec![message_start(), text_delta(0, "a")],
                end(Some(StopReason::MaxTokens), Usage::default()).into(),
            ]
            .concat(),
        ),
        // Body ends before messageStop.
        (
            vec![start(), text(0, "a"), Ok(None)],
            vec![message_start(), text_delta(0, "a"), Out::Disconnected],
        ),
        (vec![Ok(None)], vec![Out::Disconnected]),
        // Metadata without messageStop still ends the message, with no reason.
        (vec![start(), metadata(3, 4, None, None)], {
            let usage = Usage {
                input_tokens: 3,
                output_tokens: 4,
                ..Usage::default()
            };
            [vec![message_start()], end(None, usage).into()].concat()
        }),
        // An in-stream exception is the last item.
        (
            vec![
                start(),
                Err(SdkError::service_error(throttled, raw)),
                text(0, "never"),
            ],
            vec![message_start(), Out::MidStream(ErrorKind::RateLimited)],
        ),
        // A transport failure mid-way.
        (
            vec![
                start(),
                text(0, "a"),
                Err(SdkError::dispatch_failure(ConnectorError::io(Box::new(
                    reset(),
                )))),
            ],
            vec![message_start(), text_delta(0, "a"), Out::Disconnected],
        ),
        // Nothing after metadata is read.
        (
            vec![
                start(),
                message_stop(SdkStopReason::EndTurn),
                metadata(0, 0, None, None),
                text(0, "late"),
            ],
            [
                vec![message_start()],
                end(Some(StopReason::EndTurn), Usage::default()).into(),
            ]
            .concat(),
        ),
        (
            vec![start(), text(-1, "a")],
            vec![message_start(), Out::Malformed],
        ),
    ];
    for (items, expected) in cases {
        assert_eq!(run(items), expected);
    }
}

#[test]
fn a_finished_mapper_yields_nothing_more() {
    let mut mapper = StreamMapper::default();
    assert_eq!(mapper.step(Ok(None)).len(), 1);
    assert!(mapper.is_finished());
    assert!(mapper.step(text(0, "late")).is_empty());
    assert!(mapper.step(Ok(None)).is_empty());
}
