//! Rooms: the registry (a `DashMap` of live room actors), the handle connections and HTTP use to
//! reach a room, and the commands a room actor understands.

mod actor;
pub mod persist;
pub mod presence;
pub mod queue;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use dashmap::DashMap;
use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use yrs::{Doc, TransactionMut};

use crate::config::{Config, Durability};
use crate::store::Store;
use persist::Persister;

/// Identifies one WebSocket connection for the lifetime of the process.
pub type ConnId = u64;

/// One queue item for a connection: encoded frames written with a single flush. Broadcast
/// batches are one allocation shared by every member.
pub type Frames = Arc<[Bytes]>;

/// How a room reaches one connection: a bounded queue of frame batches plus a kick signal.
#[derive(Clone)]
pub struct Outbound {
    pub frames: queue::Sender<Frames>,
    pub kick: Arc<Kick>,
}

/// Asks a connection to close with a code; the first code wins.
#[derive(Default)]
pub struct Kick {
    code: AtomicU16,
    token: CancellationToken,
}

impl Kick {
    pub fn kick(&self, code: u16) {
        let _ = self
            .code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire);
        self.token.cancel();
    }
    pub fn code(&self) -> Option<u16> {
        match self.code.load(Ordering::Acquire) {
            0 => None,
            c => Some(c),
        }
    }
    pub async fn kicked(&self) -> u16 {
        self.token.cancelled().await;
        self.code().unwrap_or(protocol::close::GOING_AWAY)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum RoomError {
    /// The stored room could not be loaded; nothing was written over it.
    #[error("room could not be loaded: {0}")]
    LoadFailed(String),
    /// The server is shutting down.
    #[error("server shutting down")]
    ShuttingDown,
    /// Storage refused an operation on the room.
    #[error("storage: {0}")]
    Storage(String),
}

pub(crate) type ReadFn = Box<dyn FnOnce(&Doc) + Send>;
pub(crate) type EditFn = Box<dyn FnOnce(&mut TransactionMut<'_>) + Send>;

pub(crate) enum Cmd {
    Join {
        conn: ConnId,
        out: Outbound,
        reply: oneshot::Sender<Result<RoomHandle, RoomError>>,
    },
    Leave {
        conn: ConnId,
    },
    Message {
        conn: ConnId,
        msg: protocol::Message,
    },
    Read(ReadFn),
    /// Runs in a transaction whose update is persisted and fanned out like a client's.
    Edit(EditFn),
    Info(oneshot::Sender<RoomInfo>),
    /// Closes every member (4410) and removes the room's stored data; the actor then stops.
    Delete(oneshot::Sender<Result<(), RoomError>>),
}

/// A snapshot of a live room's vital signs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoomInfo {
    pub connections: usize,
    pub present: usize,
    pub log_updates: u64,
    pub log_bytes: u64,
}

/// A cheap handle to a live room actor.
#[derive(Clone)]
pub struct RoomHandle {
    id: u64,
    tx: queue::Sender<Cmd>,
    /// The actor's member count, kept current by the actor so the live-rooms feed reads it
    /// without a round trip to every room.
    connections: Arc<AtomicUsize>,
}

impl RoomHandle {
    /// Sends a frame from a member connection; waits while the room's inbox is full.
    pub async fn message(&self, conn: ConnId, msg: protocol::Message) -> bool {
        self.tx.send(Cmd::Message { conn, msg }).await.is_ok()
    }

    pub async fn leave(&self, conn: ConnId) {
        let _ = self.tx.send(Cmd::Leave { conn }).await;
    }
}

/// Settings room actors need, copied out of `Config`.
#[derive(Debug, Clone)]
pub(crate) struct RoomSettings {
    pub inbox: usize,
    pub idle: std::time::Duration,
    pub strict: bool,
    pub compact_after_updates: u64,
    pub compact_after_bytes: u64,
    pub retention: crate::store::Retention,
    pub fanout_window_per_member: std::time::Duration,
    pub fanout_window_max: std::time::Duration,
}

/// Every live room of this process.
pub struct Rooms {
    map: DashMap<Arc<str>, RoomHandle>,
    store: Arc<dyn Store>,
    persister: Persister,
    settings: RoomSettings,
    next_id: AtomicU64,
    tracker: TaskTracker,
    shutdown: CancellationToken,
    /// Bumped whenever a room actor starts or stops, or a connection joins or leaves a room.
    generation: watch::Sender<u64>,
}

/// A room loaded in memory and its open connections (the live-rooms feed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LiveRoom {
    pub room: String,
    pub connections: usize,
}

impl Rooms {
    pub fn new(
        config: &Config,
        store: Arc<dyn Store>,
        persister: Persister,
        tracker: TaskTracker,
        shutdown: CancellationToken,
    ) -> Arc<Rooms> {
        Arc::new(Rooms {
            map: DashMap::new(),
            store,
            persister,
            settings: RoomSettings {
                inbox: config.room_inbox,
                idle: config.room_idle,
                strict: config.durability == Durability::Strict,
                compact_after_updates: config.compact_after_updates,
                compact_after_bytes: config.compact_after_bytes,
                retention: crate::store::Retention {
                    keep: config.keep_snapshots,
                    max_age: config.history_retention,
                    spacing: config.history_spacing,
                },
                fanout_window_per_member: config.fanout_window_per_member,
                fanout_window_max: config.fanout_window_max,
            },
            next_id: AtomicU64::new(1),
            tracker,
            shutdown,
            generation: watch::Sender::new(0),
        })
    }

