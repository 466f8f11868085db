//! The tokio driver for `Peer`: connects to `ws://HOST/sync/{room}`, pumps frames both ways, and
//! reconnects with backoff, resyncing through the state-vector handshake so nothing is lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use yrs::Doc;

use crate::{Peer, close};

/// Timing knobs of the driver.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// First wait after a failed or lost connection; doubles up to `reconnect_max`.
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
    /// Presence is re-sent this often so other clients do not time it out (y-protocols: 30 s).
    pub awareness_renew: Duration,
    pub connect_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_secs(5),
            awareness_renew: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// What the connection is doing, observable by tests and UIs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub connected: bool,
    /// Holds everything the server had at the last handshake (and has since received).
    pub synced: bool,
    /// How many times a connection was established.
    pub connections: u64,
    /// Close code of the last connection the server closed, if it sent one.
    pub last_close: Option<u16>,
    pub permission_denied: Option<String>,
}

struct Shared {
    peer: Mutex<Peer>,
    wake: Notify,
    awareness_dirty: AtomicBool,
}

impl Shared {
    fn peer(&self) -> MutexGuard<'_, Peer> {
        self.peer.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A document kept in sync with one room of a Tandem (or any y-websocket) server.
pub struct Client {
    doc: Doc,
    shared: Arc<Shared>,
    status: watch::Receiver<Status>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

impl Client {
    /// Starts syncing `doc` with the room at `url` (`ws://host/sync/room?token=...`).
    pub fn connect(url: impl Into<String>, doc: Doc, options: ClientOptions) -> Client {
        let shared = Arc::new(Shared {
            peer: Mutex::new(Peer::new(doc.clone())),
            wake: Notify::new(),
            awareness_dirty: AtomicBool::new(false),
        });
        let waker = Arc::downgrade(&shared);
        shared.peer().set_waker(move || {
            if let Some(s) = waker.upgrade() {
                s.wake.notify_one();
            }
        });
        let (tx, rx) = watch::channel(Status::default());
        let cancel = CancellationToken::new();
        let driver = Driver {
            url: url.into(),
            options,
            shared: shared.clone(),
            status: tx,
            cancel: cancel.clone(),
        };
        let task = tokio::spawn(driver.run());
        Client {
            doc,
            shared,
            status: rx,
            cancel,
            task: Some(task),
        }
    }

    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// Runs `f` with the peer locked (for awareness and diagnostics).
    pub fn with_peer<R>(&self, f: impl FnOnce(&mut Peer) -> R) -> R {
        f(&mut self.shared.peer())
    }

    /// Sets this client's presence; it is sent now and renewed periodically.
    pub fn set_awareness(&self, state: serde_json::Value) {
        self.shared.peer().set_local_awareness(&state);
        self.shared.awareness_dirty.store(true, Ordering::Release);
        self.shared.wake.notify_one();
    }

    /// Presence of every client in the room (this one included), by client id.
    pub fn presence(&self) -> Vec<(u64, serde_json::Value)> {
        self.shared.peer().presence()
    }

    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Waits until the status satisfies `pred`.
    pub async fn wait_status(&self, pred: impl Fn(&Status) -> bool) -> Status {
        let mut rx = self.status.clone();
        match rx.wait_for(|s| pred(s)).await {
            Ok(s) => s.clone(),
            Err(_) => self.status(),
        }
    }

    /// Waits for the first (or next) completed handshake.
    pub async fn synced(&self) {
        self.wait_status(|s| s.synced).await;
    }

