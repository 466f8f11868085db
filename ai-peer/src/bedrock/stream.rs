//! ConverseStream output as our `Event`s: a state machine fed one `EventReceiver::recv`
//! result at a time, answering with the events to yield at once.

use std::collections::HashSet;

use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, TokenUsage,
};
use aws_smithy_types::event_stream::RawMessage;

use super::errors::stream_error;
use crate::{AiError, Event, StopReason, Usage};

/// What `EventReceiver::recv` returns.
pub(crate) type Received =
    Result<Option<ConverseStreamOutput>, SdkError<ConverseStreamOutputError, RawMessage>>;

/// The translation state of one stream.
#[derive(Debug, Default)]
pub(crate) struct StreamMapper {
    /// Text blocks that had a delta and tool blocks that started, until their stop.
    open_blocks: HashSet<u32>,
    /// From `messageStop`; reported with the usage that follows it in `metadata`.
    stop_reason: Option<StopReason>,
    message_stopped: bool,
    finished: bool,
}

impl StreamMapper {
    /// True once the last item was produced: the receiver must not be polled again.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Translates one `recv` result. Most give zero or one event; `metadata` and the end of
    /// the body give two; an error is always the last item.
    pub(crate) fn step(&mut self, received: Received) -> Vec<Result<Event, AiError>> {
        if self.finished {
            return Vec::new();
        }
        match received {
            Ok(Some(event)) => self.on_event(event),
            Ok(None) => {
                self.finished = true;
                if self.message_stopped {
                    // Metadata is optional on the wire; the stop reason is all we have.
                    self.message_end(Usage::default())
                } else {
                    vec![Err(AiError::Disconnected)]
                }
            }
            Err(err) => {
                self.finished = true;
                vec![Err(stream_error(err))]
            }
        }
    }

    fn on_event(&mut self, event: ConverseStreamOutput) -> Vec<Result<Event, AiError>> {
        match event {
            ConverseStreamOutput::MessageStart(_) => {
                vec![Ok(Event::MessageStart {
                    model: None,
                    usage: None,
                })]
            }
            ConverseStreamOutput::ContentBlockStart(start) => {
                let Some(ContentBlockStart::ToolUse(tool)) = start.start else {
                    return Vec::new();
                };
                self.with_index(start.content_block_index, |this, index| {
                    this.open_blocks.insert(index);
                    Some(Event::ToolUseStart {
                        index,
                        id: tool.tool_use_id,
                        name: tool.name,
                    })
                })
            }
            ConverseStreamOutput::ContentBlockDelta(delta) => match delta.delta {
                Some(ContentBlockDelta::Text(text)) if !text.is_empty() => {
                    self.with_index(delta.content_block_index, |this, index| {
                        this.open_blocks.insert(index);
                        Some(Event::TextDelta { index, text })
                    })
                }
                Some(ContentBlockDelta::ToolUse(tool)) if !tool.input.is_empty() => self
                    .with_index(delta.content_block_index, |_, index| {
                        Some(Event::ToolInputDelta {
                            index,
                            partial_json: tool.input,
                        })
                    }),
                // Empty deltas, reasoning, citations and members this SDK does not know.
                _ => Vec::new(),
            },
            ConverseStreamOutput::ContentBlockStop(stop) => {
                self.with_index(stop.content_block_index, |this, index| {
                    this.open_blocks
                        .remove(&index)
                        .then_some(Event::BlockStop { index })
                })
            }
            ConverseStreamOutput::MessageStop(stop) => {
                self.stop_reason = Some(StopReason::parse(stop.stop_reason.as_str()));
                self.message_stopped = true;
                Vec::new()
            }
            ConverseStreamOutput::Metadata(metadata) => {
                self.finished = true;
                self.message_end(metadata.usage.as_ref().map(usage).unwrap_or_default())
            }
            _ => Vec::new(),
        }
    }

    /// Runs `f` with the block index as ours, or ends the stream when it is negative.
    fn with_index(
        &mut self,
        index: i32,
        f: impl FnOnce(&mut Self, u32) -> Option<Event>,
    ) -> Vec<Result<Event, AiError>> {
        match u32::try_from(index) {
            Ok(index) => f(self, index).into_iter().map(Ok).collect(),
            Err(_) => {
                self.finished = true;
                vec![Err(AiError::Malformed(format!(
                    "negative content block index {index}"
                )))]
            }
        }
    }

    fn message_end(&mut self, usage: Usage) -> Vec<Result<Event, AiError>> {
        vec![
            Ok(Event::MessageDelta {
                stop_reason: self.stop_reason.take(),
                usage,
            }),
            Ok(Event::MessageStop),
        ]
    }
}

fn usage(usage: &TokenUsage) -> Usage {
    // The SDK models counts as i32; a negative one would be a service bug, read as zero.
    let count = |n: i32| u64::try_from(n).unwrap_or(0);
    Usage {
        input_tokens: count(usage.input_tokens),
        output_tokens: count(usage.output_tokens),
        cache_write_tokens: usage.cache_write_input_tokens.map_or(0, count),
        cache_read_tokens: usage.cache_read_input_tokens.map_or(0, count),
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
