//! Previews of a room's files as a site: `POST /api/rooms/{room}/preview` hands out a URL under a
//! key of its own (a short read token, so the app never gives its own token to the page), and
//! `GET /r/{room}/preview/{key}/{path}` serves the live files there, sandboxed in an opaque origin.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use protocol::schema;

use super::caller::Caller;
use super::media_type;
use crate::access::{Grant, issue};
use crate::app::App;
use crate::auth::Perm;
use crate::error::ApiError;

/// The `sub` of preview keys (the audit log records who asked as the minter).
const PREVIEW_SUB: &str = "preview";

/// Scripts, forms, dialogs and popups run, but in an opaque origin even when the page is opened
/// on its own, so nothing in it can read the app's storage on this origin.
const SANDBOX: &str = "sandbox allow-scripts allow-forms allow-modals allow-popups";

/// `POST /api/rooms/{room}/preview`: 201 `{url, expires_at}`; the key lives `preview_ttl`, and
/// never past the caller's own token.
pub async fn create(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let room = caller.room(&room, Perm::Read)?;
    let grant = Grant {
        room: room.to_owned(),
        perm: Perm::Read,
        sub: PREVIEW_SUB.to_owned(),
        name: None,
        tenant: caller.0.tenant.clone(),
        ttl: app.config.preview_ttl,
        not_after: Some(caller.0.exp),
    };
    let store = app.rooms.store();
    let (key, claims) = issue(app.access.secret(), &**store, &grant, &caller.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "url": format!("/r/{room}/preview/{key}/"),
            "expires_at": super::rfc3339_secs(claims.exp),
        })),
    ))
}

/// The pages under a preview key, every answer (refusals too) with the sandbox headers.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/r/{room}/preview/{key}/", get(index))
        .route("/r/{room}/preview/{key}/{*path}", get(file))
        .layer(map_response(sandbox))
}

async fn index(State(app): State<Arc<App>>, Path((room, key)): Path<(String, String)>) -> Response {
    page(&app, &room, &key, "")
        .await
        .unwrap_or_else(ApiError::into_text_response)
}

async fn file(
    State(app): State<Arc<App>>,
    Path((room, key, path)): Path<(String, String, String)>,
) -> Response {
    page(&app, &room, &key, &path)
        .await
        .unwrap_or_else(ApiError::into_text_response)
}

/// The file at `path` (a directory's `index.html`) of `room`, if `key` may read the room.
async fn page(app: &App, room: &str, key: &str, path: &str) -> Result<Response, ApiError> {
    let room = super::room_name(room)?;
    let claims = app.access.check(Some(key)).await?;
    if !claims.allows(room, Perm::Read) {
        tracing::info!(room, actor = %claims.actor(), "preview key for another room");
        return Err(ApiError::Forbidden);
    }
    let path = if path.is_empty() || path.ends_with('/') {
        super::file_path(&format!("{path}index.html"))?
    } else {
        super::file_path(path)?
    };
    let p = path.clone();
    let text = app
        .rooms
        .read(room, move |doc| schema::read_file(doc, &p))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("file {path}")))?;
    Ok(([(header::CONTENT_TYPE, media_type::of(&path))], text).into_response())
}

/// The headers of every preview answer. CORS is open because the page's origin is opaque: its
/// module scripts and `fetch` of its own files are cross-origin requests (the key in the URL is
/// the only credential, and anyone holding the URL can read it anyway).
async fn sandbox(mut res: Response) -> Response {
    let headers = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, SANDBOX),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    res
}