    /// Closes the connection cleanly (close 1000) and stops reconnecting.
    pub async fn close(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Drops the connection without a close frame, as a crashed client would.
    pub fn abort(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

struct Driver {
    url: String,
    options: ClientOptions,
    shared: Arc<Shared>,
    status: watch::Sender<Status>,
    cancel: CancellationToken,
}

enum Ended {
    Cancelled,
    Lost,
}

impl Driver {
    async fn run(self) {
        let mut backoff = self.options.reconnect_min;
        loop {
            let connect = tokio::time::timeout(
                self.options.connect_timeout,
                tokio_tungstenite::connect_async(self.url.as_str()),
            );
            let ws = tokio::select! {
                _ = self.cancel.cancelled() => return,
                res = connect => match res {
                    Ok(Ok((ws, _))) => Some(ws),
                    Ok(Err(e)) => { tracing::debug!(url = %self.url, error = %e, "connect failed"); None }
                    Err(_) => { tracing::debug!(url = %self.url, "connect timed out"); None }
                },
            };
            if let Some(ws) = ws {
                if let MaybeTlsStream::Plain(tcp) = ws.get_ref() {
                    let _ = tcp.set_nodelay(true);
                }
                self.status.send_modify(|s| {
                    s.connected = true;
                    s.connections += 1;
                });
                let ended = self.session(ws).await;
                self.shared.peer().on_disconnect();
                self.status.send_modify(|s| {
                    s.connected = false;
                    s.synced = false;
                });
                if matches!(ended, Ended::Cancelled) {
                    return;
                }
                if self.status.borrow().connections > 0 {
                    backoff = self.options.reconnect_min;
                }
            }
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(self.options.reconnect_max);
        }
    }

    async fn session(&self, mut ws: Ws) -> Ended {
        let opening = self.shared.peer().on_connect();
        self.shared.awareness_dirty.store(false, Ordering::Release);
        if send_all(&mut ws, opening).await.is_err() {
            return Ended::Lost;
        }
        let mut renew = tokio::time::interval(self.options.awareness_renew);
        renew.tick().await;
        loop {
            tokio::select! {
                _ = self.cancel.cancelled() => {
                    let frame = CloseFrame { code: CloseCode::from(close::NORMAL), reason: "bye".into() };
                    let _ = ws.send(WsMessage::Close(Some(frame))).await;
                    // Give the server a moment to answer the close so it sees a clean goodbye.
                    let _ = tokio::time::timeout(Duration::from_millis(500), async {
                        while let Some(Ok(_)) = ws.next().await {}
                    }).await;
                    return Ended::Cancelled;
                }
                incoming = ws.next() => match incoming {
                    Some(Ok(WsMessage::Binary(frame))) => {
                        if self.on_frame(&mut ws, frame).await.is_err() {
                            return Ended::Lost;
                        }
                    }
                    Some(Ok(WsMessage::Close(frame))) => {
                        let code = frame.map(|f| u16::from(f.code));
                        self.status.send_modify(|s| s.last_close = code);
                        return Ended::Lost;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return Ended::Lost,
                },
                _ = self.shared.wake.notified() => {
                    let mut out = self.shared.peer().take_local_updates();
                    if self.shared.awareness_dirty.swap(false, Ordering::AcqRel) {
                        out.extend(self.shared.peer().local_awareness_message());
                    }
                    if send_all(&mut ws, out).await.is_err() {
                        return Ended::Lost;
                    }
                }
                _ = renew.tick() => {
                    let msg = self.shared.peer().local_awareness_message();
                    if send_all(&mut ws, msg.into_iter().collect()).await.is_err() {
                        return Ended::Lost;
                    }
                }
            }
        }
    }

    async fn on_frame(&self, ws: &mut Ws, frame: Bytes) -> Result<(), ()> {
        let received = self.shared.peer().receive(&frame);
        match received {
            Ok(r) => {
                if r.became_synced || r.permission_denied.is_some() {
                    self.status.send_modify(|s| {
                        s.synced |= r.became_synced;
                        if r.permission_denied.is_some() {
                            s.permission_denied = r.permission_denied.clone();
                        }
                    });
                }
                send_all(ws, r.replies).await
            }
            Err(e) => {
                // A server we cannot understand: drop the link and resync from scratch.
                tracing::warn!(error = %e, "undecodable frame from server");
                Err(())
            }
        }
    }
}

async fn send_all(ws: &mut Ws, msgs: Vec<Vec<u8>>) -> Result<(), ()> {
    if msgs.is_empty() {
        return Ok(());
    }
    for m in msgs {
        ws.feed(WsMessage::Binary(m.into())).await.map_err(|_| ())?;
    }
    ws.flush().await.map_err(|_| ())
}
