//! Every claude-mock scenario through both real providers (reqwest + SSE; the AWS SDK's
//! ConverseStream client on event-stream frames): both yield exactly what the scenario file
//! promises, so callers never see which provider served them.

mod common;

use ai_peer::{Block, Message, Request, SystemBlock, Tool};
use common::{End, Outcome};
use serde_json::json;

const SCENARIOS: &[&str] = &[
    "text",
    "tool_call",
    "multi_block",
    "pings",
    "rate_limited",
    "overloaded",
    "mid_stream_error",
    "dropped",
    "slow",
    "unknown_events",
];

/// A request using every feature both translations must carry: system prompt with a cache
/// point, tools with a cache point, a previous tool call and its result, temperature.
fn request() -> Request {
    Request {
        system: vec![
            SystemBlock::Text("You pair-program.".into()),
            SystemBlock::CachePoint,
        ],
        messages: vec![
            Message::user(vec![Block::Text("Read main.py".into())]),
            Message::assistant(vec![Block::ToolUse {
                id: "toolu_01".into(),
                name: "read_file".into(),
                input: json!({"path": "main.py"}),
            }]),
            Message::user(vec![
                Block::ToolResult {
                    tool_use_id: "toolu_01".into(),
                    content: "print('hi')".into(),
                    is_error: false,
                },
                Block::CachePoint,
                Block::Text("Now explain it, then fix the bug.".into()),
            ]),
        ],
        tools: vec![Tool {
            name: "read_file".into(),
            description: "Read a file of the room".into(),
            input_schema: json!({"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}),
            edits: false,
            eager_input_streaming: false,
        }],
        cache_tools: true,
        max_tokens: 1024,
        temperature: Some(0.2),
        stop_sequences: vec![],
    }
}

#[tokio::test]
async fn every_scenario_yields_the_same_events_on_both_providers() {
    let mock = common::start_mock().await;
    let anthropic = common::anthropic(&mock);
    let bedrock = common::bedrock(&mock).await;
    for name in SCENARIOS {
        let want = common::expected(name);
        common::script(&mock, json!([name])).await;
        let got = common::run(&anthropic, &request(), "claude-haiku-4-5-20251001").await;
        assert_eq!(got, want, "scenario {name} on the Anthropic API");
        common::script(&mock, json!([name])).await;
        let got = common::run(
            &bedrock,
            &request(),
            "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        )
        .await;
        assert_eq!(got, want, "scenario {name} on Bedrock");
    }
    // Each call reached the mock once, on the API it was meant for, with the model asked for.
    let requests = common::recorded(&mock).await;
    assert_eq!(requests.len(), SCENARIOS.len() * 2);
    for pair in requests.chunks(2) {
        assert_eq!(pair[0]["api"], "anthropic");
        assert_eq!(pair[0]["model"], "claude-haiku-4-5-20251001");
        assert_eq!(pair[1]["api"], "bedrock");
        assert_eq!(
            pair[1]["model"],
            "us.anthropic.claude-haiku-4-5-20251001-v1:0"
        );
    }
}

#[tokio::test]
async fn scenarios_cover_what_they_claim() {
    // The fixtures themselves: a tool call split inside strings and escapes reassembles into
    // valid JSON; the dropped one ends after text; the error ones refuse with their status.
    let Outcome::Streamed {
        events,
        end: End::Complete,
    } = common::expected("tool_call")
    else {
        panic!("tool_call must complete")
    };
    let json: String = events
        .iter()
        .filter_map(|e| match e {
            ai_peer::Event::ToolInputDelta { partial_json, .. } => Some(partial_json.as_str()),
            _ => None,
        })
        .collect();
    let fragments = events
        .iter()
        .filter(|e| matches!(e, ai_peer::Event::ToolInputDelta { .. }))
        .count();
    assert!(
        fragments >= 4,
        "tool input must arrive in several fragments"
    );
    let input: serde_json::Value = serde_json::from_str(&json).expect("fragments join into JSON");
    assert!(
        input.to_string().contains("\\n") || input.to_string().contains("\\\""),
        "escapes exercised"
    );
    let Outcome::Streamed {
        events,
        end: End::Disconnected,
    } = common::expected("dropped")
    else {
        panic!("dropped must end disconnected")
    };
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ai_peer::Event::TextDelta { .. }))
    );
    assert!(matches!(
        common::expected("rate_limited"),
        Outcome::Refused {
            retry_after: Some(_),
            ..
        }
    ));
}

#[tokio::test]
async fn requests_carry_cache_points_and_tools_on_both_wires() {
    let mock = common::start_mock().await;
    common::script(&mock, json!(["text", "text"])).await;
    let _ = common::run(&common::anthropic(&mock), &request(), "claude-sonnet-4-6").await;
    let _ = common::run(
        &common::bedrock(&mock).await,
        &request(),
        "us.anthropic.claude-sonnet-4-6",
    )
    .await;
    let requests = common::recorded(&mock).await;
    let anthropic = &requests[0];
    assert_eq!(anthropic["headers"]["anthropic-version"], "2023-06-01");
    let body = &anthropic["body"];
    assert_eq!(body["system"][0]["cache_control"]["type"], "ephemeral");
    assert_eq!(body["tools"][0]["cache_control"]["type"], "ephemeral");
    assert_eq!(body["messages"][2]["content"][0]["type"], "tool_result");
    assert_eq!(
        body["messages"][2]["content"][0]["cache_control"]["type"],
        "ephemeral"
    );
    assert_eq!(body["stream"], true);
    let bedrock = &requests[1];
    assert!(
        bedrock["headers"]["authorization"]
            .as_str()
            .unwrap()
            .starts_with("AWS4-HMA")
    );
    let body = &bedrock["body"];
    assert!(body["system"][1]["cachePoint"].is_object(), "{body}");
    assert!(
        body["toolConfig"]["tools"][1]["cachePoint"].is_object(),
        "{body}"
    );
    assert_eq!(
        body["messages"][2]["content"][0]["toolResult"]["toolUseId"],
        "toolu_01"
    );
    assert!(body["messages"][2]["content"][1]["cachePoint"].is_object());
    assert_eq!(body["inferenceConfig"]["maxTokens"], 1024);
}

#[tokio::test]
async fn a_refused_key_is_an_auth_error() {
    let mock = common::start_mock().await;
    let config = common::anthropic_config(&mock);
    let http = ai_peer::anthropic::http_client(&config).unwrap();
    let provider = ai_peer::anthropic::AnthropicProvider::new(config, "sk-wrong".into(), http);
    let got = common::run(&provider, &request(), "claude-haiku-4-5").await;
    assert_eq!(
        got,
        Outcome::Refused {
            kind: Some(ai_peer::ErrorKind::Auth),
            retry_after: None
        }
    );
}
