//! `GET /api/live?after={generation}`: the rooms loaded in memory that the caller's token covers,
//! with their open connections, as a long poll — the AI peer (and dashboards) follow which rooms
//! are in use without holding a socket to each.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use super::caller::Caller;
use crate::app::App;
use crate::error::ApiError;
use crate::room::LiveRoom;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveQuery {
    /// The generation the caller last saw: the answer waits until it changes.
    pub after: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct LiveRooms {
    pub generation: u64,
    pub rooms: Vec<LiveRoom>,
}

/// 200 at once, or (with `after` equal to the current generation) once something changes, the
/// poll timeout passes or the server starts shutting down — always with the state at that moment.
pub async fn live(
    State(app): State<Arc<App>>,
    caller: Caller,
    Query(query): Query<LiveQuery>,
) -> Result<Json<LiveRooms>, ApiError> {
    let mut generation = app.rooms.watch_live();
    if let Some(after) = query.after
        && *generation.borrow_and_update() == after
    {
        tokio::select! {
            _ = generation.wait_for(|g| *g != after) => {}
            _ = tokio::time::sleep(app.config.live_poll_timeout) => {}
            _ = app.shutdown.cancelled() => {}
        }
    }
    // The generation is read before the rooms: a change racing with this answer leaves the
    // caller behind by one, so its next poll returns at once.
    let current = *generation.borrow_and_update();
    // Any perm will do: a token that may read a room may know it is in use.
    let rooms = app.rooms.live(|room| caller.0.covers(room));
    Ok(Json(LiveRooms {
        generation: current,
        rooms,
    }))
}
