//! Shared state of one running server, handed to every HTTP handler and connection task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::room::Rooms;

pub struct App {
    pub config: Arc<Config>,
    pub rooms: Arc<Rooms>,
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
        shutdown: CancellationToken,
        tracker: TaskTracker,
        public_addr: std::net::SocketAddr,
    ) -> App {
        App {
            config,
            rooms,
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
}
