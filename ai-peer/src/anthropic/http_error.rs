//! What an Anthropic HTTP error response (non-2xx, before any stream) means for the caller.

use std::time::{Duration, SystemTime};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde::Deserialize;

use crate::{AiError, ErrorKind};

/// Longest piece of a non-JSON body kept as the error message.
const MAX_MESSAGE: usize = 512;

/// Phrases of a 400 that mean the prompt does not fit, not that the request is malformed
/// (lower case; the API's wording varies between models and versions).
const OVERFLOW_PHRASES: [&str; 4] = [
    "prompt is too long",
    "context window",
    "too many tokens",
    "input length",
];

/// The error for an HTTP `status` answered with `body` and maybe a `retry-after` header;
/// `now` dates a `retry-after` given as an HTTP date.
pub fn http_error(status: u16, retry_after: Option<&str>, body: &[u8], now: SystemTime) -> AiError {
    let parsed = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.error.map(|e| (e, b.request_id)));
    let (message, spend_limit) = match &parsed {
        Some((error, request_id)) => {
            let mut message = format!("{}: {}", error.kind, error.message);
            if let Some(id) = request_id {
                message.push_str(&format!(" (request {id})"));
            }
            let code = error.details.as_ref().and_then(|d| d.error_code.as_deref());
            (message, code == Some("enforced_spend_limit_reached"))
        }
        None => (truncated(body), false),
    };
    let kind = match status {
        400 if is_overflow(&message) => ErrorKind::ContextOverflow,
        400 | 404 | 413 => ErrorKind::InvalidRequest,
        401 | 403 => ErrorKind::Auth,
        429 if spend_limit => return AiError::SpendLimit(message),
        429 => ErrorKind::RateLimited,
        500 | 502 | 503 | 504 => ErrorKind::Server,
        529 => ErrorKind::Overloaded,
        _ => ErrorKind::Other,
    };
    AiError::Provider {
        kind,
        status: Some(status),
        retry_after: retry_after.and_then(|v| parse_retry_after(v, now)),
        message,
    }
}

/// A `retry-after` value: seconds (integer or decimal) or an HTTP date (a date already past
/// means "now").
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = DateTime::from_str(value, Format::HttpDate).ok()?;
    let at = SystemTime::try_from(at).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn is_overflow(message: &str) -> bool {
    let message = message.to_lowercase();
    OVERFLOW_PHRASES.iter().any(|p| message.contains(p))
}

/// The body as text, cut to [`MAX_MESSAGE`] bytes on a character boundary.
fn truncated(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let mut end = text.len().min(MAX_MESSAGE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if end < text.len() {
        format!("{}…", &text[..end])
    } else {
        text.to_owned()
    }
}

/// `{type: "error", error: {type, message, details?}, request_id}`; unknown fields ignored.
#[derive(Deserialize)]
struct ErrorBody {
    error: Option<ErrorDetail>,
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    message: String,
    details: Option<Details>,
}

#[derive(Deserialize)]
struct Details {
    error_code: Option<String>,
}

#[cfg(test)]
mod tests;
