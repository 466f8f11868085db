//! The real SDK client against the loopback fixture: the signed request on the wire, events
//! as they arrive, in-stream exceptions, HTTP errors, cut connections.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::loopback_fixture::{Reply, event, frame, message_start, serve, text};
use super::*;
use crate::{Block, ErrorKind, Event, Message, StopReason, SystemBlock, Tool, Usage};

/// Guards every wait on the SDK so a regression fails instead of hanging.
const GUARD: Duration = Duration::from_secs(10);

async fn provider(endpoint: &str) -> BedrockProvider {
    BedrockProvider::new(BedrockConfig {
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.to_owned()),
        access_key_id: Some("AKIDTEST".into()),
        secret_access_key: Some("secret".into()),
        ..BedrockConfig::default()
    })
    .await
    .unwrap()
}

async fn next(stream: &mut EventStream) -> Option<Result<Event, AiError>> {
    tokio::time::timeout(GUARD, stream.next())
        .await
        .expect("the stream stalled")
}

async fn open(provider: &BedrockProvider, request: &Request) -> Result<EventStream, AiError> {
    tokio::time::timeout(
        GUARD,
        provider.open(request, "us.anthropic.claude-sonnet-5-5"),
    )
    .await
    .expect("open stalled")
}

fn edit_request() -> Request {
    Request {
        system: vec![
            SystemBlock::Text("You edit files.".into()),
            SystemBlock::CachePoint,
        ],
        messages: vec![
            Message::user(vec![Block::Text("Fix it".into()), Block::CachePoint]),
            Message::assistant(vec![Block::ToolUse {
                id: "tu_1".into(),
                name: "str_replace".into(),
                input: json!({"old_str": "a", "line": 3}),
            }]),
            Message::user(vec![Block::ToolResult {
                tool_use_id: "tu_1".into(),
                content: "applied".into(),
                is_error: true,
            }]),
        ],
        tools: vec![Tool {
            name: "str_replace".into(),
            description: "Replace text".into(),
            input_schema: json!({"type": "object", "properties": {"old_str": {"type": "string"}}}),
            edits: true,
            eager_input_streaming: false,
        }],
        cache_tools: true,
        max_tokens: 256,
        temperature: None,
        stop_sequences: vec!["</done>".into()],
    }
}

