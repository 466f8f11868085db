//! The control API and the Rust handle: queue order, recorded requests, rules end to end.

use ai_peer::mock::{MockConfig, ReplyItem, Rule, Rules, ScriptedResponse, When, start};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn the_queue_answers_in_order_across_both_apis_then_the_default() {
    let mock = mock().await;
    let client = reqwest::Client::new();
    let script = json!({"responses": ["multi_block", {"lines": [
        {"type": "message_start", "message": {"id": "msg_x", "role": "assistant", "model": "m", "usage": {"input_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "inline"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
        {"type": "message_stop"}]}, "pings"]});
    let queued: Value = client
        .post(format!("{}/_mock/script", mock.url()))
        .json(&script)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(queued, json!({"queued": 3}));

    let first = anthropic_request(&mock, &anthropic_body("a"))
        .text_body()
        .await;
    assert_eq!(sse_text(&first), "I'll read the file first.");
    let second = bedrock_request(&mock, "m", &bedrock_body("b"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        second.headers()["content-type"],
        "application/vnd.amazon.eventstream"
    );
    let second = second.bytes().await.expect("body");
    assert!(
        second.windows(6).any(|w| w == b"inline"),
        "the inline lines answered the Bedrock request"
    );
    let third = anthropic_request(&mock, &anthropic_body("c"))
        .text_body()
        .await;
    assert!(
        sse_events(&third)
            .iter()
            .filter(|(name, _)| name == "ping")
            .count()
            >= 7
    );
    let fourth = anthropic_request(&mock, &anthropic_body("d"))
        .text_body()
        .await;
    assert!(
        sse_text(&fourth).starts_with("Hello!"),
        "an empty queue falls back to `text`"
    );
}

#[tokio::test]
async fn bad_scripts_and_rules_are_refused_and_nothing_is_queued() {
    let mock = mock().await;
    let client = reqwest::Client::new();
    for script in [
        json!({"responses": ["text", "no_such_scenario"]}),
        json!({"responses": [{"lines": [{"mock": "nap"}]}]}),
        json!(["text"]),
    ] {
        let response = client
            .post(format!("{}/_mock/script", mock.url()))
            .json(&script)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 400, "{script}");
        let body: Value = response.json().await.expect("JSON");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let response = client
        .put(format!("{}/_mock/rules", mock.url()))
        .body("{\"rules\": 1}")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
    mock.push(ScriptedResponse::Scenario("missing".into()));
    let response = anthropic_request(&mock, &anthropic_body("x"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        500,
        "an unknown pushed scenario is reported when used"
    );
    let body = anthropic_request(&mock, &anthropic_body("y"))
        .text_body()
        .await;
    assert!(
        sse_text(&body).starts_with("Hello!"),
        "the refused scripts queued nothing"
    );
}

#[tokio::test]
async fn requests_are_recorded_masked_and_can_be_cleared() {
    let mock = mock().await;
    let client = reqwest::Client::new();
    anthropic_request(&mock, &anthropic_body("first"))
        .text_body()
        .await;
    bedrock_request(
        &mock,
        "us.anthropic.claude-sonnet-4-6",
        &bedrock_body("second"),
    )
    .send()
    .await
    .expect("sent")
    .bytes()
    .await
    .expect("body");
    let recorded: Value = client
        .get(format!("{}/_mock/requests", mock.url()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(recorded[0]["api"], "anthropic");
    assert_eq!(recorded[0]["path"], "/v1/messages");
    assert_eq!(recorded[0]["model"], "claude-test-1");
    assert_eq!(recorded[0]["headers"]["x-api-key"], "sk-ant-t");
    assert_eq!(recorded[0]["headers"]["anthropic-version"], "2023-06-01");
    assert_eq!(recorded[0]["body"]["messages"][0]["content"], "first");
    assert_eq!(recorded[1]["api"], "bedrock");
    assert_eq!(recorded[1]["model"], "us.anthropic.claude-sonnet-4-6");
    assert_eq!(recorded[1]["headers"]["authorization"], "AWS4-HMA");
    assert_eq!(recorded[1]["headers"]["x-amz-date"], "20260101T000000Z");
    assert_eq!(
        mock.requests().len(),
        2,
        "the handle shares the HTTP API's state"
    );
    let cleared = client
        .delete(format!("{}/_mock/requests", mock.url()))
        .send()
        .await
        .expect("sent");
    assert!(cleared.status().is_success());
    assert!(mock.requests().is_empty());
    let health: Value = client
        .get(format!("{}/_mock/health", mock.url()))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(health["status"], "ok");
}

const RULES: &str = r#"{"rules": [
    {"when": {"tool_result_for": "read_file", "tool_result_contains": "fn main"},
     "reply": [{"text": "Renaming now."}, {"tool": "str_replace", "input": {"old_str": "main", "new_str": "start"}}]},
    {"when": {"last_user_contains": "rename"},
     "reply": [{"tool": "read_file", "input": {"path": "src/main.rs"}}], "chunk_chars": 5},
    {"when": {"always": true}, "reply": [{"text": "You said: {{last_user}}"}]}
]}"#;

#[tokio::test]
async fn rules_drive_a_tool_conversation_on_both_apis() {
    let mock = mock().await;
    let client = reqwest::Client::new();
    let put = client
        .put(format!("{}/_mock/rules", mock.url()))
        .body(RULES)
        .send()
        .await
        .expect("sent");
    assert!(put.status().is_success());

    let echo = anthropic_request(&mock, &anthropic_body("hello there"))
        .text_body()
        .await;
    assert_eq!(sse_text(&echo), "You said: hello there");

    let call = anthropic_request(&mock, &anthropic_body("please rename main"))
        .text_body()
        .await;
    let events = sse_events(&call);
    let start = events
        .iter()
        .find(|(n, _)| n == "content_block_start")
        .expect("a block")
        .1["content_block"]
        .clone();
    assert_eq!(start["name"], "read_file");
    let id = start["id"].as_str().expect("an id").to_owned();
    assert!(id.starts_with("toolu_mock_"), "{id}");
    let input: String = events
        .iter()
        .filter_map(|(_, d)| d.pointer("/delta/partial_json")?.as_str())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&input).expect("JSON"),
        json!({"path": "src/main.rs"})
    );
    let (_, delta) = events
        .iter()
        .find(|(n, _)| n == "message_delta")
        .expect("message_delta");
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");

    // The same conversation continued over Bedrock, answering the tool call.
    let body = json!({
        "messages": [
            {"role": "user", "content": [{"text": "please rename main"}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": id, "name": "read_file", "input": {"path": "src/main.rs"}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": id, "content": [{"text": "fn main() {}"}]}}]}],
        "inferenceConfig": {"maxTokens": 100},
        "toolConfig": {"tools": [{"toolSpec": {"name": "read_file", "inputSchema": {"json": {"type": "object"}}}}]}
    });
    let response = bedrock_request(&mock, "m", &body)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let frames = es_frames(response.bytes().await.expect("body"));
    let text: String = frames
        .iter()
        .filter_map(|(_, _, p)| p.pointer("/delta/text")?.as_str())
        .collect();
    assert_eq!(text, "Renaming now.");
    let start = frames
        .iter()
        .find(|(_, kind, _)| kind == "contentBlockStart")
        .expect("a tool block");
    assert_eq!(start.2["contentBlockIndex"], 1);
    assert_eq!(start.2["start"]["toolUse"]["name"], "str_replace");
    let input: String = frames
        .iter()
        .filter_map(|(_, _, p)| p.pointer("/delta/toolUse/input")?.as_str())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&input).expect("JSON"),
        json!({"old_str": "main", "new_str": "start"})
    );
    let stop = frames
        .iter()
        .find(|(_, kind, _)| kind == "messageStop")
        .expect("messageStop");
    assert_eq!(stop.2, json!({"stopReason": "tool_use"}));
}

