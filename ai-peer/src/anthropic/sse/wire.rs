//! The JSON payloads of Anthropic's streaming events, as far as the mapper reads them
//! (unknown fields are ignored: the API adds new ones).

use serde::Deserialize;

use crate::Usage;

/// Token counts as sent; a field the event leaves out keeps its earlier value.
#[derive(Deserialize, Default)]
pub(super) struct WireUsage {
    pub(super) input_tokens: Option<u64>,
    pub(super) output_tokens: Option<u64>,
    pub(super) cache_creation_input_tokens: Option<u64>,
    pub(super) cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    pub(super) fn over(self, base: Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens.unwrap_or(base.input_tokens),
            output_tokens: self.output_tokens.unwrap_or(base.output_tokens),
            cache_write_tokens: self
                .cache_creation_input_tokens
                .unwrap_or(base.cache_write_tokens),
            cache_read_tokens: self
                .cache_read_input_tokens
                .unwrap_or(base.cache_read_tokens),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Typed {
    #[serde(rename = "type")]
    pub(super) kind: String,
}

#[derive(Deserialize)]
pub(super) struct MessageStart {
    pub(super) message: StartedMessage,
}

#[derive(Deserialize)]
pub(super) struct StartedMessage {
    pub(super) model: String,
    pub(super) usage: Option<WireUsage>,
}

#[derive(Deserialize)]
pub(super) struct BlockStart {
    pub(super) index: u32,
    pub(super) content_block: StartedBlock,
}

#[derive(Deserialize)]
pub(super) struct StartedBlock {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) text: Option<String>,
    pub(super) id: Option<String>,
    pub(super) name: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct BlockDelta {
    pub(super) index: u32,
    pub(super) delta: Delta,
}

#[derive(Deserialize)]
pub(super) struct Delta {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) text: Option<String>,
    pub(super) partial_json: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct BlockStop {
    pub(super) index: u32,
}

#[derive(Deserialize)]
pub(super) struct MessageDelta {
    pub(super) delta: MessageDeltaBody,
    pub(super) usage: Option<WireUsage>,
}

#[derive(Deserialize)]
pub(super) struct MessageDeltaBody {
    pub(super) stop_reason: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ErrorEvent {
    pub(super) error: ErrorBody,
}

#[derive(Deserialize)]
pub(super) struct ErrorBody {
    #[serde(rename = "type", default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) message: String,
}
