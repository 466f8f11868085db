//! Errors of the sync server: `ServerError` for startup and shutdown, `ApiError` for HTTP, which
//! crosses the wire as a status and a JSON `{"error", "code"}` body while details stay in logs.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::auth::AuthError;
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
    #[error("auth: {0}")]
    Auth(#[from] AuthError),
    #[error("local mode: {0}")]
    Local(String),
    #[error("runner: {0}")]
    Runner(#[from] runner::RunnerError),
    #[error("AI peer: {0}")]
    AiPeer(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("room names are 1-128 characters of A-Z a-z 0-9 . _ -")]
    BadRoomName,
    #[error("file paths are relative, '/'-separated, without empty, '.' or '..' segments")]
    BadPath,
    #[error("{0} not found")]
    NotFound(String),
    #[error("no turn {0} in this room")]
    NoSuchTurn(u64),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    /// A run needs an entry file and none was given or could be picked, or it is not a file.
    #[error("{0}")]
    EntryRequired(String),
    #[error("expected a WebSocket upgrade request")]
    NotWebSocket,
    #[error("{0}")]
    Unavailable(String),
    /// Something the request waits for (another peer's answer) did not come in time.
    #[error("{0}")]
    Timeout(String),
    #[error("no token: pass Authorization: Bearer <token> (or ?token= on /sync)")]
    TokenMissing,
    #[error("invalid token")]
    TokenInvalid,
    #[error("token expired")]
    TokenExpired,
    #[error("token revoked")]
    TokenRevoked,
    #[error("this token does not allow that")]
    Forbidden,
    /// A start-page request (no token) from elsewhere than this machine, or to a server that is
    /// not in local mode.
    #[error(
        "creating rooms from the start page needs local mode on this machine; ask for a room link"
    )]
    LocalOnly,
    #[error("history does not reach back to {0}")]
    NoHistory(String),
    #[error("storage error")]
    Storage,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRoomName => (StatusCode::BAD_REQUEST, "bad_room_name"),
            ApiError::BadPath => (StatusCode::BAD_REQUEST, "bad_path"),
            ApiError::NotFound(_) | ApiError::NoSuchTurn(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::EntryRequired(_) => (StatusCode::BAD_REQUEST, "entry_required"),
            ApiError::NotWebSocket => (StatusCode::UPGRADE_REQUIRED, "websocket_required"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            ApiError::TokenMissing => (StatusCode::UNAUTHORIZED, "token_missing"),
            ApiError::TokenInvalid => (StatusCode::UNAUTHORIZED, "token_invalid"),
            ApiError::TokenExpired => (StatusCode::UNAUTHORIZED, "token_expired"),
            ApiError::TokenRevoked => (StatusCode::UNAUTHORIZED, "token_revoked"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::LocalOnly => (StatusCode::FORBIDDEN, "local_only"),
            ApiError::NoHistory(_) => (StatusCode::NOT_FOUND, "no_history"),
            ApiError::Storage => (StatusCode::INTERNAL_SERVER_ERROR, "storage"),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<RoomError> for ApiError {
    fn from(e: RoomError) -> Self {
        tracing::warn!(error = %e, "room unavailable");
        match e {
            RoomError::LoadFailed(_) => ApiError::Unavailable("room could not be loaded".into()),
            RoomError::ShuttingDown => ApiError::Unavailable("server shutting down".into()),
            RoomError::Storage(_) => ApiError::Storage,
        }
    }
}

impl From<crate::runs::RunError> for ApiError {
    fn from(e: crate::runs::RunError) -> Self {
        use crate::runs::RunError;
        match e {
            RunError::NoRunner => ApiError::Unavailable("this server has no runner".into()),
            RunError::ShuttingDown => ApiError::Unavailable("server shutting down".into()),
            RunError::Entry(m) => ApiError::EntryRequired(m),
            RunError::BadPath => ApiError::BadPath,
            RunError::NotFound(id) => ApiError::NotFound(format!("run {id}")),
            RunError::NotRunning(id) => ApiError::Conflict(format!("run {id} is not running")),
            RunError::Room(e) => e.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        // The reason goes to the log (never the token); the client gets the stable code.
        tracing::info!(reason = %e, "token refused");
        match e {
            AuthError::Missing => ApiError::TokenMissing,
            AuthError::Expired => ApiError::TokenExpired,
            AuthError::Revoked => ApiError::TokenRevoked,
            AuthError::Forbidden => ApiError::Forbidden,
            AuthError::Invalid(_)
            | AuthError::Jwks(_)
            | AuthError::BadSecret(_)
            | AuthError::Io(_) => ApiError::TokenInvalid,
        }
    }
}

impl From<crate::access::IssueError> for ApiError {
    fn from(e: crate::access::IssueError) -> Self {
        match e {
            crate::access::IssueError::Auth(e) => {
                tracing::error!(error = %e, "minting failed");
                ApiError::Internal
            }
            crate::access::IssueError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage error");
        ApiError::Storage
    }
}

impl ApiError {
    /// The same status with the message as `text/plain`, for pages a browser shows as they are
    /// (the preview) rather than a client reading JSON.
    pub fn into_text_response(self) -> Response {
        let (status, _) = self.status_and_code();
        let headers = [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )];
        (status, headers, self.to_string()).into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = serde_json::json!({ "error": self.to_string(), "code": code });
        (status, Json(body)).into_response()
    }
}
