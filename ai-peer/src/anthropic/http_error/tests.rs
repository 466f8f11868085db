//! HTTP error responses as a table: status, retry-after and body in, typed error out.

use std::time::{Duration, SystemTime};

use super::{http_error, parse_retry_after};
use crate::{AiError, ErrorKind};

fn api(kind: &str, message: &str) -> String {
    format!(
        r#"{{"type":"error","error":{{"type":"{kind}","message":"{message}"}},"request_id":"req_1"}}"#
    )
}

/// 2025-01-01T00:00:00Z, the clock of the table.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_735_689_600)
}

/// Status, retry-after, body; the kind (`None`: spend limit), the wait, a piece of the message.
type Case = (
    u16,
    Option<&'static str>,
    String,
    Option<ErrorKind>,
    Option<Duration>,
    &'static str,
);

#[test]
fn error_table() {
    use ErrorKind::*;
    let spend = r#"{"type":"error","error":{"type":"rate_limit_error","message":"cap",
        "details":{"error_code":"enforced_spend_limit_reached"}}}"#;
    let other_code = r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow",
        "details":{"error_code":"something_else"}},"extra":1}"#;
    let cases: Vec<Case> = vec![
        (
            400,
            None,
            api("invalid_request_error", "messages: field required"),
            Some(InvalidRequest),
            None,
            "field required",
        ),
        (
            400,
            None,
            api(
                "invalid_request_error",
                "prompt is too long: 210000 tokens > 200000 maximum",
            ),
            Some(ContextOverflow),
            None,
            "too long",
        ),
        (
            400,
            None,
            api(
                "invalid_request_error",
                "input length and `max_tokens` exceed context limit",
            ),
            Some(ContextOverflow),
            None,
            "input length",
        ),
        (
            400,
            None,
            api(
                "invalid_request_error",
                "Too many tokens in the Context Window",
            ),
            Some(ContextOverflow),
            None,
            "Too many",
        ),
        (
            400,
            None,
            "Prompt is too long".into(),
            Some(ContextOverflow),
            None,
            "Prompt",
        ),
        (
            401,
            None,
            api("authentication_error", "invalid x-api-key"),
            Some(Auth),
            None,
            "x-api-key",
        ),
        (
            403,
            None,
            api("permission_error", "no"),
            Some(Auth),
            None,
            "permission_error",
        ),
        (
            404,
            None,
            api("not_found_error", "model: nope"),
            Some(InvalidRequest),
            None,
            "nope",
        ),
        (
            413,
            None,
            api("request_too_large", "too large"),
            Some(InvalidRequest),
            None,
            "too large",
        ),
        (
            429,
            Some("2"),
            api("rate_limit_error", "slow down"),
            Some(RateLimited),
            Some(Duration::from_secs(2)),
            "req_1",
        ),
        (
            429,
            Some("1.5"),
            other_code.into(),
            Some(RateLimited),
            Some(Duration::from_millis(1500)),
            "slow",
        ),
        (
            429,
            Some("Wed, 01 Jan 2025 00:00:30 GMT"),
            "".into(),
            Some(RateLimited),
            Some(Duration::from_secs(30)),
            "",
        ),
        (
            429,
            Some("soon"),
            api("rate_limit_error", "x"),
            Some(RateLimited),
            None,
            "x",
        ),
        (429, Some("3"), spend.into(), None, None, "cap"),
        (
            500,
            None,
            api("api_error", "oops"),
            Some(Server),
            None,
            "oops",
        ),
        (
            502,
            None,
            "<html>Bad Gateway</html>".into(),
            Some(Server),
            None,
            "Bad Gateway",
        ),
        (
            503,
            Some("10"),
            "".into(),
            Some(Server),
            Some(Duration::from_secs(10)),
            "",
        ),
        (
            504,
            None,
            "upstream timeout".into(),
            Some(Server),
            None,
            "upstream",
        ),
        (
            529,
            None,
            api("overloaded_error", "Overloaded"),
            Some(Overloaded),
            None,
            "Overloaded",
        ),
        (418, None, "teapot".into(), Some(Other), None, "teapot"),
    ];
    for (status, retry_after, body, kind, wait, needle) in cases {
        let got = http_error(status, retry_after, body.as_bytes(), now());
        let case = format!("{status} {body:?} -> {got:?}");
        match (kind, got) {
            (
                Some(want),
                AiError::Provider {
                    kind,
                    status: s,
                    retry_after,
                    message,
                },
            ) => {
                assert_eq!(kind, want, "{case}");
                assert_eq!(s, Some(status), "{case}");
                assert_eq!(retry_after, wait, "{case}");
                assert!(message.contains(needle), "{case}");
            }
            (None, AiError::SpendLimit(message)) => assert!(message.contains(needle), "{case}"),
            _ => panic!("unexpected: {case}"),
        }
    }
}

#[test]
fn long_bodies_are_truncated_on_a_char_boundary() {
    let body = "é".repeat(1000);
    let AiError::Provider { message, .. } = http_error(500, None, body.as_bytes(), now()) else {
        panic!("not a provider error");
    };
    assert!(message.len() <= 512 + '…'.len_utf8(), "{}", message.len());
    assert!(message.ends_with('…'));
}

#[test]
fn retry_after_forms() {
    let cases = [
        ("0", Some(Duration::ZERO)),
        (" 7 ", Some(Duration::from_secs(7))),
        ("0.25", Some(Duration::from_millis(250))),
        ("-1", None),
        ("NaN", None),
        (
            "Wed, 01 Jan 2025 00:01:00 GMT",
            Some(Duration::from_secs(60)),
        ),
        ("Tue, 31 Dec 2024 23:59:00 GMT", Some(Duration::ZERO)),
        ("tomorrow", None),
    ];
    for (value, want) in cases {
        assert_eq!(parse_retry_after(value, now()), want, "{value:?}");
    }
}
