//! Table tests of the error mapping, with SDK errors built by their builders.

use aws_sdk_bedrockruntime::error::{ConnectorError, ErrorMetadata};
use aws_sdk_bedrockruntime::types::error::{
    AccessDeniedException, InternalServerException, ModelErrorException, ModelNotReadyException,
    ModelStreamErrorException, ModelTimeoutException, ResourceNotFoundException,
    ServiceUnavailableException, ThrottlingException, ValidationException,
};
use aws_smithy_types::event_stream::Message;
use bytes::Bytes;

use super::*;

/// A `send()` error as the SDK parses it from `x-amzn-errortype` and the body's message.
fn send_err(code: &str, message: &str) -> ConverseStreamError {
    use ConverseStreamError as E;
    match code {
        "ThrottlingException" => {
            E::ThrottlingException(ThrottlingException::builder().message(message).build())
        }
        "ServiceUnavailableException" => E::ServiceUnavailableException(
            ServiceUnavailableException::builder()
                .message(message)
                .build(),
        ),
        "ModelNotReadyException" => {
            E::ModelNotReadyException(ModelNotReadyException::builder().message(message).build())
        }
        "InternalServerException" => {
            E::InternalServerException(InternalServerException::builder().message(message).build())
        }
        "ModelErrorException" => {
            E::ModelErrorException(ModelErrorException::builder().message(message).build())
        }
        "ModelTimeoutException" => {
            E::ModelTimeoutException(ModelTimeoutException::builder().message(message).build())
        }
        "ModelStreamErrorException" => E::ModelStreamErrorException(
            ModelStreamErrorException::builder()
                .message(message)
                .build(),
        ),
        "ValidationException" => {
            E::ValidationException(ValidationException::builder().message(message).build())
        }
        "AccessDeniedException" => {
            E::AccessDeniedException(AccessDeniedException::builder().message(message).build())
        }
        "ResourceNotFoundException" => E::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message(message)
                .build(),
        ),
        "" => E::generic(ErrorMetadata::builder().message(message).build()),
        other => E::generic(
            ErrorMetadata::builder()
                .code(other)
                .message(message)
                .build(),
        ),
    }
}

/// An in-stream exception as the SDK parses it from `:exception-type` and the payload.
fn stream_err(code: &str, message: &str) -> ConverseStreamOutputError {
    use ConverseStreamOutputError as E;
    match code {
        "throttlingException" => {
            E::ThrottlingException(ThrottlingException::builder().message(message).build())
        }
        "serviceUnavailableException" => E::ServiceUnavailableException(
            ServiceUnavailableException::builder()
                .message(message)
                .build(),
        ),
        "internalServerException" => {
            E::InternalServerException(InternalServerException::builder().message(message).build())
        }
        "modelStreamErrorException" => E::ModelStreamErrorException(
            ModelStreamErrorException::builder()
                .message(message)
                .build(),
        ),
        "validationException" => {
            E::ValidationException(ValidationException::builder().message(message).build())
        }
        other => E::generic(
            ErrorMetadata::builder()
                .code(other)
                .message(message)
                .build(),
        ),
    }
}

