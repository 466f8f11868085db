//! Checks a request the way the real servers do (headers, then body schema), so a client bug
//! shows up as the same refusal it would get in production, with a message naming the problem.

mod anthropic;
mod bedrock;

use axum::http::HeaderMap;
use serde_json::{Map, Value};

pub use anthropic::check_body as anthropic_body;
pub use bedrock::check_body as bedrock_body;

/// A refusal: HTTP status, the provider's error type and a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub status: u16,
    pub error_type: &'static str,
    pub message: String,
}

impl Rejection {
    fn new(status: u16, error_type: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error_type,
            message: message.into(),
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn is_json(headers: &HeaderMap) -> bool {
    header(headers, "content-type")
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// The Anthropic API's headers: `x-api-key` (one of `api_keys` unless that is empty),
/// `anthropic-version: 2023-06-01`, a JSON content type.
pub fn anthropic_headers(headers: &HeaderMap, api_keys: &[String]) -> Result<(), Rejection> {
    let auth = |m: &str| Rejection::new(401, "authentication_error", m);
    let invalid = |m: String| Rejection::new(400, "invalid_request_error", m);
    let key = header(headers, "x-api-key").ok_or_else(|| auth("x-api-key header is required"))?;
    if !api_keys.is_empty() && !api_keys.iter().any(|k| k == key) {
        return Err(auth("invalid x-api-key"));
    }
    match header(headers, "anthropic-version") {
        Some("2023-06-01") => {}
        Some(other) => {
            return Err(invalid(format!(
                "anthropic-version: unknown version {other:?} (the API accepts 2023-06-01)"
            )));
        }
        None => return Err(invalid("anthropic-version: header is required".into())),
    }
    if !is_json(headers) {
        return Err(invalid("content-type: must be application/json".into()));
    }
    Ok(())
}

/// Bedrock's headers: a SigV4 `authorization` for the `bedrock` service with `x-amz-date`
/// (or a Bedrock API key as a bearer token, one of `api_keys` unless that is empty), and a
/// JSON content type.
pub fn bedrock_headers(headers: &HeaderMap, api_keys: &[String]) -> Result<(), Rejection> {
    let denied = |m: &str| Rejection::new(403, "AccessDeniedException", m);
    let authorization = header(headers, "authorization").unwrap_or_default();
    if let Some(token) = authorization.strip_prefix("Bearer ") {
        if !api_keys.is_empty() && !api_keys.iter().any(|k| k == token) {
            return Err(denied("the bearer token is not a valid Bedrock API key"));
        }
    } else if let Some(sigv4) = authorization.strip_prefix("AWS4-HMAC-SHA256 ") {
        if header(headers, "x-amz-date").is_none() {
            return Err(denied("a SigV4 request needs an x-amz-date header"));
        }
        // Credential=AKID/20250101/us-east-1/bedrock/aws4_request: the signing name must
        // be `bedrock`, a classic misconfiguration.
        let service = sigv4
            .split(',')
            .find_map(|part| part.trim().strip_prefix("Credential="))
            .and_then(|scope| scope.split('/').nth(3));
        if service != Some("bedrock") {
            return Err(denied(
                "the SigV4 credential scope must name the service `bedrock`",
            ));
        }
    } else {
        return Err(denied(
            "missing authentication: expected `authorization: AWS4-HMAC-SHA256 ...` with x-amz-date",
        ));
    }
    if !is_json(headers) {
        return Err(Rejection::new(
            400,
            "ValidationException",
            "content-type must be application/json",
        ));
    }
    Ok(())
}

/// The result of a body check: `Err` holds the message for the client.
type Checked<T> = Result<T, String>;

/// `path.key`, or `key` at the top level.
fn join(path: &str, key: impl std::fmt::Display) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn object<'a>(value: &'a Value, path: &str) -> Checked<&'a Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| format!("{}: expected an object", or_body(path)))
}

fn array<'a>(value: &'a Value, path: &str) -> Checked<&'a Vec<Value>> {
    value
        .as_array()
        .ok_or_else(|| format!("{path}: expected a list"))
}

fn string<'a>(value: &'a Value, path: &str) -> Checked<&'a str> {
    value
        .as_str()
        .ok_or_else(|| format!("{path}: expected a string"))
}

/// A field that must be present (and not null).
fn required<'a>(map: &'a Map<String, Value>, path: &str, key: &str) -> Checked<&'a Value> {
    optional(map, key).ok_or_else(|| format!("{}: Field required", join(path, key)))
}

/// A field that may be absent; an explicit null counts as absent.
fn optional<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

fn positive_int(value: &Value, path: &str) -> Checked<u64> {
    value
        .as_u64()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{path}: must be a positive integer"))
}

/// Refuses fields the API does not define (the real servers do too).
fn only_fields(map: &Map<String, Value>, path: &str, allowed: &[&str]) -> Checked<()> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(format!(
            "{}: Extra inputs are not permitted",
            join(path, key)
        )),
        None => Ok(()),
    }
}

/// A tool name both APIs accept: 1 to 64 of `[a-zA-Z0-9_-]`.
fn tool_name(name: &str, path: &str) -> Checked<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{path}: tool names must match ^[a-zA-Z0-9_-]{{1,64}}$"
        ))
    }
}

fn or_body(path: &str) -> &str {
    if path.is_empty() { "body" } else { path }
}

#[cfg(test)]
mod tests;
