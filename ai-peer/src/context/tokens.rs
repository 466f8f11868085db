//! Local token estimates, per model (tokenizers differ), erring on the high side.
//!
//! The estimate is additive: a request's estimate is its fixed overhead plus the estimates of
//! its tools, system blocks and messages, and a message's is its overhead plus its blocks'.
//! The budget builder relies on that to account piece by piece and still agree with
//! [`estimate_request`] on the result.

use crate::models::ModelSpec;
use crate::{Block, Message, Request, SystemBlock, Tool};

/// Estimates are multiplied by this, so a tokenizer denser than its average still fits.
pub const SAFETY_MARGIN: f64 = 1.15;
/// Per request: the framing every call pays.
pub const REQUEST_OVERHEAD: u64 = 8;
/// Per message: role markers and separators.
pub const MESSAGE_OVERHEAD: u64 = 4;
/// Per content or system block.
pub const BLOCK_OVERHEAD: u64 = 3;
/// Per tool definition, on top of its name, description and schema.
pub const TOOL_OVERHEAD: u64 = 10;
/// Once per request offering tools: the tool-use system prompt the provider adds (Anthropic
/// documents 300-400 tokens depending on the tool choice).
pub const TOOL_USE_PROMPT: u64 = 400;

/// Tokens of `text` for `spec`'s tokenizer: ASCII characters at the model's average
/// characters per token, every other character (CJK, emoji, accents) a whole token, times
/// [`SAFETY_MARGIN`], rounded up.
pub fn estimate_text(text: &str, spec: &ModelSpec) -> u64 {
    let (ascii, other) = text.chars().fold((0u64, 0u64), |(a, o), c| {
        if c.is_ascii() { (a + 1, o) } else { (a, o + 1) }
    });
    let per_token = if spec.chars_per_token > 0.0 {
        spec.chars_per_token
    } else {
        1.0
    };
    let raw = ascii as f64 / per_token + other as f64;
    // Float rounding could push an exact product a hair above an integer; that only adds a
    // token, which is on the safe side.
    (raw * SAFETY_MARGIN).ceil() as u64
}

/// Tokens of one content block (a cache point costs nothing).
pub fn estimate_block(block: &Block, spec: &ModelSpec) -> u64 {
    match block {
        Block::Text(t) => BLOCK_OVERHEAD + estimate_text(t, spec),
        Block::ToolUse { id, name, input } => {
            let input = serde_json::to_string(input).unwrap_or_default();
            BLOCK_OVERHEAD
                + estimate_text(id, spec)
                + estimate_text(name, spec)
                + estimate_text(&input, spec)
        }
        Block::ToolResult {
            tool_use_id,
            content,
            ..
        } => BLOCK_OVERHEAD + estimate_text(tool_use_id, spec) + estimate_text(content, spec),
        Block::CachePoint => 0,
    }
}

/// Tokens of one system block.
pub fn estimate_system_block(block: &SystemBlock, spec: &ModelSpec) -> u64 {
    match block {
        SystemBlock::Text(t) => BLOCK_OVERHEAD + estimate_text(t, spec),
        SystemBlock::CachePoint => 0,
    }
}

pub fn estimate_message(message: &Message, spec: &ModelSpec) -> u64 {
    MESSAGE_OVERHEAD
        + message
            .content
            .iter()
            .map(|b| estimate_block(b, spec))
            .sum::<u64>()
}

/// Tokens of one tool definition, its schema serialized as sent.
pub fn estimate_tool(tool: &Tool, spec: &ModelSpec) -> u64 {
    let schema = serde_json::to_string(&tool.input_schema).unwrap_or_default();
    TOOL_OVERHEAD
        + estimate_text(&tool.name, spec)
        + estimate_text(&tool.description, spec)
        + estimate_text(&schema, spec)
}

/// Tokens of a set of tools, with the tool-use prompt when there is any.
pub fn estimate_tools(tools: &[Tool], spec: &ModelSpec) -> u64 {
    if tools.is_empty() {
        return 0;
    }
    TOOL_USE_PROMPT + tools.iter().map(|t| estimate_tool(t, spec)).sum::<u64>()
}

