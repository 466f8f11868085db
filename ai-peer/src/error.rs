//! The crate's error type: what went wrong with a model call, typed so callers can decide
//! between retrying, falling back and giving up.

use std::time::Duration;

/// The kind of a failure, shared by errors before the stream and errors inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 429 / `rate_limit_error` / `ThrottlingException`.
    RateLimited,
    /// 529 / `overloaded_error` / `ServiceUnavailableException`: global load, not our quota.
    Overloaded,
    /// 500 and other 5xx / `api_error` / `InternalServerException`.
    Server,
    /// 400 and friends: the request itself is wrong; retrying cannot help.
    InvalidRequest,
    /// The prompt does not fit the model's context window (a 400 with a recognisable message).
    ContextOverflow,
    /// 401 / 403: the key or credentials are refused.
    Auth,
    /// Anything else a provider reports.
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// The provider refused the call before streaming (HTTP error status or modeled exception).
    #[error("{kind:?} from provider (status {status:?}): {message}")]
    Provider {
        kind: ErrorKind,
        status: Option<u16>,
        /// The provider's `retry-after`, when it sent one.
        retry_after: Option<Duration>,
        message: String,
    },
    /// The provider sent an error event after the stream began (HTTP 200 already sent).
    #[error("{kind:?} in the middle of the stream: {message}")]
    MidStream { kind: ErrorKind, message: String },
    /// The connection ended before the message was complete (no `message_stop`).
    #[error("stream ended before the message was complete")]
    Disconnected,
    /// The provider could not be reached or the connection failed before any answer.
    #[error("transport: {0}")]
    Transport(String),
    /// The provider answered something that is not its wire format.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The monthly spend limit was reached (a 429 that must not be retried).
    #[error("spend limit reached: {0}")]
    SpendLimit(String),
    /// Every key of every eligible provider is at a limit (rate, budget, concurrency, cooldown).
    #[error("every key is exhausted; retry in {retry_after:?}")]
    Exhausted { retry_after: Duration },
    /// The request breaks a rule we check before sending (e.g. more than four cache points).
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("invalid setting {0}")]
    Config(String),
    /// A live edit names a file the room does not have.
    #[error("no file {0}")]
    NoSuchFile(String),
    /// A live edit's byte range is out of bounds or splits a character of the file's current
    /// text (usually: the text changed between resolving and beginning the edit).
    #[error("range {start}..{end} does not fit the current text of {path} ({len} bytes)")]
    BadRange {
        path: String,
        start: usize,
        end: usize,
        len: usize,
    },
}

impl AiError {
    /// The failure's kind, when it is one a provider reported.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Provider { kind, .. } | Self::MidStream { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// How long the provider asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Provider { retry_after, .. } => *retry_after,
            Self::Exhausted { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// True when the same call may succeed later (on this or another key or provider).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Provider { kind, .. } => matches!(
                kind,
                ErrorKind::RateLimited | ErrorKind::Overloaded | ErrorKind::Server
            ),
            Self::Transport(_) => true,
            _ => false,
        }
    }
}
