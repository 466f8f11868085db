//! `POST /api/rooms/{room}/links`: a share link to a room, minted from the caller's own access —
//! never more than it has, never admin, never outliving it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::caller::Caller;
use crate::access::{Grant, issue};
use crate::app::App;
use crate::auth::Perm;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub perm: Perm,
    /// Lifetime of the link's token (humantime); default `link_ttl`.
    pub ttl: Option<String>,
}

/// What a token with `have` may share: `want` up to its own perm (403 above it), and never admin
/// (400: links are for editing or viewing, administration is minted with `/tokens`).
pub fn shareable(have: Perm, want: Perm) -> Result<Perm, ApiError> {
    if want == Perm::Admin {
        Err(ApiError::BadRequest(
            "links grant read or write; admin tokens are minted with /tokens".into(),
        ))
    } else if want > have {
        Err(ApiError::Forbidden)
    } else {
        Ok(want)
    }
}

pub async fn create(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(room): Path<String>,
    Json(req): Json<LinkRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let room = caller.room(&room, Perm::Read)?;
    let perm = shareable(caller.0.perm, req.perm).inspect_err(|_| {
        tracing::info!(room, actor = %caller.actor(), want = %req.perm, "link refused");
    })?;
    let grant = Grant {
        room: room.to_owned(),
        perm,
        sub: caller.0.sub.clone(),
        name: None,
        tenant: caller.0.tenant.clone(),
        ttl: super::tokens::ttl(req.ttl.as_deref(), app.access.link_ttl)?,
        not_after: Some(caller.0.exp),
    };
    let store = app.rooms.store();
    let (token, claims) = issue(app.access.secret(), &**store, &grant, &caller.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "link": app.access.link(room, &token),
            "token": token,
            "perm": claims.perm,
            "expires_at": super::rfc3339_secs(claims.exp),
        })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_to_the_callers_perm_and_never_admin() {
        use Perm::{Admin, Read, Write};
        for (have, want, outcome) in [
            (Read, Read, Ok(Read)),
            (Read, Write, Err(403)),
            (Write, Read, Ok(Read)),
            (Write, Write, Ok(Write)),
            (Admin, Read, Ok(Read)),
            (Admin, Write, Ok(Write)),
            (Admin, Admin, Err(400)),
            (Write, Admin, Err(400)),
            (Read, Admin, Err(400)),
        ] {
            let got = shareable(have, want).map_err(|e| match e {
                ApiError::Forbidden => 403,
                ApiError::BadRequest(_) => 400,
                other => panic!("unexpected {other:?}"),
            });
            assert_eq!(got, outcome, "{have} sharing {want}");
        }
    }
}