#[tokio::test]
async fn the_rust_handle_sets_rules_and_stops_streams_in_flight() {
    let rules = Rules {
        rules: vec![Rule {
            when: When {
                model: Some("test".into()),
                ..When::default()
            },
            reply: vec![ReplyItem::text("from the handle")],
            delay_ms: 0,
            chunk_chars: 100,
            stop_reason: None,
        }],
    };
    let mock = start(MockConfig {
        rules: Some(rules),
        ..MockConfig::default()
    })
    .await
    .expect("starts");
    let body = anthropic_request(&mock, &anthropic_body("x"))
        .text_body()
        .await;
    assert_eq!(sse_text(&body), "from the handle");
    mock.set_rules(Rules::default());
    let body = anthropic_request(&mock, &anthropic_body("x"))
        .text_body()
        .await;
    assert!(sse_text(&body).starts_with("Hello!"));

    mock.push(ScriptedResponse::Lines(vec![
        json!({"type": "ping"}),
        json!({"mock": "sleep", "ms": 3_600_000}),
        json!({"type": "message_stop"}),
    ]));
    let response = anthropic_request(&mock, &anthropic_body("x"))
        .send()
        .await
        .expect("sent");
    let mut chunks = response.bytes_stream();
    let first = chunks.next().await.expect("a chunk").expect("bytes");
    assert!(first.starts_with(b"event: ping"));
    // The stream is now in an hour-long pause; stopping must not wait for it.
    tokio::time::timeout(std::time::Duration::from_secs(10), mock.stop())
        .await
        .expect("stop does not wait for streams in flight")
        .expect("a clean stop");
    while let Some(Ok(chunk)) = chunks.next().await {
        assert!(!chunk.windows(12).any(|w| w == b"message_stop"));
    }
}
