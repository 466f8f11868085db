//! The gateway against claude-mock with both real providers: retries, fallbacks, typed errors,
//! the response cache, key limits and usage accounting.

mod common;

use std::time::{Duration, Instant};

use ai_peer::gateway::{Answer, Call, Gateway};
use ai_peer::usage::Outcome;
use ai_peer::{AiError, Event, ProviderKind, Request, Tool};
use futures_util::StreamExt;
use serde_json::json;

async fn gateway(mock: &ai_peer::mock::MockHandle, extra: &str) -> Gateway {
    common::settings(mock, extra)
        .gateway(&|_| None)
        .await
        .expect("gateway")
}

fn call(text: &str) -> Call {
    let mut call = Call::new(Request::user(text, 512), "room-1", "tenant-1");
    call.model = Some("claude-haiku-4-5".into());
    call
}

/// Reads an answer to its end: the text, and the error that ended it, if any.
async fn drain(answer: &mut Answer) -> (String, Option<AiError>) {
    let mut text = String::new();
    while let Some(item) = answer.next().await {
        match item {
            Ok(Event::TextDelta { text: t, .. }) => text.push_str(&t),
            Ok(_) => {}
            Err(e) => return (text, Some(e)),
        }
    }
    (text, None)
}

fn apis(requests: &[serde_json::Value]) -> Vec<&str> {
    requests
        .iter()
        .map(|r| r["api"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let mock = common::start_mock().await;
    let gateway = gateway(&mock, "[router]\nproviders = [\"anthropic\"]\n").await;
    common::script(&mock, json!(["rate_limited", "text"])).await;
    let started = Instant::now();
    let mut answer = gateway
        .stream(call("hello"))
        .await
        .expect("answer after one retry");
    let waited = started.elapsed();
    let (text, error) = drain(&mut answer).await;
    assert!(error.is_none(), "{error:?}");
    assert!(!text.is_empty());
    assert!(
        waited >= Duration::from_secs(1),
        "retry-after: 1 honoured, waited {waited:?}"
    );
    assert_eq!(
        apis(&common::recorded(&mock).await),
        ["anthropic", "anthropic"]
    );
    assert_eq!(answer.provider, ProviderKind::Anthropic);
}

#[tokio::test]
async fn overloaded_falls_back_to_the_other_provider() {
    let mock = common::start_mock().await;
    let gateway = gateway(
        &mock,
        "[router]\nproviders = [\"anthropic\", \"bedrock\"]\n",
    )
    .await;
    common::script(&mock, json!(["overloaded", "text"])).await;
    let mut answer = gateway
        .stream(call("hello"))
        .await
        .expect("answer from the fallback");
    let (text, error) = drain(&mut answer).await;
    assert!(error.is_none() && !text.is_empty());
    assert_eq!(answer.provider, ProviderKind::Bedrock);
    assert_eq!(
        apis(&common::recorded(&mock).await),
        ["anthropic", "bedrock"]
    );
    // And the other way round.
    let gateway = gateway_for(
        &mock,
        "[router]\nproviders = [\"bedrock\", \"anthropic\"]\n",
    )
    .await;
    common::script(&mock, json!(["overloaded", "text"])).await;
    let answer = gateway
        .stream(call("hello"))
        .await
        .expect("answer from the fallback");
    assert_eq!(answer.provider, ProviderKind::Anthropic);
}

async fn gateway_for(mock: &ai_peer::mock::MockHandle, extra: &str) -> Gateway {
    gateway(mock, extra).await
}

#[tokio::test]
async fn a_dropped_stream_is_a_typed_error_after_the_text_received() {
    let mock = common::start_mock().await;
    for provider in ["anthropic", "bedrock"] {
        let gateway = gateway(&mock, &format!("[router]\nproviders = [\"{provider}\"]\n")).await;
        common::script(&mock, json!(["dropped"])).await;
        let mut answer = gateway.stream(call("hello")).await.expect("stream starts");
        let (text, error) = drain(&mut answer).await;
        assert!(
            !text.is_empty(),
            "{provider}: the text before the drop arrives"
        );
        assert!(
            matches!(error, Some(AiError::Disconnected)),
            "{provider}: {error:?}"
        );
        let record = answer.record().expect("recorded");
        assert_eq!(record.outcome, Outcome::Failed(None));
    }
    // Once the caller has seen part of an answer it is not retried behind its back.
    assert_eq!(
        apis(&common::recorded(&mock).await),
        ["anthropic", "bedrock"]
    );
}

#[tokio::test]
async fn a_repeated_question_at_the_same_version_comes_from_the_cache() {
    let mock = common::start_mock().await;
    let gateway = gateway(&mock, "[router]\nproviders = [\"anthropic\"]\n").await;
    let ask = |version: &str, edit_tool: bool| {
        let mut c = call("What does main.py do?");
        c.doc_version = Some(version.into());
        if edit_tool {
            c.request.tools.push(Tool {
                name: "str_replace".into(),
                description: "Replace text in a file".into(),
                input_schema: json!({"type":"object"}),
                edits: true,
                eager_input_streaming: true,
            });
        }
        c
    };
    let mut first = gateway.stream(ask("v1", false)).await.unwrap();
    let (first_text, _) = drain(&mut first).await;
    assert!(!first.cache_hit);
    let mut again = gateway.stream(ask("v1", false)).await.unwrap();
    let (again_text, error) = drain(&mut again).await;
    assert!(again.cache_hit && error.is_none());
    assert_eq!(again_text, first_text);
    assert_eq!(
        common::recorded(&mock).await.len(),
        1,
        "served without a request to the mock"
    );
    assert!(again.record().unwrap().cache_hit);

    let mut changed = gateway.stream(ask("v2", false)).await.unwrap();
    drain(&mut changed).await;
    assert!(!changed.cache_hit);
    // Offering edit tools, a text answer is cached; an answer calling a tool never is.
    let mut offered = gateway.stream(ask("v3", true)).await.unwrap();
    drain(&mut offered).await;
    let mut offered_again = gateway.stream(ask("v3", true)).await.unwrap();
    drain(&mut offered_again).await;
    assert!(!offered.cache_hit && offered_again.cache_hit);
    common::script(&mock, json!(["tool_call"])).await;
    let mut edits = gateway.stream(ask("v4", true)).await.unwrap();
    drain(&mut edits).await;
    let mut edits_again = gateway.stream(ask("v4", true)).await.unwrap();
    drain(&mut edits_again).await;
    assert!(
        !edits.cache_hit && !edits_again.cache_hit,
        "an answer calling a tool is never replayed"
    );
    assert_eq!(common::recorded(&mock).await.len(), 5);
}

#[tokio::test]
async fn exhausted_keys_give_a_typed_error_with_when_to_retry() {
    let mock = common::start_mock().await;
    let extra = "[anthropic.keys.limits]\nrpm = 1\n[router]\nproviders = [\"anthropic\"]\n";
    let gateway = gateway(&mock, extra).await;
    let mut first = gateway.stream(call("one")).await.unwrap();
    drain(&mut first).await;
    match gateway.stream(call("two")).await {
        Err(AiError::Exhausted { retry_after }) => {
            assert!(
                retry_after > Duration::from_secs(10) && retry_after <= Duration::from_secs(60),
                "{retry_after:?}"
            );
        }
        Err(other) => panic!("want Exhausted, got {other}"),
        Ok(answer) => panic!("want Exhausted, got an answer from {}", answer.model),
    }
    assert_eq!(common::recorded(&mock).await.len(), 1);
}

#[tokio::test]
async fn usage_and_cost_are_summed_per_room_and_tenant() {
    let mock = common::start_mock().await;
    let gateway = gateway(&mock, "[router]\nproviders = [\"bedrock\"]\n").await;
    for room in ["room-1", "room-2"] {
        common::script(&mock, json!(["text"])).await;
        let mut c = call("hello");
        c.room = room.into();
        let mut answer = gateway.stream(c).await.unwrap();
        drain(&mut answer).await;
        let record = answer.record().unwrap();
        assert_eq!(record.outcome, Outcome::Completed);
        assert_eq!(record.key_id.as_deref(), Some("bedrock-1"));
        assert!(record.usage.input_tokens > 0 && record.usage.output_tokens > 0);
        assert!(record.cost_usd > 0.0);
        assert!(record.first_token.is_some());
    }
    let ledger = gateway.ledger();
    assert_eq!(ledger.room("room-1").requests, 1);
    let tenant = ledger.tenant("tenant-1");
    assert_eq!(tenant.requests, 2);
    assert!((tenant.cost_usd - 2.0 * ledger.room("room-2").cost_usd).abs() < 1e-12);
}

#[tokio::test]
async fn context_overflow_moves_to_a_larger_model() {
    let mock = common::start_mock().await;
    let gateway = gateway(&mock, "[router]\nproviders = [\"anthropic\"]\n").await;
    let overflow = json!({"lines": [{"mock": "http_error", "status": 400,
        "error": {"type": "invalid_request_error", "message": "prompt is too long: 250000 tokens > 200000 maximum"}}]});
    common::script(&mock, json!([overflow, "text"])).await;
    let mut answer = gateway
        .stream(call("hello"))
        .await
        .expect("answer from a larger model");
    drain(&mut answer).await;
    let requests = common::recorded(&mock).await;
    assert_eq!(requests.len(), 2);
    let window = |name: &str| {
        gateway
            .router()
            .registry()
            .get(name)
            .unwrap()
            .context_window
    };
    assert!(
        window(&answer.model) > window("claude-haiku-4-5"),
        "moved to {}",
        answer.model
    );
}

#[tokio::test]
async fn a_429_on_one_key_moves_to_another_key_at_once() {
    let mock = common::start_mock().await;
    let extra = format!(
        "[[anthropic.keys]]\nid = \"anthropic-2\"\nkey = \"{}\"\n[router]\nproviders = [\"anthropic\"]\n",
        common::API_KEY_2
    );
    let gateway = gateway(&mock, &extra).await;
    let long_wait = json!({"lines": [{"mock": "http_error", "status": 429, "headers": {"retry-after": "30"},
        "error": {"type": "rate_limit_error", "message": "slow down"}}]});
    common::script(&mock, json!([long_wait, "text"])).await;
    let mut answer = gateway
        .stream(call("hello"))
        .await
        .expect("served by the other key");
    drain(&mut answer).await;
    let requests = common::recorded(&mock).await;
    let keys: Vec<&str> = requests
        .iter()
        .map(|r| r["headers"]["x-api-key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1], "the retry used the other key");
    let refused = answer.key_id.as_deref().map(|k| {
        if k == "anthropic-1" {
            "anthropic-2"
        } else {
            "anthropic-1"
        }
    });
    let state = gateway.keys().snapshot();
    let cooling = state
        .iter()
        .find(|k| Some(k.id.as_str()) == refused)
        .unwrap()
        .cooling_for
        .unwrap();
    assert!(
        cooling > Duration::from_secs(25),
        "the refused key rests for its retry-after: {cooling:?}"
    );
}

#[tokio::test]
async fn a_server_error_is_retried_on_the_same_provider() {
    let mock = common::start_mock().await;
    let gateway = gateway(
        &mock,
        "[router]\nproviders = [\"bedrock\", \"anthropic\"]\n[retry]\nbase_backoff = \"10ms\"\n",
    )
    .await;
    let server_error = json!({"lines": [{"mock": "http_error", "status": 500,
        "error": {"type": "api_error", "message": "internal"}}]});
    common::script(&mock, json!([server_error, server_error, "text"])).await;
    let mut answer = gateway
        .stream(call("hello"))
        .await
        .expect("third attempt succeeds");
    let (_, error) = drain(&mut answer).await;
    assert!(error.is_none());
    assert_eq!(answer.provider, ProviderKind::Bedrock);
    assert_eq!(
        apis(&common::recorded(&mock).await),
        ["bedrock", "bedrock", "bedrock"]
    );
}

#[tokio::test]
async fn an_error_before_any_content_is_retried_invisibly() {
    // An overloaded error event right after message_start: the caller has seen nothing yet, so
    // the gateway moves to the other provider instead of failing the stream.
    let mock = common::start_mock().await;
    let gateway = gateway(
        &mock,
        "[router]\nproviders = [\"anthropic\", \"bedrock\"]\n",
    )
    .await;
    let early_error = json!({"lines": [
        {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
            "content": [], "stop_reason": null, "usage": {"input_tokens": 5, "output_tokens": 1}}},
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}]});
    common::script(&mock, json!([early_error, "text"])).await;
    let mut answer = gateway.stream(call("hello")).await.expect("answer");
    let (text, error) = drain(&mut answer).await;
    assert!(error.is_none() && !text.is_empty(), "{error:?}");
    assert_eq!(answer.provider, ProviderKind::Bedrock);
}
