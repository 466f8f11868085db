//! Tests of request validation: good and bad headers and bodies for both APIs.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::*;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    pairs
        .iter()
        .map(|(n, v)| {
            (
                HeaderName::try_from(*n).expect("name"),
                HeaderValue::try_from(*v).expect("value"),
            )
        })
        .collect()
}

/// Header pairs of one case.
type Headers<'a> = &'a [Pair<'a>];
/// One header: name and value.
type Pair<'a> = (&'a str, &'a str);

const SIGV4: &str = "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/bedrock/aws4_request, \
                     SignedHeaders=host;x-amz-date, Signature=abc";

#[test]
fn anthropic_headers_are_checked_in_order() {
    let good = [
        ("x-api-key", "sk-1"),
        ("anthropic-version", "2023-06-01"),
        ("content-type", "application/json"),
    ];
    assert_eq!(anthropic_headers(&headers(&good), &[]), Ok(()));
    assert_eq!(anthropic_headers(&headers(&good), &["sk-1".into()]), Ok(()));
    let table: [(Headers<'_>, &[String], u16, &str); 5] = [
        (&good[1..], &[], 401, "authentication_error"),
        (&good, &["sk-2".into()], 401, "authentication_error"),
        (&[good[0], good[2]], &[], 400, "invalid_request_error"),
        (
            &[good[0], ("anthropic-version", "2024-01-01"), good[2]],
            &[],
            400,
            "invalid_request_error",
        ),
        (
            &[good[0], good[1], ("content-type", "text/plain")],
            &[],
            400,
            "invalid_request_error",
        ),
    ];
    for (pairs, keys, status, error_type) in table {
        let rejection = anthropic_headers(&headers(pairs), keys).expect_err("refused");
        assert_eq!(
            (rejection.status, rejection.error_type),
            (status, error_type),
            "{pairs:?}"
        );
    }
    let charset = [
        good[0],
        good[1],
        ("content-type", "application/json; charset=utf-8"),
    ];
    assert_eq!(anthropic_headers(&headers(&charset), &[]), Ok(()));
}

#[test]
fn bedrock_headers_need_sigv4_for_bedrock_or_a_known_bearer_token() {
    let json_type = ("content-type", "application/json");
    let good = [
        ("authorization", SIGV4),
        ("x-amz-date", "20260101T000000Z"),
        json_type,
    ];
    assert_eq!(bedrock_headers(&headers(&good), &[]), Ok(()));
    assert_eq!(
        bedrock_headers(
            &headers(&[("authorization", "Bearer k1"), json_type]),
            &["k1".into()]
        ),
        Ok(())
    );
    let wrong_service = SIGV4.replace("/bedrock/", "/s3/");
    let table: [(Vec<Pair<'_>>, u16, &str); 5] = [
        (vec![json_type], 403, "AccessDeniedException"),
        (
            vec![("authorization", SIGV4), json_type],
            403,
            "AccessDeniedException",
        ),
        (
            vec![("authorization", &wrong_service), good[1], json_type],
            403,
            "AccessDeniedException",
        ),
        (
            vec![("authorization", "Bearer nope"), json_type],
            403,
            "AccessDeniedException",
        ),
        (
            vec![good[0], good[1], ("content-type", "application/xml")],
            400,
            "ValidationException",
        ),
    ];
    for (pairs, status, error_type) in table {
        let rejection = bedrock_headers(&headers(&pairs), &["k1".into()]).expect_err("refused");
        assert_eq!(
            (rejection.status, rejection.error_type),
            (status, error_type),
            "{pairs:?}"
        );
    }
}

fn anthropic_good() -> Value {
    json!({
        "model": "claude-haiku-4-5", "max_tokens": 1024, "stream": true,
        "system": [{"type": "text", "text": "You edit files.", "cache_control": {"type": "ephemeral"}}],
        "tools": [{"name": "read_file", "description": "Reads", "input_schema": {"type": "object"},
                   "cache_control": {"type": "ephemeral", "ttl": "1h"}},
                  {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}],
        "tool_choice": {"type": "auto"},
        "messages": [
            {"role": "user", "content": "read a.rs"},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Reading."},
                {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "a.rs"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "fn a() {}"}],
                 "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "now fix it"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}]},
            {"role": "assistant", "content": "Sure"}
        ]
    })
}

/// `anthropic_good()` with the value at `pointer` replaced (or removed when `None`).
fn edit(mut body: Value, pointer: &str, value: Option<Value>) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let parent = body.pointer_mut(parent).expect("parent exists");
    match (parent, value) {
        (Value::Object(map), Some(v)) => {
            map.insert(key.to_owned(), v);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (Value::Array(items), Some(v)) => items[key.parse::<usize>().expect("index")] = v,
        (Value::Array(items), None) => {
            items.remove(key.parse::<usize>().expect("index"));
        }
        _ => panic!("bad pointer {pointer}"),
    }
    body
}

#[test]
fn a_good_anthropic_body_passes() {
    assert_eq!(anthropic_body(&anthropic_good()), Ok(()));
    let minimal = json!({"model": "m", "max_tokens": 1, "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(anthropic_body(&minimal), Ok(()));
}

#[test]
fn bad_anthropic_bodies_are_refused_with_a_message_naming_the_problem() {
    let cc = json!({"type": "ephemeral"});
    let table: Vec<(Value, &str)> = vec![
        (json!([]), "body: expected an object"),
        (
            edit(anthropic_good(), "/model", None),
            "model: Field required",
        ),
        (
            edit(anthropic_good(), "/model", Some(json!(3))),
            "model: expected a string",
        ),
        (
            edit(anthropic_good(), "/max_tokens", Some(json!(0))),
            "max_tokens: must be a positive integer",
        ),
        (
            edit(anthropic_good(), "/max_tokens", Some(json!(1.5))),
            "max_tokens",
        ),
        (
            edit(anthropic_good(), "/stream", Some(json!(false))),
            "stream",
        ),
        (
            edit(anthropic_good(), "/anthropic_version", Some(json!("x"))),
            "anthropic_version: Extra inputs",
        ),
        (
            edit(anthropic_good(), "/messages", Some(json!([]))),
            "messages: at least one",
        ),
        (
            edit(
                anthropic_good(),
                "/messages/0/role",
                Some(json!("assistant")),
            ),
            "first message",
        ),
        (
            edit(anthropic_good(), "/messages/0/role", Some(json!("system"))),
            "messages.0.role",
        ),
        (
            edit(anthropic_good(), "/messages/0/content", Some(json!(""))),
            "messages.0: all messages must have non-empty content",
        ),
        (
            edit(anthropic_good(), "/messages/0/content", Some(json!(7))),
            "messages.0.content",
        ),
        (
            edit(
                anthropic_good(),
                "/messages/1/content/0/text",
                Some(json!("")),
            ),
            "messages.1.content.0.text: text content blocks must be non-empty",
        ),
        (
            edit(
                anthropic_good(),
                "/messages/1/content/1/input",
                Some(json!("{}")),
            ),
            "messages.1.content.1.input: expected an object",
        ),
        (
            edit(anthropic_good(), "/messages/1/content/1/id", None),
            "messages.1.content.1.id: Field required",
        ),
        (
            edit(
                anthropic_good(),
                "/messages/2/content/1",
                Some(json!({"type": "tool_result", "tool_use_id": "toolu_9"})),
            ),
            "messages.2.content.1: unexpected `tool_use_id`",
        ),
        (
            edit(
                anthropic_good(),
                "/messages/2/content/2",
                Some(json!({"type": "tool_result", "tool_use_id": "toolu_1"})),
            ),
            "tool_result blocks must come first",
        ),
        (
            edit(
                anthropic_good(),
                "/messages/2/content/0",
                Some(json!({"type": "text", "text": "x"})),
            ),
            "messages.1: `tool_use` ids were found without `tool_result`",
        ),
        (
            edit(
                anthropic_good(),
                "/messages/2/content/1",
                Some(json!({"type": "tool_use", "id": "t", "name": "n", "input": {}})),
            ),
            "not allowed in user messages",
        ),
        (
            edit(
                anthropic_good(),
                "/messages/2/content/0/type",
                Some(json!("document")),
            ),
            "unknown block type",
        ),
        (
            edit(
                anthropic_good(),
                "/messages/2/content/2/source/type",
                Some(json!("ftp")),
            ),
            "unknown image source",
        ),
        (
            edit(
                anthropic_good(),
                "/messages/3/content",
                Some(json!("Sure ")),
            ),
            "trailing whitespace",
        ),
        (
            edit(
                anthropic_good(),
                "/system",
                Some(json!([{"type": "image"}])),
            ),
            "system.0.type",
        ),
        (
            edit(
                anthropic_good(),
                "/system/0/cache_control",
                Some(json!({"type": "persistent"})),
            ),
            "system.0.cache_control.type",
        ),
        (
            edit(anthropic_good(), "/tools/0/input_schema", None),
            "tools.0.input_schema: Field required",
        ),
        (
            edit(
                anthropic_good(),
                "/tools/0/input_schema",
                Some(json!({"type": "string"})),
            ),
            "tools.0.input_schema.type",
        ),
        (
            edit(anthropic_good(), "/tools/0/name", Some(json!("read file"))),
            "tools.0.name",
        ),
        (
            edit(
                anthropic_good(),
                "/tools/1",
                Some(json!({"name": "read_file", "input_schema": {"type": "object"}})),
            ),
            "unique",
        ),
        (
            edit(
                anthropic_good(),
                "/tool_choice",
                Some(json!({"type": "tool"})),
            ),
            "tool_choice.name",
        ),
        (
            edit(anthropic_good(), "/temperature", Some(json!(3))),
            "temperature",
        ),
    ];
    for (body, needle) in table {
        let message = anthropic_body(&body).expect_err(needle);
        assert!(
            message.contains(needle),
            "expected {needle:?} in {message:?}"
        );
    }
    // The good body has three markers (system, tools, a tool_result): a fourth is allowed.
    let four = edit(anthropic_good(), "/cache_control", Some(cc.clone()));
    assert_eq!(anthropic_body(&four), Ok(()));
    let five = edit(
        four,
        "/messages/0/content",
        Some(json!([{"type": "text", "text": "read a.rs", "cache_control": cc}])),
    );
    assert_eq!(
        anthropic_body(&five),
        Err("A maximum of 4 blocks with cache_control may be provided. Found 5.".into())
    );
}

fn bedrock_good() -> Value {
    json!({
        "system": [{"text": "You edit files."}, {"cachePoint": {"type": "default"}}],
        "inferenceConfig": {"maxTokens": 512, "temperature": 0.5},
        "toolConfig": {"tools": [
            {"toolSpec": {"name": "read_file", "description": "Reads", "inputSchema": {"json": {"type": "object"}}}},
            {"cachePoint": {"type": "default"}}],
            "toolChoice": {"auto": {}}},
        "messages": [
            {"role": "user", "content": [{"text": "read a.rs"}, {"cachePoint": {"type": "default"}}]},
            {"role": "assistant", "content": [{"text": "Reading."},
                {"toolUse": {"toolUseId": "tooluse_1", "name": "read_file", "input": {"path": "a.rs"}}}]},
            {"role": "user", "content": [
                {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "fn a() {}"}, {"json": {"ok": true}}], "status": "success"}},
                {"text": "now fix it"}, {"cachePoint": {"type": "default"}}]}
        ],
        "additionalModelRequestFields": {"anthropic_beta": ["x"]}
    })
}

#[test]
fn a_good_bedrock_body_passes() {
    assert_eq!(bedrock_body(&bedrock_good()), Ok(()));
    let minimal = json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"maxTokens": 1}});
    assert_eq!(bedrock_body(&minimal), Ok(()));
}

