//! Anthropic's streaming events (one SSE frame each) mapped to [`Event`]s: a pure state machine.

use std::collections::HashSet;

mod wire;

use serde::Deserialize;

use crate::{AiError, ErrorKind, Event, StopReason, Usage};
use wire::{BlockDelta, BlockStart, BlockStop, ErrorEvent, MessageDelta, MessageStart, Typed};

/// Maps the SSE frames of one answer, in order, to events.
///
/// Only text and tool_use blocks are surfaced; other blocks (thinking, server tools, ...) are
/// remembered by index so their deltas and stop are skipped too.
#[derive(Debug, Default)]
pub struct SseMapper {
    /// Cumulative usage: `message_start`'s, overridden field by field by each `message_delta`.
    usage: Usage,
    skipped: HashSet<u32>,
    done: bool,
}

impl SseMapper {
    pub fn new() -> Self {
        Self::default()
    }

    /// The events for one SSE frame named `event_name` carrying `data`. An `Err` is the
    /// stream's last item. Frames after `message_stop` are ignored.
    pub fn on_event(&mut self, event_name: &str, data: &str) -> Result<Vec<Event>, AiError> {
        if self.done {
            return Ok(Vec::new());
        }
        // A frame without `event:` is named "message" by SSE; the JSON `type` repeats the name.
        let name = match event_name {
            "" | "message" => serde_json::from_str::<Typed>(data)
                .map(|t| t.kind)
                .map_err(malformed)?,
            name => name.to_owned(),
        };
        let event = match name.as_str() {
            "message_start" => {
                let start: MessageStart = parse(data)?;
                self.usage = start
                    .message
                    .usage
                    .unwrap_or_default()
                    .over(Usage::default());
                Some(Event::MessageStart {
                    model: Some(start.message.model),
                    usage: Some(self.usage),
                })
            }
            "content_block_start" => {
                let start: BlockStart = parse(data)?;
                let block = start.content_block;
                match block.kind.as_str() {
                    "text" => block
                        .text
                        .filter(|t| !t.is_empty())
                        .map(|text| Event::TextDelta {
                            index: start.index,
                            text,
                        }),
                    "tool_use" => match (block.id, block.name) {
                        (Some(id), Some(name)) => Some(Event::ToolUseStart {
                            index: start.index,
                            id,
                            name,
                        }),
                        _ => {
                            return Err(AiError::Malformed(
                                "tool_use block without id or name".into(),
                            ));
                        }
                    },
                    _ => {
                        self.skipped.insert(start.index);
                        None
                    }
                }
            }
            "content_block_delta" => {
                let delta: BlockDelta = parse(data)?;
                if self.skipped.contains(&delta.index) {
                    return Ok(Vec::new());
                }
                let index = delta.index;
                match delta.delta.kind.as_str() {
                    "text_delta" => match delta.delta.text {
                        Some(text) if text.is_empty() => None,
                        Some(text) => Some(Event::TextDelta { index, text }),
                        None => return Err(AiError::Malformed("text_delta without text".into())),
                    },
                    "input_json_delta" => match delta.delta.partial_json {
                        Some(json) if json.is_empty() => None,
                        Some(partial_json) => Some(Event::ToolInputDelta {
                            index,
                            partial_json,
                        }),
                        None => {
                            return Err(AiError::Malformed(
                                "input_json_delta without partial_json".into(),
                            ));
                        }
                    },
                    _ => None,
                }
            }
            "content_block_stop" => {
                let stop: BlockStop = parse(data)?;
                (!self.skipped.contains(&stop.index))
                    .then_some(Event::BlockStop { index: stop.index })
            }
            "message_delta" => {
                let delta: MessageDelta = parse(data)?;
                self.usage = delta.usage.unwrap_or_default().over(self.usage);
                Some(Event::MessageDelta {
                    stop_reason: delta.delta.stop_reason.as_deref().map(StopReason::parse),
                    usage: self.usage,
                })
            }
            "message_stop" => {
                self.done = true;
                Some(Event::MessageStop)
            }
            "error" => return Err(mid_stream(data)),
            // `ping`, and event types newer than this code.
            _ => None,
        };
        Ok(event.into_iter().collect())
    }

    /// True once `message_stop` was seen: the answer is complete.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The error the stream ends with when the body ends now, if any.
    pub fn on_end(&self) -> Option<AiError> {
        (!self.done).then_some(AiError::Disconnected)
    }
}

/// An `error` frame; a payload we cannot read is still an error of unknown kind.
fn mid_stream(data: &str) -> AiError {
    let Ok(ErrorEvent { error }) = serde_json::from_str::<ErrorEvent>(data) else {
        return AiError::MidStream {
            kind: ErrorKind::Other,
            message: data.chars().take(512).collect(),
        };
    };
    let kind = match error.kind.as_str() {
        "overloaded_error" => ErrorKind::Overloaded,
        "rate_limit_error" => ErrorKind::RateLimited,
        "api_error" => ErrorKind::Server,
        "invalid_request_error" => ErrorKind::InvalidRequest,
        _ => ErrorKind::Other,
    };
    AiError::MidStream {
        kind,
        message: format!("{}: {}", error.kind, error.message),
    }
}

fn parse<'a, T: Deserialize<'a>>(data: &'a str) -> Result<T, AiError> {
    serde_json::from_str(data).map_err(malformed)
}

fn malformed(e: serde_json::Error) -> AiError {
    AiError::Malformed(format!("SSE data: {e}"))
}

#[cfg(test)]
mod tests;
