//! Bedrock's binary event-stream frames (`application/vnd.amazon.eventstream`), written with
//! the SDK's own codec so the CRCs and header encoding are exactly what its decoder checks.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;
use serde_json::Value;

/// One ConverseStream frame: an event or a modeled exception, with a JSON payload.
#[derive(Debug, Clone, PartialEq)]
pub enum EsFrame {
    /// `:message-type event`, `:event-type <event_type>`.
    Event { event_type: String, payload: Value },
    /// `:message-type exception`, `:exception-type <exception_type>`.
    Exception {
        exception_type: String,
        payload: Value,
    },
}

impl EsFrame {
    pub fn event(event_type: &str, payload: Value) -> Self {
        Self::Event {
            event_type: event_type.to_owned(),
            payload,
        }
    }

    pub fn exception(exception_type: &str, payload: Value) -> Self {
        Self::Exception {
            exception_type: exception_type.to_owned(),
            payload,
        }
    }

    /// The frame as a message with Bedrock's headers.
    pub fn to_message(&self) -> Message {
        let (message_type, type_header, type_value, payload) = match self {
            Self::Event {
                event_type,
                payload,
            } => ("event", ":event-type", event_type, payload),
            Self::Exception {
                exception_type,
                payload,
            } => ("exception", ":exception-type", exception_type, payload),
        };
        let string = |s: &str| HeaderValue::String(s.to_owned().into());
        Message::new(Bytes::from(payload.to_string()))
            .add_header(Header::new(":message-type", string(message_type)))
            .add_header(Header::new(type_header, string(type_value)))
            .add_header(Header::new(":content-type", string("application/json")))
    }

    /// The frame's bytes on the wire.
    pub fn encode(&self) -> Result<Bytes, String> {
        encode_message(&self.to_message())
    }
}

/// Writes any message with the SDK's codec (fails only on absurd sizes).
pub fn encode_message(message: &Message) -> Result<Bytes, String> {
    let mut buffer = Vec::new();
    write_message_to(message, &mut buffer).map_err(|e| format!("event-stream frame: {e}"))?;
    Ok(Bytes::from(buffer))
}

#[cfg(test)]
mod tests {
    use aws_smithy_eventstream::frame::read_message_from;
    use serde_json::json;

    use super::*;

    fn header<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
        message
            .headers()
            .iter()
            .find(|h| h.name().as_str() == name)
            .and_then(|h| h.value().as_string().ok())
            .map(|s| s.as_str())
    }

    #[test]
    fn the_61_byte_test_vector_is_produced_byte_for_byte() {
        let message = Message::new(&b"{'foo':'bar'}"[..]).add_header(Header::new(
            "content-type",
            HeaderValue::String("application/json".into()),
        ));
        let bytes = encode_message(&message).expect("encodes");
        assert_eq!(bytes.len(), 61);
        assert_eq!(&bytes[0..4], &61u32.to_be_bytes(), "total length");
        assert_eq!(&bytes[4..8], &32u32.to_be_bytes(), "headers length");
        assert_eq!(&bytes[8..12], &0x07FD_8396u32.to_be_bytes(), "prelude CRC");
        assert_eq!(&bytes[57..61], &0x8D9C_08B1u32.to_be_bytes(), "message CRC");
        let mut expected_headers = vec![12u8];
        expected_headers.extend_from_slice(b"content-type");
        expected_headers.extend_from_slice(&[7, 0, 16]);
        expected_headers.extend_from_slice(b"application/json");
        assert_eq!(&bytes[12..44], &expected_headers[..]);
        assert_eq!(&bytes[44..57], b"{'foo':'bar'}");
    }

    #[test]
    fn frames_round_trip_through_the_sdk_decoder() {
        let cases = [
            (
                EsFrame::event(
                    "contentBlockDelta",
                    json!({"contentBlockIndex": 1, "delta": {"text": "héllo"}}),
                ),
                "event",
                ":event-type",
                "contentBlockDelta",
            ),
            (
                EsFrame::exception("throttlingException", json!({"message": "slow down"})),
                "exception",
                ":exception-type",
                "throttlingException",
            ),
        ];
        for (frame, message_type, type_header, type_value) in cases {
            let bytes = frame.encode().expect("encodes");
            let decoded = read_message_from(bytes).expect("the SDK decodes it (CRCs included)");
            assert_eq!(header(&decoded, ":message-type"), Some(message_type));
            assert_eq!(header(&decoded, type_header), Some(type_value));
            assert_eq!(header(&decoded, ":content-type"), Some("application/json"));
            let payload: Value = serde_json::from_slice(decoded.payload()).expect("JSON payload");
            let (EsFrame::Event { payload: sent, .. } | EsFrame::Exception { payload: sent, .. }) =
                &frame;
            assert_eq!(&payload, sent);
        }
    }

    #[test]
    fn a_corrupted_frame_is_rejected_by_the_decoder() {
        let mut bytes = EsFrame::event("messageStart", json!({"role": "assistant"}))
            .encode()
            .expect("encodes")
            .to_vec();
        let last = bytes.len() - 5;
        bytes[last] ^= 0xff;
        assert!(read_message_from(&bytes[..]).is_err());
    }
}
