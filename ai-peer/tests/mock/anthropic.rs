//! The Anthropic Messages endpoint: SSE framing, streaming, drops, errors and validation.

use ai_peer::mock::{MockConfig, ScriptedResponse, start};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn the_default_answer_is_the_text_scenario_as_sse() {
    let mock = mock().await;
    let response = anthropic_request(&mock, &anthropic_body("hi"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert!(response.headers().contains_key("request-id"));
    let body = response.text().await.expect("body");
    let events = sse_events(&body);
    for (name, data) in &events {
        assert_eq!(
            data["type"],
            name.as_str(),
            "data.type repeats the event name"
        );
    }
    assert_eq!(
        events[0].1["message"]["model"], "claude-test-1",
        "the model is echoed"
    );
    assert_eq!(events.last().map(|(n, _)| n.as_str()), Some("message_stop"));
    assert_eq!(
        sse_text(&body),
        "Hello! The document looks fine to me. Shall I tidy the headings?"
    );
}

#[tokio::test]
async fn a_slow_stream_arrives_frame_by_frame() {
    let mock = mock().await;
    mock.push(ScriptedResponse::Scenario("slow".into()));
    let response = anthropic_request(&mock, &anthropic_body("hi"))
        .send()
        .await
        .expect("sent");
    let mut chunks = response.bytes_stream();
    let first = chunks.next().await.expect("a first chunk").expect("bytes");
    // The server is still sleeping before the later deltas: had it buffered the body, the
    // first chunk would hold everything up to message_stop.
    let first = String::from_utf8(first.to_vec()).expect("UTF-8");
    assert!(first.starts_with("event: message_start\n"), "{first}");
    assert!(!first.contains("message_stop"), "{first}");
    let mut rest = Vec::new();
    while let Some(chunk) = chunks.next().await {
        rest.push(chunk.expect("bytes"));
    }
    assert!(
        rest.len() >= 5,
        "later frames came in their own chunks: {}",
        rest.len()
    );
    let body = first
        + &rest
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<String>();
    assert_eq!(sse_text(&body), "One step at a time.");
    assert!(body.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
}

#[tokio::test]
async fn a_dropped_connection_ends_the_body_early_after_flushing_what_was_sent() {
    let mock = mock().await;
    mock.push(ScriptedResponse::Scenario("dropped".into()));
    let response = anthropic_request(&mock, &anthropic_body("hi"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let mut chunks = response.bytes_stream();
    let mut received = Vec::new();
    let mut failed = false;
    while let Some(chunk) = chunks.next().await {
        match chunk {
            Ok(bytes) => received.extend_from_slice(&bytes),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the body must end with an error, not a clean end");
    let received = String::from_utf8(received).expect("UTF-8");
    assert_eq!(
        sse_text(&received),
        "This answer will be cut",
        "frames before the drop arrived"
    );
    assert!(!received.contains("message_stop"));
}

#[tokio::test]
async fn http_errors_carry_status_headers_and_the_error_body() {
    let mock = mock().await;
    mock.push(ScriptedResponse::Scenario("rate_limited".into()));
    mock.push(ScriptedResponse::Scenario("overloaded".into()));
    let response = anthropic_request(&mock, &anthropic_body("hi"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert!(
        body["request_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("req_"))
    );
    let response = anthropic_request(&mock, &anthropic_body("hi"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 529);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["type"], "overloaded_error");
}

#[tokio::test]
async fn a_mid_stream_error_is_an_error_event_after_200() {
    let mock = mock().await;
    mock.push(ScriptedResponse::Scenario("mid_stream_error".into()));
    let response = anthropic_request(&mock, &anthropic_body("hi"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let events = sse_events(&response.text().await.expect("body"));
    let (name, data) = events.last().expect("events");
    assert_eq!(name, "error");
    assert_eq!(data["error"]["type"], "overloaded_error");
}

#[tokio::test]
async fn bad_headers_and_bodies_are_refused_as_the_api_would() {
    let mock = start(MockConfig {
        api_keys: vec!["sk-good".into()],
        ..MockConfig::default()
    })
    .await
    .expect("starts");
    let url = format!("{}/v1/messages", mock.url());
    let client = reqwest::Client::new();
    let cases = [
        (
            client
                .post(&url)
                .header("anthropic-version", "2023-06-01")
                .json(&anthropic_body("hi")),
            401,
            "authentication_error",
        ),
        (
            client
                .post(&url)
                .header("x-api-key", "sk-bad")
                .header("anthropic-version", "2023-06-01")
                .json(&anthropic_body("hi")),
            401,
            "authentication_error",
        ),
        (
            client
                .post(&url)
                .header("x-api-key", "sk-good")
                .json(&anthropic_body("hi")),
            400,
            "invalid_request_error",
        ),
        (
            client
                .post(&url)
                .header("x-api-key", "sk-good")
                .header("anthropic-version", "2023-06-01")
                .json(&json!({"model": "m", "max_tokens": 0, "stream": true, "messages": []})),
            400,
            "invalid_request_error",
        ),
        (
            client
                .post(&url)
                .header("x-api-key", "sk-good")
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .body("{not json"),
            400,
            "invalid_request_error",
        ),
    ];
    for (i, (request, status, error_type)) in cases.into_iter().enumerate() {
        let response = request.send().await.expect("sent");
        assert_eq!(response.status().as_u16(), status, "case {i}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"]["type"], error_type, "case {i}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let ok = client
        .post(&url)
        .header("x-api-key", "sk-good")
        .header("anthropic-version", "2023-06-01");
    let response = ok.json(&anthropic_body("hi")).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(
        mock.requests().len(),
        6,
        "refused requests are recorded too"
    );
    assert_eq!(mock.requests()[4].body, Value::String("{not json".into()));
}
