//! Named versions and point-in-time history: snapshot a room under a label, list and read
//! versions, and restore one (or the room as it was at a time) as new CRDT edits.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use protocol::{codec, schema};
use serde::Deserialize;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::caller::Caller;
use super::{file_path, parse_time, rfc3339_ms};
use crate::app::App;
use crate::auth::Perm;
use crate::error::ApiError;
use crate::store::{StoredRoom, VersionMeta};

/// Longest version label.
const MAX_LABEL: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateVersion {
    pub label: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreAt {
    pub at: String,
}

fn meta_json(v: &VersionMeta) -> serde_json::Value {
    serde_json::json!({
        "id": v.id,
        "label": v.label,
        "author": v.author,
        "created_at": rfc3339_ms(v.created_at_ms),
        "size": v.size,
    })
}

pub async fn create(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
    Json(req): Json<CreateVersion>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let room = caller.room(&room, Perm::Write)?;
    let label = req.label.trim();
    if label.is_empty() || label.len() > MAX_LABEL {
        return Err(ApiError::BadRequest(format!(
            "label must be 1-{MAX_LABEL} bytes"
        )));
    }
    let state = app
        .rooms
        .read(room, |doc| {
            doc.transact()
                .encode_state_as_update_v1(&StateVector::default())
        })
        .await?;
    let actor = caller.actor();
    let meta = app
        .rooms
        .store()
        .save_version(room, label, &actor, &state)
        .await?;
    app.audit(
        &actor,
        "version.created",
        Some(room),
        &meta.id.to_string(),
        serde_json::json!({ "label": meta.label, "size": meta.size }),
    )
    .await;
    Ok((StatusCode::CREATED, Json(meta_json(&meta))))
}

pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = caller.room(&room, Perm::Read)?;
    let versions = app.rooms.store().list_versions(room).await?;
    let versions: Vec<_> = versions.iter().map(meta_json).collect();
    Ok(Json(serde_json::json!({ "versions": versions })))
}

/// A version's files, by path.
async fn version_files(
    app: &App,
    room: &str,
    id: i64,
) -> Result<BTreeMap<String, String>, ApiError> {
    let (_, data) = app
        .rooms
        .store()
        .load_version(room, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("version {id}")))?;
    let stored = StoredRoom {
        snapshot: Some(data),
        ..StoredRoom::default()
    };
    Ok(schema::file_contents(&doc_from(&stored)?))
}

/// Rebuilds a document from stored state (off the room actor: this can be a large decode).
fn doc_from(stored: &StoredRoom) -> Result<Doc, ApiError> {
    let doc = Doc::new();
    let mut txn = doc.transact_mut();
    for blob in stored.snapshot.iter().chain(stored.updates.iter()) {
        let update = codec::decode_update(blob).map_err(|e| {
            tracing::error!(error = %e, "stored state does not decode");
            ApiError::Storage
        })?;
        txn.apply_update(update).map_err(|e| {
            tracing::error!(error = %e, "stored state does not apply");
            ApiError::Storage
        })?;
    }
    drop(txn);
    Ok(doc)
}

pub async fn files(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((room, id)): Path<(String, i64)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = caller.room(&room, Perm::Read)?;
    let files = version_files(&app, room, id).await?;
    let list: Vec<_> = files
        .iter()
        .map(|(path, text)| serde_json::json!({ "path": path, "size": text.len() }))
        .collect();
    Ok(Json(serde_json::json!({ "files": list })))
}

pub async fn read_file(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((room, id, path)): Path<(String, i64, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let room = caller.room(&room, Perm::Read)?;
    let path = file_path(&path)?;
    let mut files = version_files(&app, room, id).await?;
    let text = files
        .remove(&path)
        .ok_or_else(|| ApiError::NotFound(format!("file {path} in version {id}")))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// Makes the live room's files equal `target` through the room actor, as one server edit that
/// every connected editor receives like any other; audits it and answers with what changed.
async fn restore_files(
    app: &App,
    caller: &Caller,
    room: &str,
    target: BTreeMap<String, String>,
    restored: serde_json::Value,
    audit_target: &str,
) -> Result<Json<serde_json::Value>, ApiError> {
    let out = app
        .rooms
        .edit(room, move |txn| schema::replace_files(txn, &target))
        .await?;
    let counts = serde_json::json!({
        "created": out.created.len(),
        "changed": out.changed.len(),
        "deleted": out.deleted.len(),
    });
    app.audit(
        &caller.actor(),
        "version.restored",
        Some(room),
        audit_target,
        counts,
    )
    .await;
    Ok(Json(serde_json::json!({
        "restored": restored,
        "created": out.created,
        "changed": out.changed,
        "deleted": out.deleted,
    })))
}

pub async fn restore(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((room, id)): Path<(String, i64)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = caller.room(&room, Perm::Write)?;
    let target = version_files(&app, room, id).await?;
    restore_files(&app, &caller, room, target, id.into(), &id.to_string()).await
}

pub async fn history(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = caller.room(&room, Perm::Read)?;
    let points = app.rooms.store().history(room).await?;
    let snapshots: Vec<_> = points
        .iter()
        .map(|p| serde_json::json!({ "created_at": rfc3339_ms(p.created_at_ms), "size": p.size }))
        .collect();
    Ok(Json(serde_json::json!({ "snapshots": snapshots })))
}

pub async fn restore_at(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
    Json(req): Json<RestoreAt>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = caller.room(&room, Perm::Write)?;
    let at_ms = parse_time("at", &req.at)?;
    let stored = app
        .rooms
        .store()
        .load_at(room, at_ms)
        .await?
        .ok_or_else(|| ApiError::NoHistory(req.at.clone()))?;
    let target = schema::file_contents(&doc_from(&stored)?);
    let at = rfc3339_ms(at_ms);
    let restored = serde_json::json!({ "at": at });
    restore_files(&app, &caller, room, target, restored, &format!("at:{at}")).await
}
