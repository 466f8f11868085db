//! When to try a failed model call again, and a `Provider` wrapper that does so.
//!
//! Only calls that failed before their first event are retried: once a caller has seen part of
//! an answer, starting over would duplicate it.

use std::time::Duration;

use serde::Deserialize;

use crate::{AiError, ErrorKind, EventStream, Provider, ProviderKind, Request};

/// Retry settings (TOML `[ai.retry]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetrySettings {
    /// Attempts per call on one provider, the first included (default 3, as the official SDKs).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time, with jitter (default 500ms).
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub base_backoff: Duration,
    /// Longest backoff between attempts (default 8s).
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub max_backoff: Duration,
    /// Longest `retry-after` worth waiting for on the same provider; a longer one moves the call
    /// to a fallback at once (default 10s).
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub max_retry_after: Duration,
    /// How long a key that answered 429 without `retry-after` rests (default 5s).
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub default_cooldown: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(10),
            default_cooldown: Duration::from_secs(5),
        }
    }
}

/// What to do after attempt number `attempt` (1-based) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try the same provider again after this long.
    RetryAfter(Duration),
    /// Do not retry here (the caller may still fall back elsewhere).
    GiveUp,
}

/// Decides on a retry. `jitter` is a number in [0, 1) (random in production, fixed in tests).
///
/// 429 waits exactly its `retry-after` when it sent one (honouring the provider beats guessing);
/// 5xx, 529 and transport errors back off exponentially with "equal jitter" (half fixed, half
/// random) so many callers hit by one outage do not retry in lockstep.
pub fn decide(settings: &RetrySettings, error: &AiError, attempt: u32, jitter: f64) -> Decision {
    if !error.is_transient() || attempt >= settings.max_attempts {
        return Decision::GiveUp;
    }
    if error.kind() == Some(ErrorKind::RateLimited)
        && let Some(wait) = error.retry_after()
    {
        return if wait <= settings.max_retry_after {
            Decision::RetryAfter(wait)
        } else {
            Decision::GiveUp
        };
    }
    Decision::RetryAfter(backoff(settings, attempt, jitter))
}

/// The backoff before attempt `attempt + 1`.
pub fn backoff(settings: &RetrySettings, attempt: u32, jitter: f64) -> Duration {
    let exp = settings
        .base_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(settings.max_backoff);
    exp / 2 + exp.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
}

/// A provider that retries its calls that fail before streaming, as the official SDKs do.
/// The gateway does not use it: it retries itself, because it can switch keys and providers.
pub struct Retrying<P> {
    inner: P,
    settings: RetrySettings,
}

impl<P: Provider> Retrying<P> {
    pub fn new(inner: P, settings: RetrySettings) -> Self {
        Self { inner, settings }
    }
}

#[async_trait::async_trait]
impl<P: Provider> Provider for Retrying<P> {
    fn kind(&self) -> ProviderKind {
        self.inner.kind()
    }

    async fn open(&self, request: &Request, model: &str) -> Result<EventStream, AiError> {
        let mut attempt = 1;
        loop {
            match self.inner.open(request, model).await {
                Ok(stream) => return Ok(stream),
                Err(e) => match decide(&self.settings, &e, attempt, rand::random()) {
                    Decision::RetryAfter(wait) => {
                        tracing::debug!(attempt, ?wait, error = %e, "retrying model call");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    Decision::GiveUp => return Err(e),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(kind: ErrorKind, retry_after: Option<u64>) -> AiError {
        AiError::Provider {
            kind,
            status: None,
            retry_after: retry_after.map(Duration::from_secs),
            message: String::new(),
        }
    }

    #[test]
    fn decisions() {
        let s = RetrySettings::default();
        let ms = Duration::from_millis;
        let cases: Vec<(AiError, u32, f64, Decision)> = vec![
            (
                provider(ErrorKind::RateLimited, Some(2)),
                1,
                0.5,
                Decision::RetryAfter(ms(2000)),
            ),
            (
                provider(ErrorKind::RateLimited, Some(60)),
                1,
                0.5,
                Decision::GiveUp,
            ),
            (
                provider(ErrorKind::RateLimited, None),
                1,
                0.0,
                Decision::RetryAfter(ms(250)),
            ),
            (
                provider(ErrorKind::Overloaded, None),
                1,
                1.0,
                Decision::RetryAfter(ms(500)),
            ),
            (
                provider(ErrorKind::Server, None),
                2,
                0.0,
                Decision::RetryAfter(ms(500)),
            ),
            (provider(ErrorKind::Server, None), 3, 0.0, Decision::GiveUp),
            (
                AiError::Transport("reset".into()),
                1,
                0.0,
                Decision::RetryAfter(ms(250)),
            ),
            (
                provider(ErrorKind::InvalidRequest, None),
                1,
                0.0,
                Decision::GiveUp,
            ),
            (
                provider(ErrorKind::ContextOverflow, None),
                1,
                0.0,
                Decision::GiveUp,
            ),
            (provider(ErrorKind::Auth, None), 1, 0.0, Decision::GiveUp),
            (AiError::SpendLimit("cap".into()), 1, 0.0, Decision::GiveUp),
            (AiError::Disconnected, 1, 0.0, Decision::GiveUp),
        ];
        for (error, attempt, jitter, want) in cases {
            assert_eq!(
                decide(&s, &error, attempt, jitter),
                want,
                "{error} attempt {attempt}"
            );
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = RetrySettings {
            max_attempts: 20,
            ..RetrySettings::default()
        };
        let full: Vec<u128> = (1..=7).map(|a| backoff(&s, a, 1.0).as_millis()).collect();
        assert_eq!(full, vec![500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(backoff(&s, 40, 0.0), Duration::from_secs(4));
    }
}
