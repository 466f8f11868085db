//! The `Caller` extractor: the verified claims of the request's bearer token, and the perm checks
//! every route makes with them.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::app::App;
use crate::auth::{Claims, Perm};
use crate::error::ApiError;

/// A request's verified token.
pub struct Caller(pub Claims);

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let claims = app.access.check(super::bearer(&parts.headers)).await?;
        Ok(Caller(claims))
    }
}

impl Caller {
    /// Checks a room name from the path, then that the token covers it with at least `perm`.
    pub fn room<'a>(&self, room: &'a str, perm: Perm) -> Result<&'a str, ApiError> {
        let room = super::room_name(room)?;
        self.require(room, perm)?;
        Ok(room)
    }

    /// Refuses unless the token covers `room` with at least `perm`.
    pub fn require(&self, room: &str, perm: Perm) -> Result<(), ApiError> {
        if self.0.allows(room, perm) {
            Ok(())
        } else {
            tracing::info!(room, actor = %self.0.actor(), need = %perm, "forbidden");
            Err(ApiError::Forbidden)
        }
    }

    /// Refuses unless the token is an admin token for every room (`*`).
    pub fn require_everything(&self) -> Result<(), ApiError> {
        if self.0.perm == Perm::Admin && self.0.room == "*" {
            Ok(())
        } else {
            tracing::info!(actor = %self.0.actor(), "forbidden: needs admin over every room");
            Err(ApiError::Forbidden)
        }
    }

    /// Who to record in the audit log.
    pub fn actor(&self) -> String {
        self.0.actor()
    }
}
