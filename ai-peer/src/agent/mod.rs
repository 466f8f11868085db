//! Claude as a peer in rooms: joins every live room through `protocol::client` (the same sync
//! protocol as every client, with a token of its own), answers chat, edits files live beside
//! people, runs code through the server's runner, and can have a turn rejected.
//!
//! `run` follows the server's live-rooms feed: it joins a room when someone is there and leaves
//! once it has been alone for `leave_after`. `room` is one room, `turn` one answer, `edits` the
//! streaming edit calls, `tools` the rest, `presence` Claude's awareness state.

mod context;
mod edits;
mod presence;
mod reply;
mod room;
mod server;
mod settings;
mod tools;
mod turn;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::AiError;
use crate::gateway::Gateway;

pub use server::{Live, LiveRoom, ServerApi};
pub use settings::AgentSettings;

/// Waits between failed polls of the live feed grow to this.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A room whose join failed is not tried again sooner than this.
const REJOIN_GAP: Duration = Duration::from_secs(1);

/// How the agent reaches the sync server: its HTTP base URL (`http://host:port`; the WebSocket
/// URL is derived from it) and the agent's own token (write access to the rooms it serves).
#[derive(Clone)]
pub struct ServerAccess {
    pub url: String,
    pub token: String,
}

impl std::fmt::Debug for ServerAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerAccess")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A room the agent is in.
struct Joined {
    stop: CancellationToken,
    /// Cancelled when the room's task ends (left, or could not join).
    ended: CancellationToken,
    started: Instant,
    /// Since when the agent has been the room's only connection.
    alone_since: Option<Instant>,
}

/// Serves rooms until `shutdown` fires. `gateway` is the model gateway, or why there is none
/// (then every question is answered with that reason, so people see what to configure).
pub async fn run(
    settings: AgentSettings,
    server: ServerAccess,
    gateway: Result<Arc<Gateway>, AiError>,
    shutdown: CancellationToken,
) -> Result<(), AiError> {
    let api = ServerApi::new(&server)?;
    let settings = Arc::new(settings);
    let gateway = gateway.map_err(|e| e.to_string());
    let tasks = TaskTracker::new();
    let mut rooms: HashMap<String, Joined> = HashMap::new();
    let mut generation = None;
    let mut backoff = Duration::from_millis(100);
    loop {
        let now = Instant::now();
        let deadline = rooms
            .values()
            .filter_map(|j| j.alone_since.map(|t| t + settings.leave_after))
            .min();
        let live = tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = sleep_until(deadline) => None,
            r = api.live(generation) => Some(r),
        };
        rooms.retain(|_, j| {
            !(j.ended.is_cancelled() && now.duration_since(j.started) >= REJOIN_GAP)
        });
        match live {
            None => {}
            Some(Ok(live)) => {
                backoff = Duration::from_millis(100);
                generation = Some(live.generation);
                for r in &live.rooms {
                    match rooms.get_mut(&r.room) {
                        Some(j) => {
                            if r.connections <= 1 {
                                j.alone_since.get_or_insert_with(Instant::now);
                            } else {
                                j.alone_since = None;
                            }
                        }
                        None if r.connections > 0 => {
                            let j = join(&tasks, &r.room, &api, &settings, &gateway, &shutdown);
                            rooms.insert(r.room.clone(), j);
                        }
                        None => {}
                    }
                }
                // A room gone from the feed was unloaded: our connection is gone with it.
                for (name, j) in &rooms {
                    if !live.rooms.iter().any(|r| &r.room == name) {
                        j.stop.cancel();
                    }
                }
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "live rooms feed failed; retrying");
                generation = None;
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        let now = Instant::now();
        for j in rooms.values() {
            if j.alone_since
                .is_some_and(|t| now.duration_since(t) >= settings.leave_after)
            {
                j.stop.cancel();
            }
        }
    }
    for j in rooms.values() {
        j.stop.cancel();
    }
    tasks.close();
    tasks.wait().await;
    Ok(())
}

fn join(
    tasks: &TaskTracker,
    room: &str,
    api: &ServerApi,
    settings: &Arc<AgentSettings>,
    gateway: &Result<Arc<Gateway>, String>,
    shutdown: &CancellationToken,
) -> Joined {
    let stop = shutdown.child_token();
    let ended = CancellationToken::new();
    let (s, e) = (stop.clone(), ended.clone());
    let serve = room::serve(
        room.to_owned(),
        api.clone(),
        settings.clone(),
        gateway.clone(),
        s,
    );
    tasks.spawn(async move {
        serve.await;
        e.cancel();
    });
    Joined {
        stop,
        ended,
        started: Instant::now(),
        alone_since: None,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
