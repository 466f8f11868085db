//! The SSE body adapter: any chunking gives the same events, each as soon as its frame is
//! complete, and early ends, failures and silence end the stream with one error.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt, stream};

use super::events;
use crate::{AiError, Event, StopReason, Usage};

const IDLE: Duration = Duration::from_secs(60);

/// A text block then a tool call whose input fragments split inside strings, escapes and a
/// multi-byte character, with a ping, a comment and an unknown event among them; a frame after
/// `message_stop` that must be ignored.
pub(crate) const TRANSCRIPT: &str = r##"event: message_start
data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":1024,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":2,"service_tier":"standard"}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Sure, I’ll edit "}}

: a comment line
event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a.rs:\n"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"str_replace","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"path\":\"a"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":".rs\",\"new_str\":\"fn main() {\\"}}

event: future_event
data: {"type":"future_event","detail":{"x":1}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"n    println!(\\"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"hé \\"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\\ ok\\\""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":");\\n}\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

event: error
data: {"type":"error","error":{"type":"api_error","message":"after the end"}}

"##;

/// The events [`TRANSCRIPT`] must give.
pub(crate) fn transcript_events() -> Vec<Event> {
    let fragments = [
        "{\"path\":\"a",
        ".rs\",\"new_str\":\"fn main() {\\",
        "n    println!(\\",
        "\"hé \\",
        "\\ ok\\\"",
        ");\\n}\"}",
    ];
    let usage = Usage {
        input_tokens: 472,
        output_tokens: 2,
        cache_write_tokens: 0,
        cache_read_tokens: 1024,
    };
    let mut events = vec![
        Event::MessageStart {
            model: Some("claude-haiku-4-5".into()),
            usage: Some(usage),
        },
        Event::TextDelta {
            index: 0,
            text: "Sure, I’ll edit ".into(),
        },
        Event::TextDelta {
            index: 0,
            text: "a.rs:\n".into(),
        },
        Event::BlockStop { index: 0 },
        Event::ToolUseStart {
            index: 1,
            id: "toolu_01".into(),
            name: "str_replace".into(),
        },
    ];
    events.extend(fragments.iter().map(|f| Event::ToolInputDelta {
        index: 1,
        partial_json: (*f).into(),
    }));
    events.extend([
        Event::BlockStop { index: 1 },
        Event::MessageDelta {
            stop_reason: Some(StopReason::ToolUse),
            usage: Usage {
                output_tokens: 89,
                ..usage
            },
        },
        Event::MessageStop,
    ]);
    events
}

/// Every item of the stream, errors by their display text.
async fn collect(chunks: Vec<Vec<u8>>) -> Vec<Result<Event, String>> {
    let body = stream::iter(
        chunks
            .into_iter()
            .map(|c| Ok::<_, Infallible>(Bytes::from(c))),
    );
    events(body, IDLE)
        .map(|item| item.map_err(|e| e.to_string()))
        .collect()
        .await
}

fn chunked(bytes: &[u8], sizes: impl IntoIterator<Item = usize>) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut rest = bytes;
    let mut sizes = sizes.into_iter();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (head, tail) = rest.split_at(n);
        chunks.push(head.to_vec());
        rest = tail;
    }
    chunks
}

#[test]
fn the_tool_input_fragments_make_the_input() {
    let json: String = transcript_events()
        .iter()
        .filter_map(|e| match e {
            Event::ToolInputDelta { partial_json, .. } => Some(partial_json.as_str()),
            _ => None,
        })
        .collect();
    let input: serde_json::Value = serde_json::from_str(&json).expect("whole input is JSON");
    assert_eq!(
        input["new_str"],
        "fn main() {\n    println!(\"hé \\ ok\");\n}"
    );
}

#[tokio::test]
async fn every_chunking_gives_the_same_events() {
    let want: Vec<Result<Event, String>> = transcript_events().into_iter().map(Ok).collect();
    let crlf = TRANSCRIPT.replace('\n', "\r\n");
    assert!(crlf.contains("\r\n\r\n"));
    for text in [TRANSCRIPT, crlf.as_str()] {
        let bytes = text.as_bytes();
        let mut chunkings: Vec<Vec<Vec<u8>>> = vec![vec![bytes.to_vec()]];
        chunkings
            .extend([1, 2, 3, 5, 7, 13, 64, 1000].map(|n| chunked(bytes, std::iter::repeat(n))));
        // Every cut point once: inside `\r\n`, inside `é` and `’`, inside escapes.
        chunkings.extend((1..bytes.len()).map(|at| chunked(bytes, [at])));
        // Irregular sizes from a fixed linear congruential sequence.
        let mut seed = 0x2545_f491_u64;
        for _ in 0..50 {
            let sizes: Vec<usize> = (0..bytes.len())
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    1 + (seed >> 33) as usize % 40
                })
                .collect();
            chunkings.push(chunked(bytes, sizes));
        }
        for chunks in chunkings {
            let cuts: Vec<usize> = chunks.iter().map(Vec::len).collect();
            assert_eq!(collect(chunks).await, want, "chunk sizes {cuts:?}");
        }
    }
}

