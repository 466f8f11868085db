//! Bedrock failures as `AiError`s: the SDK's modeled exceptions and HTTP status before the
//! stream, its in-stream exceptions and transport failures after.

use std::fmt::Display;
use std::time::Duration;

use aws_sdk_bedrockruntime::config::http::HttpResponse;
use aws_sdk_bedrockruntime::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_smithy_types::event_stream::RawMessage;

use crate::{AiError, ErrorKind};

/// An error of `converse_stream().send()`: nothing was streamed yet.
pub(crate) fn send_error(err: SdkError<ConverseStreamError, HttpResponse>) -> AiError {
    match &err {
        SdkError::ServiceError(ctx) => {
            let raw = ctx.raw();
            service_error(
                ctx.err(),
                Some(raw.status().as_u16()),
                raw.headers().get("retry-after"),
            )
        }
        SdkError::ResponseError(ctx) => AiError::Malformed(format!(
            "status {}: {}",
            ctx.raw().status().as_u16(),
            DisplayErrorContext(&err)
        )),
        SdkError::ConstructionFailure(_) => {
            AiError::Invalid(format!("bedrock request: {}", DisplayErrorContext(&err)))
        }
        // Dispatch failures (connect, TLS, credentials, first-byte timeout) and timeouts:
        // no response at all.
        _ => AiError::Transport(DisplayErrorContext(&err).to_string()),
    }
}

/// A modeled (or unmodeled) error response, with its HTTP status and `retry-after` header.
pub(crate) fn service_error(
    err: &ConverseStreamError,
    status: Option<u16>,
    retry_after: Option<&str>,
) -> AiError {
    AiError::Provider {
        kind: send_kind(err, status),
        status,
        retry_after: retry_after.and_then(parse_retry_after),
        message: describe(err),
    }
}

fn send_kind(err: &ConverseStreamError, status: Option<u16>) -> ErrorKind {
    use ConverseStreamError as E;
    match err {
        E::ThrottlingException(_) => ErrorKind::RateLimited,
        E::ServiceUnavailableException(_) | E::ModelNotReadyException(_) => ErrorKind::Overloaded,
        E::InternalServerException(_)
        | E::ModelErrorException(_)
        | E::ModelTimeoutException(_)
        | E::ModelStreamErrorException(_) => ErrorKind::Server,
        E::ValidationException(e) => validation_kind(e.message()),
        E::AccessDeniedException(_) => ErrorKind::Auth,
        E::ResourceNotFoundException(_) => ErrorKind::InvalidRequest,
        // Unmodeled codes (bad signature, expired token, a proxy's 5xx): the status decides.
        _ => match status {
            Some(401 | 403) => ErrorKind::Auth,
            Some(429) => ErrorKind::RateLimited,
            Some(529) => ErrorKind::Overloaded,
            Some(500..=599) => ErrorKind::Server,
            _ => ErrorKind::Other,
        },
    }
}

/// A failure of `EventReceiver::recv`: the stream had begun.
pub(crate) fn stream_error(err: SdkError<ConverseStreamOutputError, RawMessage>) -> AiError {
    tracing::debug!(error = %DisplayErrorContext(&err), "bedrock stream failed");
    match &err {
        SdkError::ServiceError(ctx) => AiError::MidStream {
            kind: stream_kind(ctx.err()),
            message: describe(ctx.err()),
        },
        // A complete frame whose payload does not fit its declared type, or a frame that fails
        // its CRCs: not a cut connection, the bytes themselves are wrong.
        SdkError::ResponseError(ctx)
            if matches!(
                ctx.raw(),
                RawMessage::Decoded(_) | RawMessage::Invalid(None)
            ) =>
        {
            AiError::Malformed(DisplayErrorContext(&err).to_string())
        }
        // Connection reset, body error, stalled stream, or data left over when the body ended
        // (a truncated frame).
        _ => AiError::Disconnected,
    }
}

fn stream_kind(err: &ConverseStreamOutputError) -> ErrorKind {
    use ConverseStreamOutputError as E;
    match err {
        E::ThrottlingException(_) => ErrorKind::RateLimited,
        E::ServiceUnavailableException(_) => ErrorKind::Overloaded,
        E::InternalServerException(_) | E::ModelStreamErrorException(_) => ErrorKind::Server,
        E::ValidationException(e) => validation_kind(e.message()),
        _ => ErrorKind::Other,
    }
}

/// A validation error is a context overflow when its message says the prompt is too big.
fn validation_kind(message: Option<&str>) -> ErrorKind {
    const OVERFLOW: [&str; 4] = [
        "too long",
        "context window",
        "too many tokens",
        "input length",
    ];
    let message = message.unwrap_or_default().to_ascii_lowercase();
    if OVERFLOW.iter().any(|needle| message.contains(needle)) {
        ErrorKind::ContextOverflow
    } else {
        ErrorKind::InvalidRequest
    }
}

/// The exception's name and message ("ThrottlingException: slow down"); an unmodeled error
/// displays only its code, so its message is appended.
fn describe<E: ProvideErrorMetadata + Display>(err: &E) -> String {
    let text = err.to_string();
    match err.message() {
        Some(message) if !text.contains(message) => format!("{text}: {message}"),
        _ => text,
    }
}

/// `retry-after` in (possibly fractional) seconds; HTTP dates are not sent by Bedrock.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
#[path = "errors_tests.rs"]
mod tests;