/// Prompt tokens of a whole request (the output reserve `max_tokens` is not included).
pub fn estimate_request(request: &Request, spec: &ModelSpec) -> u64 {
    REQUEST_OVERHEAD
        + estimate_tools(&request.tools, spec)
        + request
            .system
            .iter()
            .map(|b| estimate_system_block(b, spec))
            .sum::<u64>()
        + request
            .messages
            .iter()
            .map(|m| estimate_message(m, spec))
            .sum::<u64>()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::models::defaults;

    fn spec(chars_per_token: f64) -> ModelSpec {
        ModelSpec {
            chars_per_token,
            ..defaults()[0].clone()
        }
    }

    #[test]
    fn text_estimates() {
        let cases: &[(&str, f64, u64)] = &[
            ("", 3.5, 0),
            ("a", 3.5, 1),
            // 35 chars / 3.5 = 10 tokens, * 1.15 = 11.5 -> 12
            (&"x".repeat(35), 3.5, 12),
            // 27 / 2.7 = 10 -> 11.5 -> 12
            (&"x".repeat(27), 2.7, 12),
            // 1000 / 4 = 250 * 1.15 = 287.5 -> 288
            (&"abcd".repeat(250), 4.0, 288),
            // Each non-ASCII char is a token: 4 CJK = 4 * 1.15 = 4.6 -> 5
            ("漢字漢字", 3.5, 5),
            // Emoji too (one char each, four bytes each: chars are counted, not bytes).
            ("🦀🦀🦀🦀🦀🦀🦀🦀🦀🦀", 3.5, 12),
            // Mixed: 9 ASCII / 3.5 = 2.57, + 2 = 4.57 * 1.15 = 5.26 -> 6
            ("héllo wörld", 3.5, 6),
        ];
        for (text, cpt, want) in cases {
            assert_eq!(estimate_text(text, &spec(*cpt)), *want, "{text:?} at {cpt}");
        }
    }

    #[test]
    fn denser_tokenizers_estimate_more() {
        let text = "fn main() { println!(\"hello\"); }\n".repeat(50);
        let old = estimate_text(&text, &spec(3.5));
        let new = estimate_text(&text, &spec(2.7));
        assert!(new > old * 12 / 10, "{new} vs {old}");
    }

    #[test]
    fn blocks_messages_tools_and_requests_add_up() {
        let s = spec(3.5);
        let text = "x".repeat(35); // 12 tokens
        assert_eq!(
            estimate_block(&Block::Text(text.clone()), &s),
            BLOCK_OVERHEAD + 12
        );
        assert_eq!(estimate_block(&Block::CachePoint, &s), 0);
        let use_block = Block::ToolUse {
            id: "t1".into(),
            name: "read".into(),
            input: json!({}),
        };
        let result = Block::ToolResult {
            tool_use_id: "t1".into(),
            content: text.clone(),
            is_error: false,
        };
        assert!(estimate_block(&use_block, &s) > BLOCK_OVERHEAD);
        assert_eq!(estimate_block(&result, &s), BLOCK_OVERHEAD + 1 + 12);

        let m = Message::user(vec![
            Block::Text(text.clone()),
            Block::CachePoint,
            result.clone(),
        ]);
        assert_eq!(
            estimate_message(&m, &s),
            MESSAGE_OVERHEAD + 2 * BLOCK_OVERHEAD + 12 + 13
        );

        let tool = Tool {
            name: "read_file".into(),
            description: "Reads a file.".into(),
            input_schema: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
            edits: false,
            eager_input_streaming: false,
        };
        let schema = estimate_text(
            &serde_json::to_string(&tool.input_schema).unwrap_or_default(),
            &s,
        );
        assert!(schema > 10, "the schema is counted");
        assert_eq!(
            estimate_tool(&tool, &s),
            TOOL_OVERHEAD
                + estimate_text("read_file", &s)
                + estimate_text("Reads a file.", &s)
                + schema
        );
        assert_eq!(estimate_tools(&[], &s), 0);

        let mut r = Request::user(text, 100);
        assert_eq!(
            estimate_request(&r, &s),
            REQUEST_OVERHEAD + MESSAGE_OVERHEAD + BLOCK_OVERHEAD + 12
        );
        r.system = vec![SystemBlock::Text("x".repeat(35)), SystemBlock::CachePoint];
        r.tools = vec![tool.clone()];
        assert_eq!(
            estimate_request(&r, &s),
            REQUEST_OVERHEAD
                + TOOL_USE_PROMPT
                + estimate_tool(&tool, &s)
                + (BLOCK_OVERHEAD + 12)
                + MESSAGE_OVERHEAD
                + BLOCK_OVERHEAD
                + 12
        );
        r.max_tokens = 64_000;
        assert_eq!(
            estimate_request(&r, &s),
            estimate_request(
                &Request {
                    max_tokens: 100,
                    ..r.clone()
                },
                &s
            )
        );
    }
}
