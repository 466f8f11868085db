//! What a caller asks a model for, independent of the provider that will serve it.
//!
//! One shape for both wire formats: each provider translates it (Anthropic's `cache_control`
//! on the block before a [`Block::CachePoint`], Bedrock's `cachePoint` block as is).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One model call: system prompt, conversation, tools and sampling settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// System prompt pieces, in order; a [`SystemBlock::CachePoint`] ends a cached prefix.
    #[serde(default)]
    pub system: Vec<SystemBlock>,
    pub messages: Vec<Message>,
    #[serde(default)]
    pub tools: Vec<Tool>,
    /// A prompt-cache breakpoint after the last tool definition (tools come first in the
    /// cached prefix on both providers).
    #[serde(default)]
    pub cache_tools: bool,
    pub max_tokens: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop_sequences: Vec<String>,
}

impl Request {
    /// A request with one user message and nothing else.
    pub fn user(text: impl Into<String>, max_tokens: u32) -> Self {
        Self {
            system: Vec::new(),
            messages: vec![Message::user(vec![Block::Text(text.into())])],
            tools: Vec::new(),
            cache_tools: false,
            max_tokens,
            temperature: None,
            stop_sequences: Vec::new(),
        }
    }

    /// True when a tool that changes the room is offered: such a request is never answered
    /// from the response cache.
    pub fn offers_edit_tools(&self) -> bool {
        self.tools.iter().any(|t| t.edits)
    }

    /// Prompt-cache breakpoints in the request (providers allow at most four).
    pub fn cache_points(&self) -> usize {
        let system = self
            .system
            .iter()
            .filter(|b| matches!(b, SystemBlock::CachePoint))
            .count();
        let messages = self
            .messages
            .iter()
            .flat_map(|m| &m.content)
            .filter(|b| matches!(b, Block::CachePoint))
            .count();
        system + messages + usize::from(self.cache_tools)
    }
}

/// A piece of the system prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemBlock {
    Text(String),
    /// Everything before this point is a cacheable prefix.
    CachePoint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Vec<Block>,
}

impl Message {
    pub fn user(content: Vec<Block>) -> Self {
        Self {
            role: Role::User,
            content,
        }
    }

    pub fn assistant(content: Vec<Block>) -> Self {
        Self {
            role: Role::Assistant,
            content,
        }
    }
}

/// A content block of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    Text(String),
    /// The model's call of a tool (in an assistant message).
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// The answer to a `ToolUse` (in the next user message, before any text).
    ToolResult {
        tool_use_id: String,
        content: String,
        is_error: bool,
    },
    /// Everything before this point is a cacheable prefix.
    CachePoint,
}

/// A tool the model may call, described by a JSON Schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
    /// The tool changes the room (files, runs): requests offering it bypass the response cache.
    /// Never sent to a provider.
    #[serde(default)]
    pub edits: bool,
    /// Ask the provider to stream this tool's input without buffering (Anthropic's
    /// fine-grained tool streaming), so an edit's new text can be applied as it arrives.
    #[serde(default)]
    pub eager_input_streaming: bool,
}
