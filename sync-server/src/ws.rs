//! The WebSocket upgrade of `GET /sync/{room}`: validates the request, answers 101 and hands the
//! upgraded socket to a connection task (tungstenite configured with our size limits).

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use serde::Deserialize;

use crate::app::App;
use crate::auth::Perm;
use crate::error::ApiError;

/// `?token=`: the stock `WebsocketProvider` passes its `params` as query parameters.
#[derive(Debug, Deserialize)]
pub struct TokenParam {
    token: Option<String>,
}

pub async fn sync(
    State(app): State<Arc<App>>,
    Path(room): Path<String>,
    Query(param): Query<TokenParam>,
    mut req: Request,
) -> Result<Response, ApiError> {
    if !protocol::valid_room_name(&room) {
        return Err(ApiError::BadRoomName);
    }
    let token = param
        .token
        .as_deref()
        .or_else(|| crate::http::bearer(req.headers()));
    let claims = app.access.check(token).await?;
    if !claims.allows(&room, Perm::Read) {
        tracing::info!(room, actor = %claims.actor(), "token refused for this room");
        return Err(ApiError::Forbidden);
    }
    if app.shutdown.is_cancelled() {
        return Err(ApiError::Unavailable("server shutting down".into()));
    }
    let key = websocket_key(req.headers()).ok_or(ApiError::NotWebSocket)?;
    let on_upgrade = req
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>()
        .ok_or(ApiError::NotWebSocket)?;
    let conn = app.next_conn_id();
    let rights = Box::new(crate::connection::Rights::of(&claims));
    drop(claims);
    let room = room.into_boxed_str();
    let tracker = app.tracker.clone();
    tracker.spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                // Made here rather than captured: whatever this task captures, it keeps for the
                // connection's whole life.
                let config = WebSocketConfig::default()
                    .read_buffer_size(app.config.read_buffer_bytes)
                    .max_message_size(Some(app.config.max_message_bytes))
                    .max_frame_size(Some(app.config.max_message_bytes));
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                // Split here: as an argument, the whole stream (over 300 bytes) would sit in the
                // connection's future for its lifetime.
                crate::connection::serve(ws.split(), room, app, conn, rights).await;
            }
            Err(e) => tracing::info!(error = %e, "websocket upgrade failed"),
        }
    });
    let mut res = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let h = res.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
            .map_err(|_| ApiError::NotWebSocket)?,
    );
    Ok(res)
}

/// The client's `Sec-WebSocket-Key`, if this is a well-formed version-13 upgrade request.
fn websocket_key(headers: &HeaderMap) -> Option<String> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return None;
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION)? != "13" {
        return None;
    }
    Some(
        headers
            .get(header::SEC_WEBSOCKET_KEY)?
            .to_str()
            .ok()?
            .to_owned(),
    )
}
