//! `/api/rooms/{room}/files[/{path}]`: list, read, write (as a minimal diff) and delete files.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use protocol::schema::{self, WriteOutcome};
use yrs::{GetString, Map, Out};

use super::caller::Caller;
use super::file_path;
use crate::app::App;
use crate::auth::Perm;
use crate::error::ApiError;

pub async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = caller.room(&room, Perm::Read)?;
    let files = app
        .rooms
        .read(room, |doc| {
            let files = schema::files(doc);
            let txn = yrs::Transact::transact(doc);
            let mut list: Vec<serde_json::Value> = files
                .iter(&txn)
                .filter_map(|(path, v)| match v {
                    Out::YText(t) => Some(serde_json::json!({
                        "path": path,
                        "size": t.get_string(&txn).len(),
                    })),
                    _ => None,
                })
                .collect();
            list.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
            list
        })
        .await?;
    Ok(Json(serde_json::json!({ "files": files })))
}

pub async fn read(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((room, path)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let room = caller.room(&room, Perm::Read)?;
    let path = file_path(&path)?;
    let p = path.clone();
    let text = app
        .rooms
        .read(room, move |doc| schema::read_file(doc, &p))
        .await?;
    let text = text.ok_or_else(|| ApiError::NotFound(format!("file {path}")))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

pub async fn write(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((room, path)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let room = caller.room(&room, Perm::Write)?;
    let path = file_path(&path)?;
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::BadRequest("file contents must be UTF-8".into()))?;
    let size = text.len();
    let p = path.clone();
    let outcome = app
        .rooms
        .edit(room, move |txn| schema::write_file(txn, &p, &text))
        .await?;
    let (status, word) = match outcome {
        WriteOutcome::Created => (StatusCode::CREATED, "created"),
        WriteOutcome::Changed => (StatusCode::OK, "changed"),
        WriteOutcome::Unchanged => (StatusCode::OK, "unchanged"),
    };
    app.audit(
        &caller.actor(),
        "file.written",
        Some(room),
        &path,
        serde_json::json!({ "outcome": word, "bytes": size }),
    )
    .await;
    Ok((
        status,
        Json(serde_json::json!({ "path": path, "outcome": word })),
    ))
}

pub async fn delete(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((room, path)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let room = caller.room(&room, Perm::Write)?;
    let path = file_path(&path)?;
    let p = path.clone();
    let existed = app
        .rooms
        .edit(room, move |txn| schema::delete_file(txn, &p))
        .await?;
    if existed {
        app.audit(
            &caller.actor(),
            "file.deleted",
            Some(room),
            &path,
            serde_json::Value::Null,
        )
        .await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("file {path}")))
    }
}
