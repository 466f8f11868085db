//! `/api/rooms`: create a room (with its edit and view links; the start page's local rooms are
//! made the same way), inspect, export and delete it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use protocol::schema;
use rand::Rng;
use serde::Deserialize;
use yrs::{Map, WriteTxn};

use super::caller::Caller;
use super::room_name;
use crate::access::{Grant, issue};
use crate::app::App;
use crate::auth::Perm;
use crate::error::ApiError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    pub name: Option<String>,
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Lifetime of the links' tokens (humantime, e.g. "7d"); default `link_ttl`.
    pub ttl: Option<String>,
}

/// Length of generated room names (base-32, ~60 bits: unguessable enough to share as a link).
const GENERATED_NAME_LEN: usize = 12;

pub fn generate_name() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..GENERATED_NAME_LEN)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub async fn create(
    State(app): State<Arc<App>>,
    caller: Caller,
    body: Option<Json<CreateRoom>>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let req = body.map(|Json(b)| b).unwrap_or_default();
    let name = match req.name {
        Some(n) => room_name(&n)?.to_owned(),
        None => default_name(&caller.0.room),
    };
    caller.require(&name, Perm::Admin)?;
    let ttl = super::tokens::ttl(req.ttl.as_deref(), app.access.link_ttl)?;
    let new = NewRoom {
        name,
        files: req.files,
        ttl,
        tenant: caller.0.tenant.clone(),
        actor: caller.actor(),
    };
    open(&app, new).await
}

/// A room to create, and who asks: `POST /api/rooms` and the start page's `POST /api/local/rooms`.
pub struct NewRoom {
    pub name: String,
    pub files: BTreeMap<String, String>,
    /// Lifetime of the edit and view links' tokens.
    pub ttl: Duration,
    pub tenant: Option<String>,
    /// Recorded in the audit log as the creator and the minter of the links.
    pub actor: String,
}

/// Creates `new.name` with its files (409 when the room already has files), audits it and answers
/// 201 `{room, links: {edit, view, websocket}, tokens: {edit, view}, expires_at}`.
pub async fn open(
    app: &App,
    new: NewRoom,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let NewRoom {
        name,
        files,
        ttl,
        tenant,
        actor,
    } = new;
    for path in files.keys() {
        if !schema::valid_file_path(path) {
            return Err(ApiError::BadPath);
        }
    }
    let file_count = files.len();
    let created = app
        .rooms
        .edit(&name, move |txn| {
            let existing = txn.get_or_insert_map(schema::FILES);
            if existing.len(txn) != 0 {
                return false;
            }
            for (path, text) in &files {
                schema::write_file(txn, path, text);
            }
            true
        })
        .await?;
    if !created {
        return Err(ApiError::Conflict(format!("room {name} already has files")));
    }
    app.audit(
        &actor,
        "room.created",
        Some(&name),
        &name,
        serde_json::json!({ "files": file_count }),
    )
    .await;
    let mint = |perm| Grant {
        room: name.clone(),
        perm,
        sub: String::new(),
        name: None,
        tenant: tenant.clone(),
        ttl,
        not_after: None,
    };
    let store = app.rooms.store();
    let (edit, claims) = issue(app.access.secret(), &**store, &mint(Perm::Write), &actor).await?;
    let (view, _) = issue(app.access.secret(), &**store, &mint(Perm::Read), &actor).await?;
    let access = &app.access;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "room": name,
            "links": {
                "edit": access.link(&name, &edit),
                "view": access.link(&name, &view),
                "websocket": access.websocket_url(&name),
            },
            "tokens": { "edit": edit, "view": view },
            "expires_at": super::rfc3339_secs(claims.exp),
        })),
    ))
}

/// A fresh unguessable name inside the caller's scope: `team-*` makes `team-<random>`.
fn default_name(pattern: &str) -> String {
    match pattern.strip_suffix('*') {
        Some(prefix) => format!("{prefix}{}", generate_name()),
        None => pattern.to_owned(),
    }
}

pub async fn delete(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
) -> Result<StatusCode, ApiError> {
    let room = caller.room(&room, Perm::Admin)?;
    app.rooms.delete(room).await?;
    app.audit(
        &caller.actor(),
        "room.deleted",
        Some(room),
        room,
        serde_json::Value::Null,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn info(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = caller.room(&room, Perm::Read)?;
    let info = app.rooms.info(room).await?;
    Ok(Json(serde_json::json!({ "room": room, "live": info })))
}

pub async fn export(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = caller.room(&room, Perm::Read)?;
    let json = app.rooms.read(room, schema::export_json).await?;
    Ok(Json(json))
}
