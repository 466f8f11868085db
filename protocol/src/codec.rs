//! The y-websocket wire codec: every message type, decoded zero-copy from a frame and encoded once.
//!
//! Layout (y-protocols): `varUint(tag)` then, for sync (0), `varUint(subtype)` + `varUint8Array`;
//! awareness (1) `varUint8Array(update)`; auth (2) `varUint(kind)` + `varString(reason)`;
//! query-awareness (3) nothing. Payloads stay as `Bytes` slices of the frame so a server can relay
//! them without copying.

use bytes::Bytes;
use yrs::StateVector;
use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;

use crate::ProtocolError;

/// Top-level message tags.
pub const MSG_SYNC: u64 = 0;
pub const MSG_AWARENESS: u64 = 1;
pub const MSG_AUTH: u64 = 2;
pub const MSG_QUERY_AWARENESS: u64 = 3;
/// Sync sub-types.
pub const SYNC_STEP1: u64 = 0;
pub const SYNC_STEP2: u64 = 1;
pub const SYNC_UPDATE: u64 = 2;
/// The only auth kind y-protocols defines.
pub const AUTH_PERMISSION_DENIED: u64 = 0;

/// One decoded y-websocket message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Sync(SyncMessage),
    /// A raw awareness update (`AwarenessUpdate` v1 encoding), already validated.
    Awareness(Bytes),
    Auth(AuthMessage),
    QueryAwareness,
    /// A tag this protocol version does not know; kept so callers can ignore it knowingly.
    Unknown {
        tag: u64,
        payload: Bytes,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum SyncMessage {
    /// The sender's state vector: "send me what I am missing".
    Step1(StateVector),
    /// The answer to a step1: a v1 update with what the asker is missing.
    Step2(Bytes),
    /// An incremental v1 update.
    Update(Bytes),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMessage {
    PermissionDenied {
        reason: String,
    },
    /// Any other auth kind; y-protocols clients ignore these.
    Other {
        kind: u64,
        payload: Bytes,
    },
}

impl Message {
    /// Decodes one frame. Never panics; any malformed input is an error.
    pub fn decode(frame: &Bytes) -> Result<Message, ProtocolError> {
        if frame.is_empty() {
            return Err(ProtocolError::Empty);
        }
        let mut cur = Cursor::new(frame);
        let tag: u64 = cur.read_var()?;
        let msg = match tag {
            MSG_SYNC => {
                let sub: u64 = cur.read_var()?;
                let payload = cur.read_buf()?;
                match sub {
                    SYNC_STEP1 => Message::Sync(SyncMessage::Step1(decode_state_vector(payload)?)),
                    SYNC_STEP2 => Message::Sync(SyncMessage::Step2(frame.slice_ref(payload))),
                    SYNC_UPDATE => Message::Sync(SyncMessage::Update(frame.slice_ref(payload))),
                    other => return Err(ProtocolError::UnknownSyncType(other)),
                }
            }
            MSG_AWARENESS => {
                let payload = cur.read_buf()?;
                validate_awareness(payload)?;
                Message::Awareness(frame.slice_ref(payload))
            }
            MSG_AUTH => {
                let kind: u64 = cur.read_var()?;
                if kind == AUTH_PERMISSION_DENIED {
                    let reason = cur.read_string()?.to_owned();
                    Message::Auth(AuthMessage::PermissionDenied { reason })
                } else {
                    let rest = frame.slice(cur.next..);
                    cur.next = frame.len();
                    Message::Auth(AuthMessage::Other {
                        kind,
                        payload: rest,
                    })
                }
            }
            MSG_QUERY_AWARENESS => Message::QueryAwareness,
            tag => {
                let rest = frame.slice(cur.next..);
                cur.next = frame.len();
                Message::Unknown { tag, payload: rest }
            }
        };
        let trailing = frame.len() - cur.next;
        if trailing != 0 {
            return Err(ProtocolError::Trailing(trailing));
        }
        Ok(msg)
    }

    /// Encodes the message into a fresh buffer.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Message::Sync(SyncMessage::Step1(sv)) => encode_sync_step1(sv),
            Message::Sync(SyncMessage::Step2(u)) => encode_sync(SYNC_STEP2, u),
            Message::Sync(SyncMessage::Update(u)) => encode_sync(SYNC_UPDATE, u),
            Message::Awareness(a) => encode_awareness(a),
            Message::Auth(AuthMessage::PermissionDenied { reason }) => {
                encode_permission_denied(reason)
            }
            Message::Auth(AuthMessage::Other { kind, payload }) => {
                let mut out = Vec::with_capacity(payload.len() + 4);
                out.write_var(MSG_AUTH);
                out.write_var(*kind);
                out.write_all(payload);
                out
            }
            Message::QueryAwareness => encode_query_awareness(),
            Message::Unknown { tag, payload } => {
                let mut out = Vec::with_capacity(payload.len() + 2);
                out.write_var(*tag);
                out.write_all(payload);
                out
            }
        }
    }
}

/// Largest client id a Yjs peer can have (a JS safe integer); yrs panics on larger ones, so
/// every id from the network is checked against it before yrs sees it.
pub const MAX_CLIENT_ID: u64 = (1 << 53) - 1;

