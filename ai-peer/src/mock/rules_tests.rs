//! Tests of rule matching and of rendering replies into scenario lines.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::mock::conversation::ToolResult;
use crate::mock::scenario::parse_lines;

fn conversation() -> Conversation {
    Conversation {
        model: "claude-haiku-4-5".into(),
        last_user_text: "please rename foo".into(),
        tool_results: vec![
            ToolResult {
                tool_name: Some("read_file".into()),
                content: "fn foo() {}".into(),
            },
            ToolResult {
                tool_name: Some("search".into()),
                content: "2 matches".into(),
            },
        ],
        body_bytes: 400,
    }
}

fn when(v: Value) -> When {
    serde_json::from_value(v).expect("a condition")
}

#[test]
fn conditions_match_as_documented() {
    let c = conversation();
    let table = [
        (json!({}), true),
        (json!({"always": true}), true),
        (json!({"always": false}), false),
        (json!({"last_user_contains": "rename"}), true),
        (json!({"last_user_contains": "delete"}), false),
        (json!({"model": "haiku"}), true),
        (json!({"model": "opus"}), false),
        (json!({"tool_result_for": "read_file"}), true),
        (json!({"tool_result_for": "write_file"}), false),
        (json!({"tool_result_contains": "matches"}), true),
        (
            json!({"tool_result_for": "read_file", "tool_result_contains": "fn foo"}),
            true,
        ),
        // Both conditions hold, but for different results: no match.
        (
            json!({"tool_result_for": "read_file", "tool_result_contains": "matches"}),
            false,
        ),
        (
            json!({"last_user_contains": "rename", "model": "opus"}),
            false,
        ),
    ];
    for (condition, expected) in table {
        assert_eq!(when(condition.clone()).holds(&c), expected, "{condition}");
    }
}

#[test]
fn the_first_matching_rule_wins() {
    let rules = Rules::from_json(
        r#"{"rules": [
            {"when": {"last_user_contains": "delete"}, "reply": [{"text": "no"}]},
            {"when": {"model": "haiku"}, "reply": [{"text": "first"}]},
            {"when": {"always": true}, "reply": [{"text": "second"}]}
        ]}"#,
    )
    .expect("parses");
    let rule = rules.find(&conversation()).expect("a rule");
    assert_eq!(rule.reply, vec![ReplyItem::text("first")]);
    assert!(Rules::default().find(&conversation()).is_none());
}

#[test]
fn bad_rules_json_is_refused() {
    for bad in [
        r#"{"rules": [{"reply": [{"text": "x", "tool": "y"}]}]}"#,
        r#"{"rules": [{"when": {"sometimes": true}, "reply": []}]}"#,
        r#"{"rules": [{"when": {}}]}"#,
        r#"{"rulez": []}"#,
    ] {
        assert!(Rules::from_json(bad).is_err(), "{bad}");
    }
}

fn deltas(lines: &[Line], kind: &str, field: &str) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| match l {
            Line::Event(e) if e["delta"]["type"] == kind => {
                e["delta"][field].as_str().map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_text_reply_renders_in_chunks_with_the_template_filled() {
    let rule: Rule = serde_json::from_value(
        json!({"reply": [{"text": "You said: {{last_user}}"}], "chunk_chars": 5}),
    )
    .expect("a rule");
    let lines = rule.render(&conversation(), 7, 1);
    let text = deltas(&lines, "text_delta", "text");
    assert_eq!(text.concat(), "You said: please rename foo");
    assert!(
        text.iter().all(|t| t.chars().count() <= 5) && text.len() == 6,
        "{text:?}"
    );
    let Line::Event(start) = &lines[0] else {
        panic!("message_start first")
    };
    assert_eq!(start["message"]["id"], "msg_mock_7");
    assert_eq!(start["message"]["model"], "claude-haiku-4-5");
    assert_eq!(start["message"]["usage"]["input_tokens"], 100);
    let Line::Event(delta) = &lines[lines.len() - 2] else {
        panic!("message_delta")
    };
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(
        delta["usage"]["output_tokens"], 7,
        "27 characters / 4, rounded up"
    );
    assert_eq!(
        lines.last(),
        Some(&Line::Event(json!({"type": "message_stop"})))
    );
    parse_lines(
        &lines
            .iter()
            .map(|l| match l {
                Line::Event(e) => e.clone(),
                _ => json!({"mock": "drop"}),
            })
            .collect::<Vec<_>>(),
    )
    .expect("rendered lines are a valid scenario");
}

#[test]
fn a_tool_reply_streams_its_input_and_stops_for_tool_use() {
    let rule = Rule {
        when: When::default(),
        reply: vec![
            ReplyItem::text("On it."),
            ReplyItem::tool(
                "str_replace",
                json!({"old_str": "foo", "new_str": "é {{last_user}}"}),
            ),
            ReplyItem::tool("read_file", json!({"path": "a.rs"})),
        ],
        delay_ms: 0,
        chunk_chars: 4,
        stop_reason: None,
    };
    let lines = rule.render(&conversation(), 1, 41);
    let starts: Vec<&Value> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Event(e) if e["type"] == "content_block_start" => Some(&e["content_block"]),
            _ => None,
        })
        .collect();
    assert_eq!(starts[1]["id"], "toolu_mock_41");
    assert_eq!(starts[2]["id"], "toolu_mock_42");
    assert_eq!(starts[1]["name"], "str_replace");
    let by_index = |index: usize| -> String {
        lines
            .iter()
            .filter_map(|l| match l {
                Line::Event(e)
                    if e["index"] == index && e["delta"]["type"] == "input_json_delta" =>
                {
                    e["delta"]["partial_json"].as_str()
                }
                _ => None,
            })
            .collect()
    };
    let input: Value = serde_json::from_str(&by_index(1)).expect("JSON");
    assert_eq!(
        input,
        json!({"old_str": "foo", "new_str": "é please rename foo"})
    );
    assert_eq!(
        deltas(&lines, "input_json_delta", "partial_json")[0],
        "",
        "first fragment empty"
    );
    let Line::Event(delta) = &lines[lines.len() - 2] else {
        panic!("message_delta")
    };
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
}

#[test]
fn delays_go_between_deltas_and_the_stop_reason_can_be_forced() {
    let rule: Rule = serde_json::from_value(json!({
        "reply": [{"text": "abcdefgh"}], "chunk_chars": 2, "delay_ms": 30, "stop_reason": "max_tokens"}))
    .expect("a rule");
    let lines = rule.render(&conversation(), 1, 1);
    let sleeps = lines
        .iter()
        .filter(|l| **l == Line::Sleep(Duration::from_millis(30)))
        .count();
    assert_eq!(sleeps, 3, "four deltas, three pauses between them");
    let Line::Event(delta) = &lines[lines.len() - 2] else {
        panic!("message_delta")
    };
    assert_eq!(delta["delta"]["stop_reason"], "max_tokens");
}
