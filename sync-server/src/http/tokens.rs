//! `POST /api/rooms/{room}/tokens` mints a token for a room; `DELETE /api/tokens/{jti}` revokes
//! one and closes its sockets.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::caller::Caller;
use crate::access::{Grant, audit_room, issue};
use crate::app::App;
use crate::auth::Perm;
use crate::error::ApiError;
use crate::store::now_ms;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    pub perm: Perm,
    pub ttl: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

/// A humantime `ttl` from a request, or the default.
pub fn ttl(ttl: Option<&str>, default: Duration) -> Result<Duration, ApiError> {
    match ttl {
        None => Ok(default),
        Some(s) => match humantime::parse_duration(s) {
            Ok(d) if d > crate::access::MAX_TTL => Err(ApiError::BadRequest(format!(
                "ttl {s:?} is longer than the longest allowed, 10 years"
            ))),
            Ok(d) if !d.is_zero() => Ok(d),
            Ok(_) => Err(ApiError::BadRequest("ttl must be positive".into())),
            Err(e) => Err(ApiError::BadRequest(format!("ttl {s:?}: {e}"))),
        },
    }
}

pub async fn mint(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
    Json(req): Json<MintRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let room = caller.room(&room, Perm::Admin)?;
    let grant = Grant {
        room: room.to_owned(),
        perm: req.perm,
        sub: req.sub.unwrap_or_default(),
        name: req.name,
        tenant: caller.0.tenant.clone(),
        ttl: ttl(req.ttl.as_deref(), app.access.link_ttl)?,
        not_after: None,
    };
    let store = app.rooms.store();
    let (token, claims) = issue(app.access.secret(), &**store, &grant, &caller.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "token": token,
            "jti": claims.jti,
            "room": claims.room,
            "perm": claims.perm,
            "link": app.access.link(room, &token),
            "expires_at": super::rfc3339_secs(claims.exp),
        })),
    ))
}

/// Revocation of tokens minted here needs admin over the token's room; any other jti (an
/// external identity provider's) needs admin over every room.
pub async fn revoke(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(jti): Path<String>,
) -> Result<StatusCode, ApiError> {
    let store = app.rooms.store();
    let record = store.token(&jti).await?;
    let (pattern, exp_ms) = match &record {
        Some(t) => (t.room.clone(), t.exp_ms),
        // Unknown expiry: keep the revocation for the longest lifetime a link can have.
        None => ("*".to_owned(), now_ms().saturating_add(i64::MAX / 4)),
    };
    if !(caller.0.perm == Perm::Admin && caller.0.covers_pattern(&pattern)) {
        tracing::info!(actor = %caller.actor(), "revocation forbidden");
        return Err(ApiError::Forbidden);
    }
    store
        .revoke_token(&jti, exp_ms, &caller.actor(), now_ms())
        .await?;
    let closed = app.access.revoke(&jti, exp_ms);
    app.audit(
        &caller.actor(),
        "token.revoked",
        audit_room(&pattern).as_deref(),
        &jti,
        serde_json::json!({ "room": pattern, "closed_connections": closed }),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
