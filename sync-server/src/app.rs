//! Shared state of one running server, handed to every HTTP handler and connection task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::Access;
use crate::config::Config;
use crate::room::Rooms;
use crate::runs::Runs;
use crate::store::{AuditEntry, now_ms};

pub struct App {
    pub config: Arc<Config>,
    pub rooms: Arc<Rooms>,
    pub access: Arc<Access>,
    /// Runs of room code, streamed into the rooms' documents.
    pub runs: Arc<Runs>,
    /// Cancelled when the server starts shutting down.
    pub shutdown: CancellationToken,
    /// Owns every connection task.
    pub tracker: TaskTracker,
    /// The address clients reach us at, for links.
    pub public_addr: std::net::SocketAddr,
    next_conn: AtomicU64,
    /// Open WebSocket connections (for /metrics).
    pub open_connections: AtomicU64,
}

impl App {
    pub fn new(
        config: Arc<Config>,
        rooms: Arc<Rooms>,
        access: Arc<Access>,
        runs: Arc<Runs>,
        shutdown: CancellationToken,
        tracker: TaskTracker,
        public_addr: std::net::SocketAddr,
    ) -> App {
        App {
            config,
            rooms,
            access,
            runs,
            shutdown,
            tracker,
            public_addr,
            next_conn: AtomicU64::new(1),
            open_connections: AtomicU64::new(0),
        }
    }

    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Records an action in the audit log. The action has happened by now, so a failed write is
    /// logged loudly rather than turned into an error for the client.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        room: Option<&str>,
        target: &str,
        detail: serde_json::Value,
    ) {
        let entry = AuditEntry {
            at_ms: now_ms(),
            room: room.map(str::to_owned),
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            detail,
        };
        if let Err(e) = self.rooms.store().audit(&entry).await {
            tracing::error!(error = %e, action, actor, "audit write failed");
        }
    }
}