    /// The live actor of `name`, started (and loaded from the store) if there is none.
    fn handle(self: &Arc<Self>, name: &str) -> RoomHandle {
        if let Some(h) = self.map.get(name)
            && !h.tx.is_closed()
        {
            return h.clone();
        }
        let name: Arc<str> = name.into();
        let entry = self.map.entry(name.clone());
        match entry {
            dashmap::Entry::Occupied(e) if !e.get().tx.is_closed() => e.get().clone(),
            entry => {
                let (tx, rx) = queue::channel(self.settings.inbox);
                let handle = RoomHandle {
                    id: self.next_id.fetch_add(1, Ordering::Relaxed),
                    tx,
                    connections: Arc::default(),
                };
                entry.insert(handle.clone());
                self.bump();
                let actor = actor::RoomActor::new(name, handle.clone(), rx, self.clone());
                self.tracker.spawn(actor.run());
                handle
            }
        }
    }

    /// Unregisters an actor that is going away (only if it is still the registered one).
    fn remove(&self, name: &str, id: u64) {
        if self.map.remove_if(name, |_, h| h.id == id).is_some() {
            self.bump();
        }
    }

    /// Marks a change in the set of live rooms or their connections.
    fn bump(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    /// Follows the live-rooms generation (see `live`).
    pub fn watch_live(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// The rooms loaded in memory that `visible` accepts, by name, with their open connections.
    pub fn live(&self, visible: impl Fn(&str) -> bool) -> Vec<LiveRoom> {
        let mut rooms: Vec<LiveRoom> = self
            .map
            .iter()
            .filter(|e| !e.value().tx.is_closed() && visible(e.key()))
            .map(|e| LiveRoom {
                room: e.key().to_string(),
                connections: e.value().connections.load(Ordering::Relaxed),
            })
            .collect();
        rooms.sort_unstable_by(|a, b| a.room.cmp(&b.room));
        rooms
    }

    /// Delivers `cmd` to the room, following it to a fresh actor if the current one just left.
    async fn send(self: &Arc<Self>, name: &str, mut cmd: Cmd) -> Result<(), RoomError> {
        loop {
            if self.shutdown.is_cancelled() {
                return Err(RoomError::ShuttingDown);
            }
            let handle = self.handle(name);
            match handle.tx.send(cmd).await {
                Ok(()) => return Ok(()),
                Err(back) => {
                    self.remove(name, handle.id);
                    cmd = back;
                }
            }
        }
    }

    /// Joins a connection to the room; the room then sends it step1 and awareness.
    pub async fn join(
        self: &Arc<Self>,
        name: &str,
        conn: ConnId,
        out: Outbound,
    ) -> Result<RoomHandle, RoomError> {
        let (reply, rx) = oneshot::channel();
        self.send(name, Cmd::Join { conn, out, reply }).await?;
        rx.await.unwrap_or(Err(RoomError::ShuttingDown))
    }

    /// Sends the command `make` builds around a reply channel and waits for the answer.
    async fn request<R>(
        self: &Arc<Self>,
        name: &str,
        make: impl FnOnce(oneshot::Sender<R>) -> Cmd,
    ) -> Result<R, RoomError> {
        let (tx, rx) = oneshot::channel();
        self.send(name, make(tx)).await?;
        rx.await
            .map_err(|_| RoomError::LoadFailed("room closed".into()))
    }

    /// Reads the room's document.
    pub async fn read<R: Send + 'static>(
        self: &Arc<Self>,
        name: &str,
        f: impl FnOnce(&Doc) -> R + Send + 'static,
    ) -> Result<R, RoomError> {
        self.request(name, |tx| {
            Cmd::Read(Box::new(move |doc| {
                let _ = tx.send(f(doc));
            }))
        })
        .await
    }

    /// Edits the room's document as a server-side participant.
    pub async fn edit<R: Send + 'static>(
        self: &Arc<Self>,
        name: &str,
        f: impl FnOnce(&mut TransactionMut<'_>) -> R + Send + 'static,
    ) -> Result<R, RoomError> {
        self.request(name, |tx| {
            Cmd::Edit(Box::new(move |txn| {
                let _ = tx.send(f(txn));
            }))
        })
        .await
    }

    /// Vital signs of a room (loading it if needed).
    pub async fn info(self: &Arc<Self>, name: &str) -> Result<RoomInfo, RoomError> {
        self.request(name, Cmd::Info).await
    }

    /// Closes the room's sockets (4410) and deletes its stored data. A later join starts afresh.
    pub async fn delete(self: &Arc<Self>, name: &str) -> Result<(), RoomError> {
        self.request(name, Cmd::Delete).await?
    }

    /// Number of rooms loaded in memory.
    pub fn loaded(&self) -> usize {
        self.map.len()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
