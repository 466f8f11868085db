//! `GET /api/audit`: the audit log, filtered by room and time, for admins of what it covers.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::caller::Caller;
use super::{parse_time, rfc3339_ms};
use crate::app::App;
use crate::auth::Perm;
use crate::error::ApiError;
use crate::store::AuditFilter;

/// Rows returned when the request names no limit, and the most it may ask for.
const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 10_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub room: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<usize>,
}

pub async fn query(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    match &q.room {
        Some(room) => {
            caller.room(room, Perm::Admin)?;
        }
        // The whole log spans every room: only an admin of every room may read it.
        None => caller.require_everything()?,
    }
    let filter = AuditFilter {
        room: q.room.clone(),
        since_ms: q
            .since
            .as_deref()
            .map(|s| parse_time("since", s))
            .transpose()?,
        until_ms: q
            .until
            .as_deref()
            .map(|s| parse_time("until", s))
            .transpose()?,
        limit: q.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
    };
    let records = app.rooms.store().audit_query(&filter).await?;
    let entries: Vec<_> = records
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "at": rfc3339_ms(r.entry.at_ms),
                "room": r.entry.room,
                "actor": r.entry.actor,
                "action": r.entry.action,
                "target": r.entry.target,
                "detail": r.entry.detail,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "entries": entries })))
}