#[test]
fn errors_before_the_stream() {
    use ErrorKind::*;
    let cases = [
        ("ThrottlingException", "Too many requests", 429, RateLimited),
        ("ServiceUnavailableException", "", 503, Overloaded),
        ("ModelNotReadyException", "", 429, Overloaded),
        ("InternalServerException", "", 500, Server),
        ("ModelErrorException", "", 424, Server),
        ("ModelTimeoutException", "", 408, Server),
        ("ModelStreamErrorException", "", 424, Server),
        (
            "ValidationException",
            "Input is too long for requested model.",
            400,
            ContextOverflow,
        ),
        (
            "ValidationException",
            "prompt is too long: 210000 tokens > 200000",
            400,
            ContextOverflow,
        ),
        (
            "ValidationException",
            "exceeds the Context Window of the model",
            400,
            ContextOverflow,
        ),
        (
            "ValidationException",
            "Too many tokens in the request",
            400,
            ContextOverflow,
        ),
        (
            "ValidationException",
            "Input length 300000 exceeds 200000",
            400,
            ContextOverflow,
        ),
        (
            "ValidationException",
            "messages.0.content: field required",
            400,
            InvalidRequest,
        ),
        ("AccessDeniedException", "", 403, Auth),
        ("ResourceNotFoundException", "", 404, InvalidRequest),
        // Unmodeled codes: the status decides.
        ("UnrecognizedClientException", "", 403, Auth),
        ("ExpiredTokenException", "", 401, Auth),
        ("TooManyRequests", "", 429, RateLimited),
        ("", "", 529, Overloaded),
        ("", "<html>Bad Gateway</html>", 502, Server),
        ("ServiceQuotaExceededException", "", 400, Other),
    ];
    for (code, message, status, kind) in cases {
        let got = service_error(&send_err(code, message), Some(status), None);
        let AiError::Provider {
            kind: got_kind,
            status: got_status,
            retry_after,
            ..
        } = &got
        else {
            panic!("{code}: {got:?}");
        };
        assert_eq!(
            (*got_kind, *got_status, *retry_after),
            (kind, Some(status), None),
            "{code}"
        );
    }
}

#[test]
fn retry_after_and_message_are_kept() {
    let throttled = send_err("ThrottlingException", "Too many requests");
    let got = service_error(&throttled, Some(429), Some("2"));
    assert_eq!(got.retry_after(), Some(Duration::from_secs(2)));
    assert!(got.to_string().contains("Too many requests"), "{got}");
    let text = service_error(
        &send_err("WeirdException", "from the body"),
        Some(400),
        None,
    );
    let text = text.to_string();
    assert!(
        text.contains("WeirdException") && text.contains("from the body"),
        "{text}"
    );
}

#[test]
fn retry_after_parses_seconds_only() {
    let cases = [
        ("2", Some(Duration::from_secs(2))),
        (" 3 ", Some(Duration::from_secs(3))),
        ("0.5", Some(Duration::from_millis(500))),
        ("-1", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
    ];
    for (value, expected) in cases {
        assert_eq!(parse_retry_after(value), expected, "{value:?}");
    }
}

#[test]
fn exceptions_inside_the_stream() {
    use ErrorKind::*;
    let cases = [
        ("throttlingException", "slow down", RateLimited),
        ("serviceUnavailableException", "busy", Overloaded),
        ("internalServerException", "oops", Server),
        ("modelStreamErrorException", "model broke", Server),
        ("validationException", "bad block", InvalidRequest),
        ("validationException", "Input is too long", ContextOverflow),
        ("brandNewException", "news", Other),
    ];
    for (code, message, kind) in cases {
        let raw = RawMessage::Decoded(Message::new(Bytes::new()));
        let got = stream_error(SdkError::service_error(stream_err(code, message), raw));
        assert!(matches!(got, AiError::MidStream { .. }), "{code}: {got:?}");
        assert_eq!(got.kind(), Some(kind), "{code}");
        assert!(got.to_string().contains(message), "{got} lacks {message}");
    }
}

#[test]
fn transport_failures_inside_the_stream() {
    type Err = SdkError<ConverseStreamOutputError, RawMessage>;
    let reset = || std::io::Error::from(std::io::ErrorKind::ConnectionReset);
    let truncated = RawMessage::invalid(Some(Bytes::from_static(b"\0\0\0")));
    let disconnected: Vec<Err> = vec![
        SdkError::dispatch_failure(ConnectorError::io(Box::new(reset()))),
        SdkError::timeout_error(reset()),
        SdkError::response_error(reset(), truncated),
    ];
    for err in disconnected {
        let got = stream_error(err);
        assert!(matches!(got, AiError::Disconnected), "{got:?}");
    }
    let malformed: Vec<Err> = vec![
        SdkError::response_error(reset(), RawMessage::invalid(None)),
        SdkError::response_error(reset(), RawMessage::Decoded(Message::new(Bytes::new()))),
    ];
    for err in malformed {
        let got = stream_error(err);
        assert!(matches!(got, AiError::Malformed(_)), "{got:?}");
    }
}
