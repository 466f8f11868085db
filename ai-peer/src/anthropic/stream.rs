//! A response body (bytes) turned into the provider's [`EventStream`]: SSE framing, the
//! [`SseMapper`], and the idle timeout.

use std::collections::VecDeque;
use std::fmt::Display;
use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt, stream};

use super::sse::SseMapper;
use crate::{AiError, Event, EventStream};

/// The events of an SSE body, each yielded as soon as its frame is complete. The stream ends
/// after `MessageStop`, or with one error: the mapper's, `Malformed` for bytes that are not
/// SSE, `Disconnected` when the body ends early, fails, or is silent for `idle_timeout`.
pub fn events<S, B, E>(body: S, idle_timeout: Duration) -> EventStream
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: AsRef<[u8]> + Send + 'static,
    E: Display + Send + 'static,
{
    let state = State {
        frames: Box::pin(body.eventsource()),
        mapper: SseMapper::new(),
        pending: VecDeque::new(),
        finished: false,
        idle_timeout,
    };
    Box::pin(stream::unfold(state, State::next))
}

type Frames<S> = Pin<Box<eventsource_stream::EventStream<S>>>;

struct State<S> {
    frames: Frames<S>,
    mapper: SseMapper,
    /// Events of the last frame not yet yielded (a frame maps to at most one today).
    pending: VecDeque<Event>,
    finished: bool,
    idle_timeout: Duration,
}

impl<S, B, E> State<S>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
    E: Display,
{
    async fn next(mut self) -> Option<(Result<Event, AiError>, Self)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some((Ok(event), self));
            }
            // After `message_stop` nothing more is read: the answer is complete.
            if self.finished || self.mapper.is_done() {
                return None;
            }
            let last = match tokio::time::timeout(self.idle_timeout, self.frames.next()).await {
                Err(_) => {
                    let idle_timeout = self.idle_timeout;
                    tracing::warn!(?idle_timeout, "anthropic stream silent too long");
                    Some(Err(AiError::Disconnected))
                }
                Ok(None) => self.mapper.on_end().map(|e| {
                    tracing::warn!("anthropic stream ended before message_stop");
                    Err(e)
                }),
                Ok(Some(Err(EventStreamError::Transport(e)))) => {
                    tracing::warn!(error = %e, "anthropic stream failed");
                    Some(Err(AiError::Disconnected))
                }
                Ok(Some(Err(e))) => {
                    tracing::warn!(error = %e, "anthropic stream is not SSE");
                    Some(Err(AiError::Malformed(format!("SSE framing: {e}"))))
                }
                Ok(Some(Ok(frame))) => match self.mapper.on_event(&frame.event, &frame.data) {
                    Ok(events) => {
                        self.pending.extend(events);
                        continue;
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "anthropic stream ended with an error");
                        Some(Err(e))
                    }
                },
            };
            self.finished = true;
            return last.map(|item| (item, self));
        }
    }
}

#[cfg(test)]
pub(super) mod tests;
