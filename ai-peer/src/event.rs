//! The typed events every provider's stream is translated into.

use serde::{Deserialize, Serialize};

/// One event of a model's streamed answer, the same for every provider.
///
/// Block `index` values are the provider's content-block positions. Text blocks have no start
/// event (Bedrock does not send one): the first `TextDelta` of an index opens it. Empty deltas
/// are never emitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The answer begins. `usage` holds input and cache tokens when the provider reports them
    /// up front (Anthropic does; Bedrock reports everything at the end: `None`).
    MessageStart {
        model: Option<String>,
        usage: Option<Usage>,
    },
    TextDelta {
        index: u32,
        text: String,
    },
    ToolUseStart {
        index: u32,
        id: String,
        name: String,
    },
    /// A fragment of a tool call's input JSON; fragments concatenate to the whole input.
    ToolInputDelta {
        index: u32,
        partial_json: String,
    },
    BlockStop {
        index: u32,
    },
    /// Why the model stopped, with the cumulative usage so far (the last one is the total;
    /// never add them up).
    MessageDelta {
        stop_reason: Option<StopReason>,
        usage: Usage,
    },
    MessageStop,
}

/// Token counts of one call. Input counts only the uncached part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Prompt-cache writes (Anthropic `cache_creation_input_tokens`, Bedrock
    /// `cacheWriteInputTokens`).
    pub cache_write_tokens: u64,
    /// Prompt-cache reads (Anthropic `cache_read_input_tokens`, Bedrock `cacheReadInputTokens`).
    pub cache_read_tokens: u64,
}

impl Usage {
    /// Every token the call consumed, for rate limits and budgets.
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens + self.cache_write_tokens + self.cache_read_tokens
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    PauseTurn,
    Refusal,
    /// A reason this version does not know (providers add new ones).
    Other(String),
}

impl StopReason {
    /// Maps a provider's stop reason (Anthropic snake_case or Bedrock camelCase names).
    pub fn parse(s: &str) -> Self {
        match s {
            "end_turn" => Self::EndTurn,
            "max_tokens" => Self::MaxTokens,
            "stop_sequence" => Self::StopSequence,
            "tool_use" => Self::ToolUse,
            "pause_turn" => Self::PauseTurn,
            "refusal" => Self::Refusal,
            other => Self::Other(other.to_owned()),
        }
    }
}
