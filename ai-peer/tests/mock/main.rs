//! claude-mock over real HTTP: both wire formats, the control API, the rules engine and the
//! `claude-mock` binary. Helpers shared by the test modules live here.
#![cfg(feature = "mock")]

mod anthropic;
mod bedrock;
mod binary;
mod control;

use ai_peer::mock::{MockConfig, MockHandle, start};
use bytes::Buf;
use serde_json::{Value, json};

async fn mock() -> MockHandle {
    start(MockConfig::default()).await.expect("the mock starts")
}

fn anthropic_body(text: &str) -> Value {
    json!({"model": "claude-test-1", "max_tokens": 256, "stream": true,
           "messages": [{"role": "user", "content": text}]})
}

fn bedrock_body(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": [{"text": text}]}], "inferenceConfig": {"maxTokens": 256}})
}

/// A Messages API request with the right headers.
fn anthropic_request(mock: &MockHandle, body: &Value) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("{}/v1/messages", mock.url()))
        .header("x-api-key", "sk-ant-test-0123456789")
        .header("anthropic-version", "2023-06-01")
        .json(body)
}

/// A ConverseStream request with SigV4-shaped headers (the mock checks their form only).
fn bedrock_request(mock: &MockHandle, model: &str, body: &Value) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("{}/model/{model}/converse-stream", mock.url()))
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/bedrock/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=00",
        )
        .header("x-amz-date", "20260101T000000Z")
        .json(body)
}

/// Sends a request and reads its whole body as text (the mock's answers are small).
trait SendText {
    async fn text_body(self) -> String;
}

impl SendText for reqwest::RequestBuilder {
    async fn text_body(self) -> String {
        self.send().await.expect("sent").text().await.expect("body")
    }
}

/// Parses an SSE body into `(event name, data)` pairs.
fn sse_events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|frame| !frame.is_empty())
        .map(|frame| {
            let mut lines = frame.lines();
            let event = lines
                .next()
                .and_then(|l| l.strip_prefix("event: "))
                .expect("an event line");
            let data = lines
                .next()
                .and_then(|l| l.strip_prefix("data: "))
                .expect("a data line");
            assert_eq!(lines.next(), None, "one data line per event");
            (
                event.to_owned(),
                serde_json::from_str(data).expect("JSON data"),
            )
        })
        .collect()
}

/// The text of the text deltas in an SSE body.
fn sse_text(body: &str) -> String {
    sse_events(body)
        .iter()
        .filter_map(|(_, data)| data.pointer("/delta/text")?.as_str().map(str::to_owned))
        .collect()
}

/// Each frame as `(message type, event or exception type, payload)`.
fn es_frames(mut body: bytes::Bytes) -> Vec<(String, String, Value)> {
    let mut frames = Vec::new();
    while body.has_remaining() {
        let message = aws_smithy_eventstream::frame::read_message_from(&mut body)
            .expect("a valid frame (CRCs checked)");
        let header = |name: &str| {
            message
                .headers()
                .iter()
                .find(|h| h.name().as_str() == name)
                .and_then(|h| h.value().as_string().ok())
                .map(|s| s.as_str().to_owned())
        };
        let message_type = header(":message-type").expect(":message-type");
        let kind = header(":event-type")
            .or_else(|| header(":exception-type"))
            .expect("a type header");
        assert_eq!(header(":content-type").as_deref(), Some("application/json"));
        frames.push((
            message_type,
            kind,
            serde_json::from_slice(message.payload()).expect("JSON"),
        ));
    }
    frames
}
