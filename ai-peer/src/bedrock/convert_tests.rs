//! Tests of the Request -> ConverseStream input translation.

use serde_json::json;

use super::*;
use crate::Tool as OurTool;

fn text(s: &str) -> ContentBlock {
    ContentBlock::Text(s.into())
}

fn point() -> CachePointBlock {
    CachePointBlock::builder()
        .r#type(CachePointType::Default)
        .build()
        .unwrap()
}

fn edit_tool() -> OurTool {
    OurTool {
        name: "str_replace".into(),
        description: "Replace old_str by new_str".into(),
        input_schema: json!({"type": "object", "required": ["old_str"]}),
        edits: true,
        eager_input_streaming: true,
    }
}

#[test]
fn a_conversation_maps_block_by_block() {
    let request = Request {
        system: vec![
            SystemBlock::Text("You edit files.".into()),
            SystemBlock::CachePoint,
        ],
        messages: vec![
            crate::Message::user(vec![Block::Text("Fix it".into()), Block::CachePoint]),
            crate::Message::assistant(vec![
                Block::Text("Looking.".into()),
                Block::ToolUse {
                    id: "tu_1".into(),
                    name: "str_replace".into(),
                    input: json!({"old_str": "a", "line": 3}),
                },
            ]),
            crate::Message::user(vec![
                Block::ToolResult {
                    tool_use_id: "tu_1".into(),
                    content: "applied".into(),
                    is_error: false,
                },
                Block::ToolResult {
                    tool_use_id: "tu_2".into(),
                    content: "ambiguous".into(),
                    is_error: true,
                },
            ]),
        ],
        tools: vec![edit_tool()],
        cache_tools: true,
        max_tokens: 1024,
        temperature: Some(0.5),
        stop_sequences: vec!["</done>".into()],
    };
    let input = to_converse(&request).unwrap();

    let result = |id: &str, body: &str, status| {
        ContentBlock::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id(id)
                .content(ToolResultContentBlock::Text(body.into()))
                .status(status)
                .build()
                .unwrap(),
        )
    };
    let expected_messages = vec![
        Message::builder()
            .role(ConversationRole::User)
            .content(text("Fix it"))
            .content(ContentBlock::CachePoint(point()))
            .build()
            .unwrap(),
        Message::builder()
            .role(ConversationRole::Assistant)
            .content(text("Looking."))
            .content(ContentBlock::ToolUse(
                ToolUseBlock::builder()
                    .tool_use_id("tu_1")
                    .name("str_replace")
                    .input(to_document(&json!({"old_str": "a", "line": 3})))
                    .build()
                    .unwrap(),
            ))
            .build()
            .unwrap(),
        Message::builder()
            .role(ConversationRole::User)
            .content(result("tu_1", "applied", ToolResultStatus::Success))
            .content(result("tu_2", "ambiguous", ToolResultStatus::Error))
            .build()
            .unwrap(),
    ];
    assert_eq!(input.messages, expected_messages);
    assert_eq!(
        input.system,
        Some(vec![
            SystemContentBlock::Text("You edit files.".into()),
            SystemContentBlock::CachePoint(point()),
        ])
    );
    assert_eq!(input.inference.max_tokens, Some(1024));
    assert_eq!(input.inference.temperature, Some(0.5));
    assert_eq!(
        input.inference.stop_sequences,
        Some(vec!["</done>".to_owned()])
    );
    let spec = ToolSpecification::builder()
        .name("str_replace")
        .description("Replace old_str by new_str")
        .input_schema(ToolInputSchema::Json(to_document(
            &json!({"type": "object", "required": ["old_str"]}),
        )))
        .build()
        .unwrap();
    let tools = input.tools.unwrap();
    assert_eq!(
        tools.tools,
        vec![Tool::ToolSpec(spec), Tool::CachePoint(point())]
    );
    assert_eq!(tools.tool_choice, None);
}

#[test]
fn optional_parts_are_left_out() {
    let input = to_converse(&Request::user("hi", 16)).unwrap();
    assert_eq!(input.system, None);
    assert_eq!(input.tools, None);
    assert_eq!(input.inference.max_tokens, Some(16));
    assert_eq!(input.inference.temperature, None);
    assert_eq!(input.inference.stop_sequences, None);

    let mut request = Request::user("hi", 16);
    request.tools = vec![OurTool {
        description: String::new(),
        ..edit_tool()
    }];
    let tools = to_converse(&request).unwrap().tools.unwrap();
    assert_eq!(tools.tools.len(), 1, "no cache point without cache_tools");
    let Tool::ToolSpec(spec) = &tools.tools[0] else {
        panic!("{tools:?}")
    };
    assert_eq!(spec.description, None);
}

#[test]
fn cache_points_are_counted_across_the_request() {
    // (system points, message points, cache_tools, accepted)
    let cases = [
        (0, 0, false, true),
        (1, 2, true, true),
        (2, 2, false, true),
        (2, 2, true, false),
    ];
    for (system, in_messages, cache_tools, accepted) in cases {
        let mut request = Request::user("hi", 16);
        request.system = vec![SystemBlock::CachePoint; system];
        request.messages[0]
            .content
            .extend(vec![Block::CachePoint; in_messages]);
        request.cache_tools = cache_tools;
        request.tools = vec![edit_tool()];
        let result = to_converse(&request);
        assert_eq!(
            result.is_ok(),
            accepted,
            "{system} {in_messages} {cache_tools}"
        );
        if !accepted {
            assert!(matches!(result, Err(AiError::Invalid(_))));
        }
    }
}

#[test]
fn max_tokens_beyond_i32_is_refused() {
    let result = to_converse(&Request::user("hi", u32::MAX));
    assert!(matches!(result, Err(AiError::Invalid(_))));
}
