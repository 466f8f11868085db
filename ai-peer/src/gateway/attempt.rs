//! One target of a route: take a key, open the stream, read ahead to the first content event,
//! and decide what a failure means (retry here, move to the next target, or give up).

use std::time::Duration;

use futures_util::StreamExt;

use super::Gateway;
use crate::keypool::KeyLease;
use crate::retry::{self, Decision};
use crate::router::Target;
use crate::{AiError, ErrorKind, Event, EventStream, Request};

/// How long a key refused for its credentials rests before it is tried again.
const AUTH_COOLDOWN: Duration = Duration::from_secs(300);
/// How long a key over its spend limit rests.
const SPEND_LIMIT_COOLDOWN: Duration = Duration::from_secs(3600);

/// A stream that has produced its first content event (or ended cleanly).
pub(super) struct Opened {
    pub lease: KeyLease,
    /// Events read ahead, in order, to be replayed before the rest of `stream`.
    pub ahead: Vec<Event>,
    pub stream: EventStream,
    /// When the first content event arrived, if it did.
    pub first_token: Option<tokio::time::Instant>,
}

/// Why a target was left.
pub(super) enum Step {
    /// Try the next target; this error is reported if none succeeds.
    Next(AiError),
    /// The prompt does not fit: try a model with a larger context.
    Overflow(AiError),
    /// No other target can do better (the request itself is wrong).
    Fatal(AiError),
}

impl Gateway {
    pub(super) async fn attempt(
        &self,
        target: &Target,
        model_id: &str,
        request: &Request,
        estimate: u64,
    ) -> Result<Opened, Step> {
        let settings = &self.retry;
        let mut attempt = 1u32;
        // The provider's own refusal explains more than "every key is resting" after it.
        let mut refusal: Option<AiError> = None;
        loop {
            let lease = match self.keys.acquire(target.provider, estimate) {
                Ok(lease) => lease,
                Err(AiError::Exhausted { retry_after })
                    if retry_after <= settings.max_retry_after
                        && attempt < settings.max_attempts =>
                {
                    // Every key is briefly busy (often: cooling down after a 429): waiting
                    // keeps the provider's prompt cache, which a fallback would lose.
                    tokio::time::sleep(retry_after).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(Step::Next(refusal.unwrap_or(e))),
            };
            let Some(provider) = self.providers.get(lease.key_id()) else {
                return Err(Step::Fatal(AiError::Config(format!(
                    "no provider for key {}",
                    lease.key_id()
                ))));
            };
            let error = match open_ahead(provider.as_ref(), request, model_id).await {
                Ok((ahead, stream, first_token)) => {
                    return Ok(Opened {
                        lease,
                        ahead,
                        stream,
                        first_token,
                    });
                }
                Err(e) => e,
            };
            let key = lease.key_id().to_owned();
            drop(lease);
            tracing::debug!(key, attempt, error = %error, "model call failed before streaming");
            match (&error, error.kind()) {
                (_, Some(ErrorKind::RateLimited)) => {
                    let wait = error.retry_after().unwrap_or(settings.default_cooldown);
                    self.keys.cool_down(&key, wait);
                    if attempt >= settings.max_attempts {
                        return Err(Step::Next(error));
                    }
                    // The next acquire takes another key at once, or waits out this cooldown
                    // when it is short, or moves on to the next target when it is long.
                }
                (_, Some(ErrorKind::Overloaded)) => return Err(Step::Next(error)),
                (_, Some(ErrorKind::Auth)) => {
                    tracing::error!(key, error = %error, "key refused by the provider");
                    self.keys.cool_down(&key, AUTH_COOLDOWN);
                    if attempt >= settings.max_attempts {
                        return Err(Step::Next(error));
                    }
                }
                (AiError::SpendLimit(_), _) => {
                    self.keys.cool_down(&key, SPEND_LIMIT_COOLDOWN);
                    return Err(Step::Next(error));
                }
                (_, Some(ErrorKind::ContextOverflow)) => return Err(Step::Overflow(error)),
                _ if error.is_transient() => {
                    match retry::decide(settings, &error, attempt, rand::random()) {
                        Decision::RetryAfter(wait) => tokio::time::sleep(wait).await,
                        Decision::GiveUp => return Err(Step::Next(error)),
                    }
                }
                _ => return Err(Step::Fatal(error)),
            }
            refusal = Some(error);
            attempt += 1;
        }
    }
}

/// Opens the stream and reads until the first content event, so that an error the caller has
/// not seen any of yet can still be retried. An error event before content counts as the
/// provider refusing the call; a connection lost before content as a transport failure.
async fn open_ahead(
    provider: &dyn crate::Provider,
    request: &Request,
    model_id: &str,
) -> Result<(Vec<Event>, EventStream, Option<tokio::time::Instant>), AiError> {
    let mut stream = provider.open(request, model_id).await?;
    let mut ahead = Vec::new();
    loop {
        match stream.next().await {
            Some(Ok(event)) => {
                let content = matches!(
                    event,
                    Event::TextDelta { .. }
                        | Event::ToolUseStart { .. }
                        | Event::ToolInputDelta { .. }
                );
                let end = matches!(event, Event::MessageStop);
                ahead.push(event);
                if content {
                    return Ok((ahead, stream, Some(tokio::time::Instant::now())));
                }
                if end {
                    return Ok((ahead, stream, None));
                }
            }
            Some(Err(AiError::MidStream { kind, message })) => {
                return Err(AiError::Provider {
                    kind,
                    status: None,
                    retry_after: None,
                    message,
                });
            }
            Some(Err(AiError::Disconnected)) | None => {
                return Err(AiError::Transport(
                    "connection lost before the answer began".into(),
                ));
            }
            Some(Err(e)) => return Err(e),
        }
    }
}