/// A body fed by hand, one piece at a time, that stays open until the sender is dropped.
fn channel_body() -> (
    tokio::sync::mpsc::UnboundedSender<Result<Bytes, String>>,
    impl futures_util::Stream<Item = Result<Bytes, String>> + Send + 'static,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let body = stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (tx, body)
}

#[tokio::test]
async fn each_event_is_yielded_as_soon_as_its_frame_is_complete() {
    let (tx, body) = channel_body();
    let mut stream = events(body, IDLE);
    let frames: Vec<&str> = TRANSCRIPT.split_inclusive("\n\n").collect();
    let send = |s: &str| {
        tx.send(Ok(Bytes::copy_from_slice(s.as_bytes())))
            .expect("open")
    };

    send(frames[0]);
    let first = stream
        .next()
        .now_or_never()
        .expect("ready without more bytes");
    assert!(
        matches!(first, Some(Ok(Event::MessageStart { .. }))),
        "{first:?}"
    );

    // The text block's start gives no event; half of the next frame is not enough.
    let delta = frames[3];
    send(frames[1]);
    send(frames[2]);
    send(&delta[..delta.len() / 2]);
    assert!(
        stream.next().now_or_never().is_none(),
        "nothing to yield yet"
    );
    send(&delta[delta.len() / 2..]);
    let text = stream
        .next()
        .now_or_never()
        .expect("ready once the frame is complete");
    assert!(
        matches!(text, Some(Ok(Event::TextDelta { index: 0, .. }))),
        "{text:?}"
    );
}

#[tokio::test]
async fn silence_past_the_idle_timeout_disconnects() {
    tokio::time::pause();
    let (tx, body) = channel_body();
    let frames: Vec<&str> = TRANSCRIPT.split_inclusive("\n\n").collect();
    for frame in &frames[..4] {
        tx.send(Ok(Bytes::copy_from_slice(frame.as_bytes())))
            .expect("open");
    }
    let start = tokio::time::Instant::now();
    let mut stream = events(body, IDLE);
    let mut got = Vec::new();
    while let Some(item) = stream.next().await {
        got.push(item);
    }
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(matches!(got[1], Ok(Event::TextDelta { .. })), "{got:?}");
    assert!(matches!(got[2], Err(AiError::Disconnected)), "{got:?}");
    // The idle timeout after the last frame (virtual time; timers round up to the millisecond).
    let waited = start.elapsed();
    assert!(
        waited >= IDLE && waited < IDLE + Duration::from_secs(1),
        "{waited:?}"
    );
    drop(tx);
}

type Body = Vec<Result<Bytes, String>>;

#[tokio::test]
async fn failures_end_the_stream_after_the_events_received() {
    let start = TRANSCRIPT
        .split_inclusive("\n\n")
        .next()
        .unwrap_or_default();
    let cases: Vec<(&str, Body, &str)> = vec![
        (
            "connection reset",
            vec![Ok(Bytes::from(start)), Err("reset".into())],
            "Disconnected",
        ),
        (
            "clean end before message_stop",
            vec![Ok(Bytes::from(start))],
            "Disconnected",
        ),
        (
            "not UTF-8",
            vec![
                Ok(Bytes::from(start)),
                Ok(Bytes::from_static(b"data: \xff\xfe\n\n")),
            ],
            "Malformed",
        ),
        (
            "not JSON",
            vec![
                Ok(Bytes::from(start)),
                Ok(Bytes::from_static(b"event: message_delta\ndata: {\n\n")),
            ],
            "Malformed",
        ),
    ];
    for (name, body, want) in cases {
        let got: Vec<_> = events(stream::iter(body), IDLE).collect().await;
        assert_eq!(got.len(), 2, "{name}: {got:?}");
        assert!(
            matches!(got[0], Ok(Event::MessageStart { .. })),
            "{name}: {got:?}"
        );
        let error = format!("{:?}", got[1]);
        assert!(error.starts_with(&format!("Err({want}")), "{name}: {error}");
    }
}
