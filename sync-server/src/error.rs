//! Errors of the sync server: `ServerError` for startup and shutdown, `ApiError` for HTTP, which
//! crosses the wire as a status and a JSON `{"error", "code"}` body while details stay in logs.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::room::RoomError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("room names are 1-128 characters of A-Z a-z 0-9 . _ -")]
    BadRoomName,
    #[error("file paths are relative, '/'-separated, without empty, '.' or '..' segments")]
    BadPath,
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("expected a WebSocket upgrade request")]
    NotWebSocket,
    #[error("{0}")]
    Unavailable(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRoomName => (StatusCode::BAD_REQUEST, "bad_room_name"),
            ApiError::BadPath => (StatusCode::BAD_REQUEST, "bad_path"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::NotWebSocket => (StatusCode::UPGRADE_REQUIRED, "websocket_required"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        }
    }
}

impl From<RoomError> for ApiError {
    fn from(e: RoomError) -> Self {
        tracing::warn!(error = %e, "room unavailable");
        match e {
            RoomError::LoadFailed(_) => ApiError::Unavailable("room could not be loaded".into()),
            RoomError::ShuttingDown => ApiError::Unavailable("server shutting down".into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = serde_json::json!({ "error": self.to_string(), "code": code });
        (status, Json(body)).into_response()
    }
}