/// One client's entry in an awareness update; `json` is `"null"` for a removed client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwarenessEntry<'a> {
    pub client: u64,
    pub clock: u32,
    pub json: &'a str,
}

impl AwarenessEntry<'_> {
    pub fn is_removal(&self) -> bool {
        self.json == "null"
    }
}

fn read_client_id(cur: &mut Cursor<'_>) -> Result<u64, ProtocolError> {
    let client: u64 = cur.read_var()?;
    if client > MAX_CLIENT_ID {
        return Err(ProtocolError::InvalidClientId(client));
    }
    Ok(client)
}

/// Parses an awareness update payload; every state must be JSON.
pub fn parse_awareness(payload: &[u8]) -> Result<Vec<AwarenessEntry<'_>>, ProtocolError> {
    parse_awareness_with(payload, true)
}

/// The entries of the payload of a decoded `Message::Awareness`. `Message::decode` has already
/// checked every state is JSON, so this skips that (the costly part) on the second pass.
pub fn awareness_entries(payload: &[u8]) -> Result<Vec<AwarenessEntry<'_>>, ProtocolError> {
    parse_awareness_with(payload, false)
}

fn parse_awareness_with(
    payload: &[u8],
    check_json: bool,
) -> Result<Vec<AwarenessEntry<'_>>, ProtocolError> {
    let mut cur = Cursor::new(payload);
    let count: u64 = cur.read_var()?;
    // Each entry takes at least 3 bytes: never trust the declared count for allocation.
    let mut entries = Vec::with_capacity((count as usize).min(payload.len() / 3));
    for _ in 0..count {
        let client = read_client_id(&mut cur)?;
        let clock: u32 = cur.read_var()?;
        // Sliced from `payload` (not through the cursor) so the entry borrows the input.
        let len: u32 = cur.read_var()?;
        let start = cur.next;
        cur.read_exact(len as usize)?;
        let json = std::str::from_utf8(&payload[start..cur.next])
            .map_err(|_| ProtocolError::InvalidAwareness("state is not UTF-8".into()))?;
        if check_json && serde_json::from_str::<serde::de::IgnoredAny>(json).is_err() {
            return Err(ProtocolError::InvalidAwareness(format!(
                "state is not JSON: {json:.64}"
            )));
        }
        entries.push(AwarenessEntry {
            client,
            clock,
            json,
        });
    }
    if cur.has_content() {
        return Err(ProtocolError::Trailing(payload.len() - cur.next));
    }
    Ok(entries)
}

/// Encodes awareness entries as an update payload (wrap it with `encode_awareness` to send).
pub fn encode_awareness_entries<'a>(
    entries: impl ExactSizeIterator<Item = AwarenessEntry<'a>>,
) -> Vec<u8> {
    let mut out = Vec::new();
    out.write_var(entries.len() as u64);
    for e in entries {
        out.write_var(e.client);
        out.write_var(e.clock);
        out.write_string(e.json);
    }
    out
}

/// Decodes a v1 state vector, refusing client ids yrs cannot hold.
pub fn decode_state_vector(payload: &[u8]) -> Result<StateVector, ProtocolError> {
    let mut cur = Cursor::new(payload);
    let count: u64 = cur.read_var()?;
    let mut sv = StateVector::default();
    for _ in 0..count {
        let client = read_client_id(&mut cur)?;
        let clock: u32 = cur.read_var()?;
        sv.set_max(yrs::ClientID::new(client), clock);
    }
    if cur.has_content() {
        return Err(ProtocolError::Trailing(payload.len() - cur.next));
    }
    Ok(sv)
}

/// Decodes a v1 document update. yrs asserts on some malformed input (client ids past 2^53), so
/// a panic inside the decoder is caught and reported as an invalid update.
pub fn decode_update(payload: &[u8]) -> Result<yrs::Update, ProtocolError> {
    // yrs reserves (and initialises) a hash table for the declared client count before reading
    // any entry: a 5-byte frame could make it touch gigabytes. Each entry takes at least 3 bytes.
    let mut cur = Cursor::new(payload);
    let clients: u64 = cur.read_var()?;
    if clients > (payload.len() / 3) as u64 {
        return Err(ProtocolError::InvalidUpdate(format!(
            "declares {clients} clients in {} bytes",
            payload.len()
        )));
    }
    match std::panic::catch_unwind(|| yrs::Update::decode_v1(payload)) {
        Ok(Ok(update)) => Ok(update),
        Ok(Err(e)) => Err(ProtocolError::InvalidUpdate(e.to_string())),
        Err(_) => Err(ProtocolError::InvalidUpdate("decoder panicked".into())),
    }
}

fn validate_awareness(payload: &[u8]) -> Result<(), ProtocolError> {
    parse_awareness(payload).map(|_| ())
}

/// `sync step1` carrying a state vector.
pub fn encode_sync_step1(sv: &StateVector) -> Vec<u8> {
    encode_sync(SYNC_STEP1, &sv.encode_v1())
}