#[test]
fn bad_bedrock_bodies_are_refused_with_a_message_naming_the_problem() {
    let table: Vec<(Value, &str)> = vec![
        (json!("x"), "body: expected an object"),
        (
            edit(bedrock_good(), "/modelId", Some(json!("m"))),
            "modelId: Extra inputs",
        ),
        (
            edit(bedrock_good(), "/messages", None),
            "messages: Field required",
        ),
        (
            edit(bedrock_good(), "/messages/0/role", Some(json!("assistant"))),
            "must start with a user message",
        ),
        (
            edit(bedrock_good(), "/messages/1/role", Some(json!("user"))),
            "alternate",
        ),
        (
            edit(bedrock_good(), "/messages/0/content", Some(json!([]))),
            "messages.0.content: must not be empty",
        ),
        (
            edit(bedrock_good(), "/messages/0/content", Some(json!("hi"))),
            "messages.0.content: expected a list",
        ),
        (
            edit(
                bedrock_good(),
                "/messages/0/content/0/text",
                Some(json!("  ")),
            ),
            "at messages.0.content.0 is blank",
        ),
        (
            edit(
                bedrock_good(),
                "/messages/0/content/0",
                Some(json!({"text": "a", "image": {}})),
            ),
            "exactly one member",
        ),
        (
            edit(
                bedrock_good(),
                "/messages/0/content/0",
                Some(json!({"type": "text", "text": "a"})),
            ),
            "exactly one member",
        ),
        (
            edit(
                bedrock_good(),
                "/messages/0/content/0",
                Some(json!({"video": {}})),
            ),
            "unknown content block",
        ),
        (
            edit(
                bedrock_good(),
                "/messages/0/content/1/cachePoint/type",
                Some(json!("ephemeral")),
            ),
            "cachePoint.type",
        ),
        (
            edit(bedrock_good(), "/messages/1/content/1/toolUse/input", None),
            "toolUse.input: Field required",
        ),
        (
            edit(
                bedrock_good(),
                "/messages/2/content/0/toolResult/toolUseId",
                Some(json!("tooluse_9")),
            ),
            "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_1",
        ),
        (
            edit(
                bedrock_good(),
                "/messages/2/content/0/toolResult/status",
                Some(json!("ok")),
            ),
            "status",
        ),
        (
            edit(
                bedrock_good(),
                "/messages/2/content/0/toolResult/content/0",
                Some(json!({"html": "<p>"})),
            ),
            "unknown tool result content",
        ),
        (
            edit(
                bedrock_good(),
                "/messages/0/content/0",
                Some(json!({"toolResult": {"toolUseId": "x", "content": []}})),
            ),
            "does not answer a toolUse",
        ),
        (
            edit(
                bedrock_good(),
                "/messages/0/content/0",
                Some(json!({"toolUse": {"toolUseId": "x", "name": "n", "input": {}}})),
            ),
            "not allowed in user messages",
        ),
        (
            edit(bedrock_good(), "/toolConfig", None),
            "The toolConfig field must be defined",
        ),
        (
            edit(bedrock_good(), "/toolConfig/tools", Some(json!([]))),
            "toolConfig.tools: at least one tool",
        ),
        (
            edit(
                bedrock_good(),
                "/toolConfig/tools/0/toolSpec/inputSchema",
                Some(json!({"type": "object"})),
            ),
            "unknown schema kind",
        ),
        (
            edit(
                bedrock_good(),
                "/toolConfig/tools/0/toolSpec/input_schema",
                Some(json!({})),
            ),
            "input_schema: Extra inputs",
        ),
        (
            edit(
                bedrock_good(),
                "/toolConfig/tools/0/toolSpec/name",
                Some(json!("read/file")),
            ),
            "toolSpec.name",
        ),
        (
            edit(
                bedrock_good(),
                "/toolConfig/toolChoice",
                Some(json!({"tool": {}})),
            ),
            "toolChoice.tool.name",
        ),
        (
            edit(bedrock_good(), "/system/0/text", Some(json!(""))),
            "at system.0 is blank",
        ),
        (
            edit(
                bedrock_good(),
                "/system/0",
                Some(json!({"type": "text", "text": "x"})),
            ),
            "exactly one member",
        ),
        (
            edit(bedrock_good(), "/inferenceConfig", None),
            "inferenceConfig: Field required",
        ),
        (
            edit(bedrock_good(), "/inferenceConfig/maxTokens", Some(json!(0))),
            "inferenceConfig.maxTokens",
        ),
        (
            edit(
                bedrock_good(),
                "/inferenceConfig/max_tokens",
                Some(json!(5)),
            ),
            "inferenceConfig.max_tokens: Extra inputs",
        ),
        (
            edit(
                bedrock_good(),
                "/system/0",
                Some(json!({"cachePoint": {"type": "default"}})),
            ),
            "The number of cachePoint blocks (5) exceeds the maximum of 4.",
        ),
    ];
    for (body, needle) in table {
        let message = bedrock_body(&body).expect_err(needle);
        assert!(
            message.contains(needle),
            "expected {needle:?} in {message:?}"
        );
    }
}
