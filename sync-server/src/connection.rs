//! One WebSocket connection: a reader that decodes frames and feeds the room, and a writer that
//! drains the connection's bounded queue in batches, pings, and closes with the code it is given.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use protocol::{Message, SyncMessage, close, codec};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::app::App;
use crate::auth::{Claims, Perm};
use crate::room::{ConnId, Frames, Kick, Outbound, RoomError};

pub type Ws = WebSocketStream<TokioIo<Upgraded>>;

/// Most queue items written before one flush (one syscall for many deliveries).
const WRITE_BATCH: usize = 64;
/// How long a closing handshake may take before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long input is drained after refusing a bad frame.
const LINGER: Duration = Duration::from_secs(1);
/// Longest a connection's token is honoured for, whatever its `exp` says.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
/// The v1 encoding of an update that changes nothing.
const EMPTY_UPDATE: &[u8] = &[0, 0];
/// The reason a read-only connection's edits are refused with (y-protocols auth message).
const READ_ONLY: &str = "read-only";

/// A connection's state that its reader and writer share, in one heap allocation rather than in
/// the connection's future: the future lives in a task cell padded to 128 bytes, and every byte of
/// it is paid per connection, which is what idle rooms are made of.
struct Shared {
    start: Instant,
    /// Milliseconds since `start` at which the client was last heard from.
    ms: AtomicU64,
    read_only: bool,
    expires: Instant,
    /// The connection's own queue, for the one read-only refusal.
    own: crate::room::queue::Sender<Frames>,
    /// Keeps the connection findable by its token id until it closes.
    _attached: crate::access::Attached,
}

impl Shared {
    fn touch(&self) {
        self.ms
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
    fn silent_for(&self) -> Duration {
        self.start
            .elapsed()
            .saturating_sub(Duration::from_millis(self.ms.load(Ordering::Relaxed)))
    }
}

/// What a connection may do: the part of its token it keeps (the claims themselves are dropped
/// at the upgrade; every byte held per connection counts in idle rooms).
pub struct Rights {
    /// Document updates are refused (told once with an auth message); awareness still flows.
    read_only: bool,
    /// The token's expiry: the connection closes with 4401 then.
    expires: Instant,
    /// The token's id, under which a revocation finds the connection.
    jti: Option<Box<str>>,
}

impl Rights {
    pub fn of(claims: &Claims) -> Rights {
        let now_s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        // Capped so that an absurd `exp` from an external issuer cannot overflow the clock.
        let left = Duration::from_secs(claims.exp)
            .saturating_sub(now_s)
            .min(MAX_TOKEN_LIFETIME);
        Rights {
            read_only: claims.perm < Perm::Write,
            expires: Instant::now() + left,
            jti: claims.jti.as_deref().map(Box::from),
        }
    }
}

/// Serves one upgraded connection until it closes.
/// An async fn keeps its arguments for its whole life, so they are small: the split halves of
/// the socket and the boxed rights.
pub async fn serve(
    (mut sink, stream): (SplitSink<Ws, WsMessage>, SplitStream<Ws>),
    room: Box<str>,
    app: Arc<App>,
    conn: ConnId,
    rights: Box<Rights>,
) {
    let (frames, queue) = crate::room::queue::channel(app.config.outbound_queue);
    let kick = Arc::new(Kick::default());
    let out = Outbound {
        frames,
        kick: kick.clone(),
    };
    let shared = Arc::new(Shared {
        start: Instant::now(),
        ms: AtomicU64::new(0),
        read_only: rights.read_only,
        expires: rights.expires,
        own: out.frames.clone(),
        _attached: app.access.attach(rights.jti, conn, kick.clone()),
    });
    let handle = match app.rooms.join(&room, conn, out).await {
        Ok(h) => h,
        Err(e) => {
            let code = match e {
                RoomError::LoadFailed(_) | RoomError::Storage(_) => close::TRY_AGAIN_LATER,
                RoomError::ShuttingDown => close::GOING_AWAY,
            };
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, send_close(&mut sink, code)).await;
            return;
        }
    };
    tracing::debug!(%room, conn, "joined");
    app.open_connections.fetch_add(1, Ordering::Relaxed);
    // One task per connection: a separate reader task cut CPU by a few percent at 500 x 8 but
    // cost ~0.8 KiB per room; with the fan-out window the wake-ups it saved are rare anyway.
    let reader = read_loop(stream, &handle, conn, &kick, &shared);
    let writer = write_loop(sink, queue, &kick, &shared, &app);
    let (stream, sink) = tokio::join!(reader, writer);
    if matches!(kick.code(), Some(close::MALFORMED | close::TOO_LARGE))
        && let Ok(ws) = stream.reunite(sink)
    {
        linger(ws).await;
    }
    handle.leave(conn).await;
    app.open_connections.fetch_sub(1, Ordering::Relaxed);
    tracing::debug!(%room, conn, code = kick.code(), "left");
}

