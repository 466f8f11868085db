//! The HTTP surface (axum): the WebSocket endpoint, the room, file, run and turn API, the
//! live-rooms feed, share links and previews, the web client's pages, health probes.

mod audit;
mod caller;
mod files;
mod links;
mod live;
mod local_rooms;
mod media_type;
mod preview;
mod rooms;
mod runs;
mod starter;
mod tokens;
mod turns;
mod versions;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{delete, get, post};

use crate::app::App;
use crate::error::ApiError;

pub fn router(app: Arc<App>) -> Router {
    let body_limit = app.config.max_message_bytes;
    Router::new()
        .route("/sync/{room}", get(crate::ws::sync))
        .route("/api/rooms", post(rooms::create))
        .route("/api/local/rooms", post(local_rooms::create))
        .route("/api/rooms/{room}", get(rooms::info).delete(rooms::delete))
        .route("/api/rooms/{room}/export", get(rooms::export))
        .route("/api/rooms/{room}/tokens", post(tokens::mint))
        .route("/api/tokens/{jti}", delete(tokens::revoke))
        .route("/api/rooms/{room}/links", post(links::create))
        .route("/api/rooms/{room}/preview", post(preview::create))
        .route(
            "/api/rooms/{room}/versions",
            get(versions::list).post(versions::create),
        )
        .route(
            "/api/rooms/{room}/versions/{id}/files",
            get(versions::files),
        )
        .route(
            "/api/rooms/{room}/versions/{id}/files/{*path}",
            get(versions::read_file),
        )
        .route(
            "/api/rooms/{room}/versions/{id}/restore",
            post(versions::restore),
        )
        .route("/api/rooms/{room}/runs", post(runs::start))
        .route("/api/rooms/{room}/runs/{id}/cancel", post(runs::cancel))
        .route("/api/rooms/{room}/turns/{turn}/reject", post(turns::reject))
        .route("/api/live", get(live::live))
        .route("/api/rooms/{room}/history", get(versions::history))
        .route("/api/rooms/{room}/restore", post(versions::restore_at))
        .route("/api/audit", get(audit::query))
        .route("/api/rooms/{room}/files", get(files::list))
        .route(
            "/api/rooms/{room}/files/{*path}",
            get(files::read).put(files::write).delete(files::delete),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(preview::routes())
        .merge(web::routes(app.config.web_dir.as_deref()))
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
         # HELP tandem_connections_open Open WebSocket connections.\n# TYPE tandem_connections_open gauge\ntandem_connections_open {}\n\
         # HELP tandem_runs_active Runs this server is driving (queued or running).\n# TYPE tandem_runs_active gauge\ntandem_runs_active {}\n",
        app.rooms.loaded(),
        conns,
        app.runs.running()
    )
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A time in milliseconds since the epoch as RFC 3339 (`2026-11-24T10:00:00.000Z`).
pub fn rfc3339_ms(ms: i64) -> String {
    let t =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(t).to_string()
}

pub fn rfc3339_secs(secs: u64) -> String {
    rfc3339_ms(i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX))
}

/// Parses an RFC 3339 time into milliseconds since the epoch.
pub fn parse_time(field: &str, s: &str) -> Result<i64, ApiError> {
    let t = humantime::parse_rfc3339_weak(s)
        .map_err(|e| ApiError::BadRequest(format!("{field}: {e} (want RFC 3339)")))?;
    let d = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| ApiError::BadRequest(format!("{field}: before 1970")))?;
    Ok(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Checks a file path from a path segment.
fn file_path(path: &str) -> Result<String, ApiError> {
    if protocol::schema::valid_file_path(path) {
        Ok(path.to_owned())
    } else {
        Err(ApiError::BadPath)
    }
}

/// Checks a room name from a path segment.
fn room_name(room: &str) -> Result<&str, ApiError> {
    if protocol::valid_room_name(room) {
        Ok(room)
    } else {
        Err(ApiError::BadRoomName)
    }
}