/// `sync step2` answering a step1 with `update`.
pub fn encode_sync_step2(update: &[u8]) -> Vec<u8> {
    encode_sync(SYNC_STEP2, update)
}

/// `sync update` carrying an incremental update.
pub fn encode_sync_update(update: &[u8]) -> Vec<u8> {
    encode_sync(SYNC_UPDATE, update)
}

fn encode_sync(sub: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.write_var(MSG_SYNC);
    out.write_var(sub);
    out.write_buf(payload);
    out
}

/// An awareness message around a v1 `AwarenessUpdate` payload.
pub fn encode_awareness(update: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(update.len() + 6);
    out.write_var(MSG_AWARENESS);
    out.write_buf(update);
    out
}

/// The y-protocols "permission denied" auth message.
pub fn encode_permission_denied(reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(reason.len() + 6);
    out.write_var(MSG_AUTH);
    out.write_var(AUTH_PERMISSION_DENIED);
    out.write_string(reason);
    out
}

pub fn encode_query_awareness() -> Vec<u8> {
    let mut out = Vec::with_capacity(1);
    out.write_var(MSG_QUERY_AWARENESS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use yrs::updates::encoder::Encode;
    use yrs::{Doc, Text, Transact};

    fn sample_update() -> Vec<u8> {
        let doc = Doc::with_client_id(7);
        let text = doc.get_or_insert_text("t");
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "héllo 🎉");
        txn.encode_update_v1()
    }

    fn roundtrip(msg: Message) {
        let bytes = Bytes::from(msg.encode());
        assert_eq!(Message::decode(&bytes).expect("decodes"), msg);
        // yrs's own codec must agree with ours on every well-formed message.
        let theirs = <yrs::sync::Message as Decode>::decode_v1(&bytes).expect("yrs decodes");
        assert_eq!(theirs.encode_v1(), bytes.to_vec());
    }

    #[test]
    fn every_message_roundtrips_and_matches_yrs() {
        let mut sv = StateVector::default();
        sv.set_max(yrs::ClientID::new(7), 9);
        roundtrip(Message::Sync(SyncMessage::Step1(sv)));
        roundtrip(Message::Sync(SyncMessage::Step2(sample_update().into())));
        roundtrip(Message::Sync(SyncMessage::Update(sample_update().into())));
        let mut aw = yrs::sync::awareness::AwarenessUpdate {
            clients: Default::default(),
        };
        aw.clients.insert(
            yrs::ClientID::new(42),
            yrs::sync::awareness::AwarenessUpdateEntry {
                clock: 3,
                json: r#"{"user":{"name":"ada"}}"#.into(),
            },
        );
        roundtrip(Message::Awareness(aw.encode_v1().into()));
        roundtrip(Message::Auth(AuthMessage::PermissionDenied {
            reason: "read-only".into(),
        }));
        roundtrip(Message::QueryAwareness);
    }

    #[test]
    fn unknown_tags_are_kept_not_rejected() {
        let frame = Bytes::from_static(&[9, 1, 2, 3]);
        assert_eq!(
            Message::decode(&frame).unwrap(),
            Message::Unknown {
                tag: 9,
                payload: Bytes::from_static(&[1, 2, 3])
            }
        );
    }

    #[test]
    fn malformed_input_is_an_error() {
        let cases: &[&[u8]] = &[
            &[],
            &[0x80],                         // truncated var-int tag
            &[0, 0x80, 0x80],                // truncated sub-type
            &[0, 2, 0xff, 0xff, 0xff, 0x0f], // length prefix far beyond the frame
            &[0, 2, 5, 1, 2],                // payload shorter than its prefix
            &[0, 7, 0],                      // unknown sync sub-type
            &[0, 0, 1, 0xff],                // state vector that does not decode
            &[1, 3, 1, 2, 3],                // awareness garbage
            &[0, 2, 1, 0, 99],               // trailing bytes
            &[
                0, 0, 3, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1,
            ], // client id past 2^53
            &[0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0x0f], // state vector claiming 4 billion entries
            &[
                1, 6, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 0,
            ], // awareness id past 2^53
            &[2, 0, 10, b'a'],               // auth reason cut short
        ];
        for case in cases {
            assert!(
                Message::decode(&Bytes::copy_from_slice(case)).is_err(),
                "accepted {case:?}"
            );
        }
    }

    #[test]
    fn updates_declaring_more_clients_than_bytes_are_refused_before_yrs_allocates() {
        // 50 million clients in a 6-byte update.
        let mut bomb = Vec::new();
        bomb.write_var(50_000_000u64);
        bomb.extend_from_slice(&[0, 0]);
        assert!(matches!(
            decode_update(&bomb),
            Err(ProtocolError::InvalidUpdate(_))
        ));
        assert!(decode_update(&sample_update()).is_ok());
        assert!(decode_update(&[0, 0]).is_ok(), "the empty update");
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x7a4d);
        for _ in 0..20_000 {
            let len = rng.random_range(0..64);
            let mut buf: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            if !buf.is_empty() {
                buf[0] = rng.random_range(0..5);
            }
            let _ = Message::decode(&Bytes::from(buf));
        }
    }
}