async fn read_loop(
    mut stream: SplitStream<Ws>,
    room: &crate::room::RoomHandle,
    conn: ConnId,
    kick: &Kick,
    shared: &Shared,
) -> SplitStream<Ws> {
    let mut told = false;
    loop {
        let next = tokio::select! {
            _ = kick.kicked() => return stream,
            next = stream.next() => next,
        };
        let code = match next {
            Some(Ok(WsMessage::Binary(frame))) => {
                shared.touch();
                match Message::decode(&frame) {
                    Ok(Message::Auth(_) | Message::Unknown { .. }) => continue,
                    Ok(Message::Sync(SyncMessage::Step2(u) | SyncMessage::Update(u)))
                        if shared.read_only =>
                    {
                        // The client's step2 answer to our step1 is empty when it has nothing
                        // of its own; only real edits earn the (one) refusal.
                        if !told && u.as_ref() != EMPTY_UPDATE {
                            told = true;
                            let denied = Bytes::from(codec::encode_permission_denied(READ_ONLY));
                            let _ = shared.own.try_send(Frames::from([denied]));
                        }
                        continue;
                    }
                    Ok(msg) => {
                        let delivered = tokio::select! {
                            _ = kick.kicked() => return stream,
                            ok = room.message(conn, msg) => ok,
                        };
                        if delivered {
                            continue;
                        }
                        close::TRY_AGAIN_LATER
                    }
                    Err(e) => {
                        tracing::info!(conn, error = %e, len = frame.len(), "malformed frame; closing 4400");
                        close::MALFORMED
                    }
                }
            }
            Some(Ok(WsMessage::Text(_))) => close::MALFORMED,
            Some(Ok(WsMessage::Close(_))) | None => close::NORMAL,
            Some(Ok(_)) => {
                shared.touch();
                continue;
            }
            Some(Err(WsError::Capacity(e))) => {
                tracing::info!(conn, error = %e, "oversize message; closing 4413");
                close::TOO_LARGE
            }
            Some(Err(WsError::Protocol(e))) => {
                tracing::info!(conn, error = %e, "websocket protocol violation; closing 4400");
                close::MALFORMED
            }
            Some(Err(_)) => close::NORMAL,
        };
        kick.kick(code);
        return stream;
    }
}

async fn write_loop(
    mut sink: SplitSink<Ws, WsMessage>,
    mut queue: crate::room::queue::Receiver<Frames>,
    kick: &Kick,
    shared: &Shared,
    app: &App,
) -> SplitSink<Ws, WsMessage> {
    // First ping one period from now (awaiting a fresh interval's immediate first tick would wait
    // for the timer wheel's next millisecond and delay every new connection's greeting).
    // One timer per connection for both pings and the token's expiry: it fires at whichever
    // comes first.
    let period = app.config.ping_interval;
    let mut next_ping = Instant::now() + period;
    // Boxed like `Interval`'s: inline it would add its size to every connection's future.
    let mut timer = Box::pin(tokio::time::sleep_until(next_ping.min(shared.expires)));
    // Made once: each cancellation future registers a waiter under the token's lock.
    let kicked = kick.kicked();
    tokio::pin!(kicked);
    let shutdown = app.shutdown.cancelled();
    tokio::pin!(shutdown);
    let code = loop {
        tokio::select! {
            biased;
            code = &mut kicked => break code,
            _ = &mut shutdown => break close::GOING_AWAY,
            first = queue.recv() => {
                let Some(first) = first else { break close::GOING_AWAY };
                let write = async {
                    for frame in first.iter() {
                        sink.feed(WsMessage::Binary(frame.clone())).await?;
                    }
                    for _ in 1..WRITE_BATCH {
                        let Some(frames) = queue.try_recv() else { break };
                        for frame in frames.iter() {
                            sink.feed(WsMessage::Binary(frame.clone())).await?;
                        }
                    }
                    sink.flush().await
                };
                let written = tokio::select! {
                    code = &mut kicked => break code,
                    r = write => r,
                };
                if written.is_err() {
                    kick.kick(close::NORMAL);
                    return sink;
                }
            }
            _ = &mut timer => {
                let now = Instant::now();
                if now >= shared.expires {
                    break close::UNAUTHORIZED;
                }
                if now < next_ping {
                    timer.as_mut().reset(next_ping.min(shared.expires));
                    continue;
                }
                next_ping = now + period;
                timer.as_mut().reset(next_ping.min(shared.expires));
                if shared.silent_for() > app.config.dead_after {
                    tracing::info!("connection silent past dead_after; dropping");
                    kick.kick(close::GOING_AWAY);
                    return sink;
                }
                if sink.send(WsMessage::Ping(Bytes::new())).await.is_err() {
                    kick.kick(close::NORMAL);
                    return sink;
                }
            }
        }
    };
    kick.kick(code);
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, send_close(&mut sink, code)).await;
    sink
}

/// After refusing bad input the client may still be sending (say, the rest of an oversize frame).
/// Reading and discarding it for a moment lets the client read our close frame: closing a socket
/// with unread data makes the kernel reset the connection instead.
async fn linger(mut ws: Ws) {
    use tokio::io::AsyncReadExt;
    let io = ws.get_mut();
    // On the heap, and only here: a buffer in the future itself would enlarge every connection.
    let mut buf = vec![0u8; 4096];
    let _ = tokio::time::timeout(LINGER, async {
        while let Ok(n) = io.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

async fn send_close(sink: &mut SplitSink<Ws, WsMessage>, code: u16) {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: close::reason(code).into(),
    };
    let _ = sink.send(WsMessage::Close(Some(frame))).await;
    let _ = sink.close().await;
}
