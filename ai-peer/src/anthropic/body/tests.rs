//! The request-body translation as a table: request in, exact JSON out.

use serde_json::{Value, json};

use super::body;
use crate::{AiError, Block, Message, Request, SystemBlock, Tool};

const CC: &str = "cache_control";

fn tool(name: &str, eager: bool, edits: bool) -> Tool {
    Tool {
        name: name.into(),
        description: format!("{name} things"),
        input_schema: json!({"type": "object"}),
        edits,
        eager_input_streaming: eager,
    }
}

fn text(s: &str) -> Block {
    Block::Text(s.into())
}

fn req(messages: Vec<Message>) -> Request {
    Request {
        messages,
        ..Request::user("", 100)
    }
}

fn eph() -> Value {
    json!({"type": "ephemeral"})
}

#[test]
fn body_table() {
    let cases: Vec<(&str, Request, Value)> = vec![
        (
            "minimal: no system, tools, temperature or stop sequences",
            Request::user("hi", 64),
            json!({
                "model": "m", "max_tokens": 64, "stream": true,
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            }),
        ),
        (
            "sampling settings when set",
            Request {
                temperature: Some(0.7),
                stop_sequences: vec!["END".into()],
                ..Request::user("hi", 64)
            },
            json!({
                "model": "m", "max_tokens": 64, "stream": true, "temperature": 0.7,
                "stop_sequences": ["END"],
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            }),
        ),
        (
            "system blocks, cache point on the preceding one; a leading point is dropped",
            Request {
                system: vec![
                    SystemBlock::CachePoint,
                    SystemBlock::Text("a".into()),
                    SystemBlock::CachePoint,
                    SystemBlock::Text("b".into()),
                ],
                ..Request::user("hi", 8)
            },
            json!({
                "model": "m", "max_tokens": 8, "stream": true,
                "system": [
                    {"type": "text", "text": "a", CC: eph()},
                    {"type": "text", "text": "b"},
                ],
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            }),
        ),
        (
            "tool use, tool results (is_error only when true), roles",
            req(vec![
                Message::user(vec![text("edit it")]),
                Message::assistant(vec![
                    text("ok"),
                    Block::ToolUse {
                        id: "t1".into(),
                        name: "str_replace".into(),
                        input: json!({"a": 1}),
                    },
                    Block::ToolUse {
                        id: "t2".into(),
                        name: "read".into(),
                        input: json!({}),
                    },
                ]),
                Message::user(vec![
                    Block::ToolResult {
                        tool_use_id: "t1".into(),
                        content: "done".into(),
                        is_error: false,
                    },
                    Block::ToolResult {
                        tool_use_id: "t2".into(),
                        content: "no".into(),
                        is_error: true,
                    },
                ]),
            ]),
            json!({
                "model": "m", "max_tokens": 100, "stream": true,
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "edit it"}]},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "ok"},
                        {"type": "tool_use", "id": "t1", "name": "str_replace", "input": {"a": 1}},
                        {"type": "tool_use", "id": "t2", "name": "read", "input": {}},
                    ]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "t1", "content": "done"},
                        {"type": "tool_result", "tool_use_id": "t2", "content": "no", "is_error": true},
                    ]},
                ],
            }),
        ),
        (
            "message cache points: on the preceding block, else the previous message's last, \
             a point at the very start is dropped, two in a row mark one block",
            req(vec![
                Message::user(vec![
                    Block::CachePoint,
                    text("a"),
                    Block::CachePoint,
                    Block::CachePoint,
                ]),
                Message::assistant(vec![text("b"), text("c")]),
                Message::user(vec![Block::CachePoint, text("d")]),
            ]),
            json!({
                "model": "m", "max_tokens": 100, "stream": true,
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "a", CC: eph()}]},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "b"},
                        {"type": "text", "text": "c", CC: eph()},
                    ]},
                    {"role": "user", "content": [{"type": "text", "text": "d"}]},
                ],
            }),
        ),
        (
            "tools: eager streaming when set, edits never sent, cache_tools on the last",
            Request {
                tools: vec![tool("read", false, false), tool("str_replace", true, true)],
                cache_tools: true,
                ..Request::user("hi", 8)
            },
            json!({
                "model": "m", "max_tokens": 8, "stream": true,
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                "tools": [
                    {"name": "read", "description": "read things", "input_schema": {"type": "object"}},
                    {"name": "str_replace", "description": "str_replace things",
                     "input_schema": {"type": "object"}, "eager_input_streaming": true, CC: eph()},
                ],
            }),
        ),
        (
            "four breakpoints are allowed",
            Request {
                tools: vec![tool("read", false, false)],
                cache_tools: true,
                system: vec![SystemBlock::Text("s".into()), SystemBlock::CachePoint],
                messages: vec![
                    Message::user(vec![text("a"), Block::CachePoint]),
                    Message::assistant(vec![text("b"), Block::CachePoint]),
                ],
                ..Request::user("", 8)
            },
            json!({
                "model": "m", "max_tokens": 8, "stream": true,
                "system": [{"type": "text", "text": "s", CC: eph()}],
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "a", CC: eph()}]},
                    {"role": "assistant", "content": [{"type": "text", "text": "b", CC: eph()}]},
                ],
                "tools": [{"name": "read", "description": "read things",
                           "input_schema": {"type": "object"}, CC: eph()}],
            }),
        ),
    ];
    for (name, request, want) in cases {
        let got = body(&request, "m").unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn refused_before_sending() {
    let five = Request {
        system: vec![SystemBlock::Text("s".into()), SystemBlock::CachePoint],
        messages: vec![Message::user(vec![
            text("a"),
            Block::CachePoint,
            text("b"),
            Block::CachePoint,
            text("c"),
            Block::CachePoint,
            text("d"),
            Block::CachePoint,
        ])],
        ..Request::user("", 8)
    };
    let nan = Request {
        temperature: Some(f32::NAN),
        ..Request::user("hi", 8)
    };
    for (name, request) in [("five breakpoints", five), ("NaN temperature", nan)] {
        assert!(
            matches!(body(&request, "m"), Err(AiError::Invalid(_))),
            "{name}"
        );
    }
}
