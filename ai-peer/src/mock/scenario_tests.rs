//! Tests of scenario parsing, the built-in set and the scenarios directory.

use serde_json::json;

use super::*;

#[test]
fn every_builtin_scenario_parses() {
    let scenarios = load(None).expect("built-ins load");
    for (name, _) in BUILTIN {
        assert!(scenarios.contains_key(*name), "{name}");
    }
    assert_eq!(scenarios.len(), BUILTIN.len());
}

#[test]
fn the_tool_call_fragments_split_strings_and_escapes() {
    let lines = parse_jsonl(include_str!("../../scenarios/tool_call.jsonl")).expect("parses");
    let fragments: Vec<&str> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Event(e) => e.pointer("/delta/partial_json")?.as_str(),
            _ => None,
        })
        .collect();
    assert_eq!(fragments.first(), Some(&""), "the first fragment is empty");
    assert!(
        fragments.iter().any(|f| f.ends_with("\\u00")),
        "a \\u escape is split"
    );
    assert!(
        fragments.iter().any(|f| f.ends_with('\\')),
        "a \\\" or \\n escape is split"
    );
    let joined: String = fragments.concat();
    let input: Value = serde_json::from_str(&joined).expect("fragments join to JSON");
    assert_eq!(
        input,
        json!({"path": "notes/café.md", "old_str": "say \"hi\"\nbye", "new_str": "say \"hello\"\n\tbye"})
    );
    let pings = lines
        .iter()
        .filter(|l| matches!(l, Line::Event(e) if e["type"] == "ping"))
        .count();
    assert_eq!(pings, 1);
}

#[test]
fn directives_parse() {
    let lines = parse_lines(&[
        json!({"type": "ping"}),
        json!({"mock": "sleep", "ms": 20}),
        json!({"mock": "drop"}),
    ])
    .expect("parses");
    assert_eq!(
        lines,
        vec![
            Line::Event(json!({"type": "ping"})),
            Line::Sleep(Duration::from_millis(20)),
            Line::Drop
        ]
    );
    let lines = parse_lines(&[json!({"mock": "http_error", "status": 429,
        "headers": {"Retry-After": "1"}, "error": {"type": "rate_limit_error", "message": "slow"}})])
    .expect("parses");
    assert_eq!(
        lines,
        vec![Line::HttpError(HttpErrorLine {
            status: 429,
            headers: vec![("retry-after".into(), "1".into())],
            error_type: "rate_limit_error".into(),
            message: "slow".into(),
        })]
    );
}

#[test]
fn bad_lines_are_refused_with_their_line_number() {
    let error = json!({"mock": "http_error", "status": 500, "error": {"type": "api_error", "message": "x"}});
    let table = [
        (vec![json!(["not an object"])], "line 1"),
        (vec![json!({"no": "type"})], "line 1"),
        (
            vec![json!({"type": "ping"}), json!({"mock": "nap"})],
            "line 2",
        ),
        (vec![json!({"mock": "sleep"})], "ms"),
        (vec![json!({"type": "ping"}), error.clone()], "first line"),
        (
            vec![error.clone(), json!({"type": "ping"})],
            "nothing may follow",
        ),
        (
            vec![
                json!({"mock": "http_error", "status": 200, "error": {"type": "a", "message": "b"}}),
            ],
            "status",
        ),
        (vec![json!({"mock": "http_error", "status": 500})], "error"),
        (vec![json!({"type": "content_block_stop"})], "index"),
    ];
    for (lines, needle) in table {
        let message = parse_lines(&lines).expect_err("refused");
        assert!(message.contains(needle), "{lines:?}: {message}");
    }
}

#[test]
fn scripted_responses_read_names_and_inline_lines() {
    assert_eq!(
        ScriptedResponse::from_json(&json!("text")),
        Ok(ScriptedResponse::Scenario("text".into()))
    );
    assert_eq!(
        ScriptedResponse::from_json(&json!({"lines": [{"type": "ping"}]})),
        Ok(ScriptedResponse::Lines(vec![json!({"type": "ping"})]))
    );
    assert!(ScriptedResponse::from_json(&json!({"lines": 3})).is_err());
    assert!(ScriptedResponse::from_json(&json!({"lines": [], "x": 1})).is_err());
    assert!(ScriptedResponse::from_json(&json!(7)).is_err());
}

#[test]
fn a_directory_adds_and_overrides_scenarios() {
    let dir = std::env::temp_dir().join(format!("claude-mock-scenarios-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("text.jsonl"), "{\"type\":\"ping\"}\n\n").expect("write");
    std::fs::write(dir.join("extra.jsonl"), "{\"mock\":\"drop\"}\n").expect("write");
    std::fs::write(dir.join("notes.txt"), "ignored").expect("write");
    let scenarios = load(Some(&dir));
    std::fs::write(dir.join("broken.jsonl"), "{\"type\":\n").expect("write");
    let broken = load(Some(&dir));
    std::fs::remove_dir_all(&dir).expect("cleanup");

    let scenarios = scenarios.expect("loads");
    assert_eq!(
        scenarios["text"],
        vec![Line::Event(json!({"type": "ping"}))]
    );
    assert_eq!(scenarios["extra"], vec![Line::Drop]);
    assert!(scenarios.contains_key("tool_call"));
    assert!(!scenarios.contains_key("notes"));
    let message = broken
        .expect_err("a broken file fails the load")
        .to_string();
    assert!(message.contains("broken"), "{message}");
}
