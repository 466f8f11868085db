//! The HTTP surface (axum): the WebSocket endpoint, the room and file API, health probes.

mod files;
mod rooms;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};

use crate::app::App;
use crate::error::ApiError;

pub fn router(app: Arc<App>) -> Router {
    let body_limit = app.config.max_message_bytes;
    Router::new()
        .route("/sync/{room}", get(crate::ws::sync))
        .route("/api/rooms", post(rooms::create))
        .route("/api/rooms/{room}", get(rooms::info))
        .route("/api/rooms/{room}/export", get(rooms::export))
        .route("/api/rooms/{room}/files", get(files::list))
        .route(
            "/api/rooms/{room}/files/{*path}",
            get(files::read).put(files::write).delete(files::delete),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(app)
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready while not shutting down and the store answers.
async fn readyz(State(app): State<Arc<App>>) -> Result<(StatusCode, &'static str), ApiError> {
    if app.shutdown.is_cancelled() {
        return Err(ApiError::Unavailable("server shutting down".into()));
    }
    app.rooms.store().ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness: store ping failed");
        ApiError::Unavailable("storage unavailable".into())
    })?;
    Ok((StatusCode::OK, "ready"))
}

/// Prometheus text exposition of the server's gauges.
async fn metrics(State(app): State<Arc<App>>) -> String {
    let conns = app
        .open_connections
        .load(std::sync::atomic::Ordering::Relaxed);
    format!(
        "# HELP tandem_rooms_loaded Rooms held in memory.\n# TYPE tandem_rooms_loaded gauge\ntandem_rooms_loaded {}\n\
         # HELP tandem_connections_open Open WebSocket connections.\n# TYPE tandem_connections_open gauge\ntandem_connections_open {}\n",
        app.rooms.loaded(),
        conns
    )
}

/// Checks a room name from a path segment.
fn room_name(room: &str) -> Result<&str, ApiError> {
    if protocol::valid_room_name(room) {
        Ok(room)
    } else {
        Err(ApiError::BadRoomName)
    }
}
