//! The bench's raw y-websocket client: connect, handshake, read messages, and the edit markers
//! that let a receiver tell which writer's edit (and which of its edits) a frame carries.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use protocol::{Message, SyncMessage, codec};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::{Doc, ReadTxn, StateVector, Transact};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Read buffer of the many small clients (tungstenite's default is 128 KiB each).
pub const SMALL_READ_BUFFER: usize = 8 << 10;
/// Read buffer of a client that downloads a whole document.
pub const LARGE_READ_BUFFER: usize = 256 << 10;
/// Bound on a handshake; only reached when something is broken.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// The v1 encoding of an update that changes nothing.
pub const EMPTY_UPDATE: &[u8] = &[0, 0];

/// Opens `ws://…/sync/{room}` with Nagle off.
pub async fn connect(url: &str, read_buffer: usize) -> Result<Ws> {
    let config = WebSocketConfig::default()
        .read_buffer_size(read_buffer)
        .max_message_size(Some(1 << 30))
        .max_frame_size(Some(1 << 30));
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    Ok(ws)
}

/// Sends one binary frame and flushes it.
pub async fn send(ws: &mut Ws, frame: Vec<u8>) -> Result<()> {
    ws.send(WsMessage::Binary(frame.into()))
        .await
        .context("sending a frame")
}

/// The next y-websocket message, or `None` once the server closed the socket.
pub async fn next_message(ws: &mut Ws) -> Result<Option<Message>> {
    loop {
        match ws.next().await {
            Some(Ok(WsMessage::Binary(frame))) => return Ok(Some(Message::decode(&frame)?)),
            Some(Ok(WsMessage::Close(_))) | None => return Ok(None),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e).context("reading from the server"),
        }
    }
}

/// What a handshake brought: the server's step2 and any updates that arrived before it.
pub struct Synced {
    pub step2: bytes::Bytes,
    pub updates: Vec<bytes::Bytes>,
}

/// The client half of the y-websocket handshake: sends our step1 (the state vector of `doc`, or
/// an empty one), answers the server's step1 with what it misses, and returns at the step2.
pub async fn handshake(ws: &mut Ws, doc: Option<&Doc>) -> Result<Synced> {
    let sv = doc.map(|d| d.transact().state_vector()).unwrap_or_default();
    send(ws, codec::encode_sync_step1(&sv)).await?;
    let exchange = async {
        let mut updates = Vec::new();
        loop {
            match next_message(ws).await? {
                None => bail!("server closed the connection during the handshake"),
                Some(Message::Sync(SyncMessage::Step1(theirs))) => {
                    let diff = match doc {
                        Some(d) => d.transact().encode_state_as_update_v1(&theirs),
                        None => EMPTY_UPDATE.to_vec(),
                    };
                    send(ws, codec::encode_sync_step2(&diff)).await?;
                }
                Some(Message::Sync(SyncMessage::Step2(step2))) => {
                    return Ok(Synced { step2, updates });
                }
                Some(Message::Sync(SyncMessage::Update(u))) => updates.push(u),
                Some(_) => {}
            }
        }
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, exchange)
        .await
        .context("handshake timed out")?
}

/// Asks for everything (empty state vector) on an open connection and waits for the step2.
pub async fn fetch_all(ws: &mut Ws) -> Result<bytes::Bytes> {
    send(ws, codec::encode_sync_step1(&StateVector::default())).await?;
    loop {
        match next_message(ws).await? {
            None => bail!("server closed the connection before its step2"),
            Some(Message::Sync(SyncMessage::Step2(step2))) => return Ok(step2),
            Some(_) => {}
        }
    }
}

/// Applies a v1 update to `doc`.
pub fn apply(doc: &Doc, update: &[u8]) -> Result<()> {
    let update = codec::decode_update(update)?;
    doc.transact_mut()
        .apply_update(update)
        .context("applying an update")
}

/// Length of an edit marker: `#w` + 4-digit writer + `s` + 8-digit sequence + `;`.
pub const MARKER_LEN: usize = 16;
pub const MAX_WRITERS: usize = 10_000;
pub const MAX_SEQ: u32 = 99_999_999;

/// The text a writer inserts for its edit number `seq`.
pub fn marker(writer: u32, seq: u32) -> String {
    format!("#w{writer:04}s{seq:08};")
}

/// Finds a marker in the raw bytes of an update (Yjs stores inserted strings verbatim).
pub fn find_marker(update: &[u8]) -> Option<(u32, u32)> {
    let last = update.len().checked_sub(MARKER_LEN)?;
    (0..=last).find_map(|i| parse_marker(&update[i..i + MARKER_LEN]))
}

fn parse_marker(m: &[u8]) -> Option<(u32, u32)> {
    if m[0] != b'#' || m[1] != b'w' || m[6] != b's' || m[15] != b';' {
        return None;
    }
    let digits = |s: &[u8]| {
        s.iter().try_fold(0u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    Some((digits(&m[2..6])?, digits(&m[7..15])?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::Text;

    #[test]
    fn markers_survive_the_update_encoding() {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("t");
        let update = {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, 0, "before");
            txn.encode_update_v1()
        };
        assert_eq!(find_marker(&update), None);
        let update = {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, 3, &marker(42, 1234567));
            txn.encode_update_v1()
        };
        assert_eq!(find_marker(&update), Some((42, 1234567)));
        assert_eq!(marker(9999, MAX_SEQ).len(), MARKER_LEN);
    }
}
