//! `POST /api/rooms/{room}/runs` (run the room's code; the output streams into the document) and
//! `POST /api/rooms/{room}/runs/{id}/cancel`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use runner::config::LimitSettings;
use serde::Deserialize;

use super::caller::Caller;
use crate::app::App;
use crate::auth::Perm;
use crate::error::ApiError;
use crate::runs::RunSpec;

/// Longest language name accepted (the runner's table holds short names).
const MAX_LANGUAGE: usize = 64;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRun {
    /// Path of the file to run; default `meta.entry`, else the only file, else `main.*`.
    pub entry: Option<String>,
    /// A runner language name, or `auto` (by the entry's extension); default `meta.language`,
    /// else `auto`.
    pub language: Option<String>,
    pub stdin: Option<String>,
    /// Limits the run asks for; a missing one takes the runner's default, and every one is
    /// capped at the runner's maximum.
    pub limits: Option<LimitSettings>,
}

/// 202: the run's entry is in the document (status `queued`); its progress follows there.
pub async fn start(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
    body: Option<Json<StartRun>>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let room = caller.room(&room, Perm::Write)?;
    let req = body.map(|Json(b)| b).unwrap_or_default();
    if let Some(l) = &req.language
        && (l.is_empty() || l.len() > MAX_LANGUAGE)
    {
        return Err(ApiError::BadRequest(format!(
            "language must be 1-{MAX_LANGUAGE} bytes"
        )));
    }
    let actor = caller.actor();
    let spec = RunSpec {
        room: room.to_owned(),
        entry: req.entry,
        language: req.language,
        stdin: req.stdin.unwrap_or_default().into_bytes(),
        limits: req.limits.unwrap_or_default().to_proto(),
        requested_by: actor.clone(),
    };
    let accepted = app.runs.start(spec).await?;
    app.audit(
        &actor,
        "run.started",
        Some(room),
        &accepted.id,
        serde_json::json!({ "entry": accepted.entry, "language": accepted.language }),
    )
    .await;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!(accepted))))
}

/// 202: the runner is asked to stop the run; its entry ends `killed` (reason `cancelled`)
/// unless it finishes first. 404 for an unknown run, 409 for one that is not running.
pub async fn cancel(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((room, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let room = caller.room(&room, Perm::Write)?;
    app.runs.cancel(room, &id).await?;
    app.audit(
        &caller.actor(),
        "run.cancelled",
        Some(room),
        &id,
        serde_json::Value::Null,
    )
    .await;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "id": id, "status": "cancelling" })),
    ))
}