#[tokio::test]
async fn a_signed_request_streams_events_as_they_arrive() {
    let (release, gate) = oneshot::channel();
    let mut fixture = serve(Reply::Stream {
        first: vec![message_start(), text(0, "Hi")],
        gate: Some(gate),
        rest: vec![
            text(0, " there"),
            event("contentBlockStop", json!({"contentBlockIndex": 0})),
            event("messageStop", json!({"stopReason": "end_turn"})),
            event(
                "metadata",
                json!({"usage": {"inputTokens": 5, "outputTokens": 2, "totalTokens": 7,
                                 "cacheReadInputTokens": 100, "cacheWriteInputTokens": 10},
                       "metrics": {"latencyMs": 1}}),
            ),
        ],
        cut: None,
    })
    .await;
    let provider = provider(&fixture.endpoint).await;
    let model = "anthropic.claude-haiku-4-5-20251001-v1:0";
    let mut stream = tokio::time::timeout(GUARD, provider.open(&edit_request(), model))
        .await
        .unwrap()
        .unwrap();

    // The first delta arrives while the fixture still holds the rest back: nothing buffers.
    assert_eq!(
        next(&mut stream).await.unwrap().unwrap(),
        Event::MessageStart {
            model: None,
            usage: None
        }
    );
    assert_eq!(
        next(&mut stream).await.unwrap().unwrap(),
        Event::TextDelta {
            index: 0,
            text: "Hi".into()
        }
    );
    release.send(()).unwrap();
    let mut rest = Vec::new();
    while let Some(item) = next(&mut stream).await {
        rest.push(item.unwrap());
    }
    let usage = Usage {
        input_tokens: 5,
        output_tokens: 2,
        cache_write_tokens: 10,
        cache_read_tokens: 100,
    };
    assert_eq!(
        rest,
        vec![
            Event::TextDelta {
                index: 0,
                text: " there".into()
            },
            Event::BlockStop { index: 0 },
            Event::MessageDelta {
                stop_reason: Some(StopReason::EndTurn),
                usage
            },
            Event::MessageStop,
        ]
    );

    let seen = fixture.seen.recv().await.unwrap();
    assert_eq!(
        seen.request_line,
        "POST /model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream HTTP/1.1"
    );
    let auth = seen.header("authorization").unwrap_or_default();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"),
        "{auth}"
    );
    assert!(auth.contains("/us-east-1/bedrock/aws4_request"), "{auth}");
    assert_eq!(seen.header("content-type"), Some("application/json"));
    let body = &seen.body;
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [{"text": "Fix it"}, {"cachePoint": {"type": "default"}}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tu_1", "name": "str_replace",
                                                            "input": {"old_str": "a", "line": 3}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "tu_1", "content": [{"text": "applied"}],
                                                         "status": "error"}}]},
        ])
    );
    assert_eq!(
        body["system"],
        json!([{"text": "You edit files."}, {"cachePoint": {"type": "default"}}])
    );
    assert_eq!(
        body["inferenceConfig"],
        json!({"maxTokens": 256, "stopSequences": ["</done>"]})
    );
    assert_eq!(
        body["toolConfig"],
        json!({"tools": [
            {"toolSpec": {"name": "str_replace", "description": "Replace text",
                          "inputSchema": {"json": {"type": "object",
                                                   "properties": {"old_str": {"type": "string"}}}}}},
            {"cachePoint": {"type": "default"}},
        ]})
    );
    assert_eq!(fixture.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_exception_frame_ends_the_stream_with_its_kind() {
    let fixture = serve(Reply::Stream {
        first: vec![
            message_start(),
            text(0, "Hi"),
            frame(
                "exception",
                ":exception-type",
                "throttlingException",
                json!({"message": "slow down"}),
            ),
        ],
        gate: None,
        rest: Vec::new(),
        cut: None,
    })
    .await;
    let provider = provider(&fixture.endpoint).await;
    let mut stream = open(&provider, &Request::user("hello", 64)).await.unwrap();
    assert!(matches!(
        next(&mut stream).await,
        Some(Ok(Event::MessageStart { .. }))
    ));
    assert!(matches!(
        next(&mut stream).await,
        Some(Ok(Event::TextDelta { .. }))
    ));
    match next(&mut stream).await {
        Some(Err(AiError::MidStream {
            kind: ErrorKind::RateLimited,
            message,
        })) => {
            assert!(message.contains("slow down"), "{message}");
        }
        other => panic!("expected a mid-stream rate limit, got {other:?}"),
    }
    assert!(next(&mut stream).await.is_none());
}

#[tokio::test]
async fn http_errors_are_typed_and_tried_once() {
    let cases: [(Reply, ErrorKind, u16, Option<Duration>); 3] = [
        (
            Reply::Error {
                status: 429,
                headers: &[
                    ("x-amzn-errortype", "ThrottlingException"),
                    ("retry-after", "2"),
                    ("content-type", "application/json"),
                ],
                body: r#"{"message":"Too many requests, please wait before trying again."}"#,
            },
            ErrorKind::RateLimited,
            429,
            Some(Duration::from_secs(2)),
        ),
        (
            Reply::Error {
                status: 400,
                headers: &[
                    ("x-amzn-errortype", "ValidationException"),
                    ("content-type", "application/json"),
                ],
                body: r#"{"message":"Input is too long for requested model."}"#,
            },
            ErrorKind::ContextOverflow,
            400,
            None,
        ),
        (
            Reply::Error {
                status: 529,
                headers: &[("content-type", "application/json")],
                body: "{}",
            },
            ErrorKind::Overloaded,
            529,
            None,
        ),
    ];
    for (reply, kind, status, retry_after) in cases {
        let fixture = serve(reply).await;
        let provider = provider(&fixture.endpoint).await;
        let err = open(&provider, &Request::user("hello", 64))
            .await
            .err()
            .expect("an error");
        match &err {
            AiError::Provider {
                kind: k,
                status: s,
                retry_after: r,
                ..
            } => {
                assert_eq!((*k, *s, *r), (kind, Some(status), retry_after), "{err}");
            }
            other => panic!("expected a provider error, got {other:?}"),
        }
        assert_eq!(
            fixture.requests.load(Ordering::SeqCst),
            1,
            "the SDK must not retry"
        );
    }
}

#[tokio::test]
async fn a_cut_stream_is_disconnected() {
    let partial = text(0, " and more");
    let fixture = serve(Reply::Stream {
        first: vec![message_start(), text(0, "Hi")],
        gate: None,
        rest: Vec::new(),
        cut: Some(partial[..partial.len() / 2].to_vec()),
    })
    .await;
    let provider = provider(&fixture.endpoint).await;
    let mut stream = open(&provider, &Request::user("hello", 64)).await.unwrap();
    assert!(matches!(
        next(&mut stream).await,
        Some(Ok(Event::MessageStart { .. }))
    ));
    assert_eq!(
        next(&mut stream).await.unwrap().unwrap(),
        Event::TextDelta {
            index: 0,
            text: "Hi".into()
        }
    );
    assert!(matches!(
        next(&mut stream).await,
        Some(Err(AiError::Disconnected))
    ));
    assert!(next(&mut stream).await.is_none());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_transport_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let provider = provider(&endpoint).await;
    let err = open(&provider, &Request::user("hello", 64))
        .await
        .err()
        .expect("an error");
    assert!(matches!(err, AiError::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn too_many_cache_points_are_refused_before_sending() {
    let fixture = serve(Reply::Error {
        status: 500,
        headers: &[],
        body: "",
    })
    .await;
    let provider = provider(&fixture.endpoint).await;
    let mut request = edit_request();
    request
        .system
        .extend([SystemBlock::CachePoint, SystemBlock::CachePoint]);
    let err = open(&provider, &request).await.err().expect("an error");
    assert!(matches!(err, AiError::Invalid(_)), "{err:?}");
    assert_eq!(fixture.requests.load(Ordering::SeqCst), 0);
}
