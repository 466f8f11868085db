//! `POST /api/local/rooms`: the start page makes a room without a token, but only on a server in
//! local mode (no configured secret, no JWKS) and only for a browser on the same machine.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;

use super::rooms::{NewRoom, generate_name, open};
use crate::app::App;
use crate::config::Config;
use crate::error::ApiError;

/// Who the audit log records as making these rooms (and minting their links).
const LOCAL_ACTOR: &str = "local";

/// Answers like `POST /api/rooms`: 201 `{room, links, tokens, expires_at}`.
pub async fn create(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    if !local_mode(&app.config) || !peer.ip().to_canonical().is_loopback() {
        tracing::info!(%peer, "start-page room refused: not local mode, or not this machine");
        return Err(ApiError::LocalOnly);
    }
    let new = NewRoom {
        name: generate_name(),
        files: super::starter::files(),
        ttl: app.access.link_ttl,
        tenant: None,
        actor: LOCAL_ACTOR.to_owned(),
    };
    open(&app, new).await
}

/// Local mode: every token is signed with the data dir's generated secret, none comes from outside.
fn local_mode(config: &Config) -> bool {
    config.secret.is_none() && config.jwks.is_none()
}
