//! `/api/rooms`: create a room (optionally named, optionally with files), inspect and export it.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use protocol::schema;
use rand::Rng;
use serde::Deserialize;
use yrs::{Map, WriteTxn};

use super::room_name;
use crate::app::App;
use crate::error::ApiError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    pub name: Option<String>,
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

/// Length of generated room names (base-32, ~60 bits: unguessable enough to share as a link).
const GENERATED_NAME_LEN: usize = 12;

fn generate_name() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..GENERATED_NAME_LEN)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub async fn create(
    State(app): State<Arc<App>>,
    body: Option<Json<CreateRoom>>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let req = body.map(|Json(b)| b).unwrap_or_default();
    let name = match req.name {
        Some(n) => room_name(&n)?.to_owned(),
        None => generate_name(),
    };
    for path in req.files.keys() {
        if !schema::valid_file_path(path) {
            return Err(ApiError::BadPath);
        }
    }
    let files = req.files;
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
    let addr = app.public_addr;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "room": name,
            "links": {
                "edit": format!("http://{addr}/r/{name}"),
                "websocket": format!("ws://{addr}/sync/{name}"),
                "files": format!("http://{addr}/api/rooms/{name}/files"),
            }
        })),
    ))
}

pub async fn info(
    State(app): State<Arc<App>>,
    Path(room): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = room_name(&room)?;
    let info = app.rooms.info(room).await?;
    Ok(Json(serde_json::json!({ "room": room, "live": info })))
}

pub async fn export(
    State(app): State<Arc<App>>,
    Path(room): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = room_name(&room)?;
    let json = app.rooms.read(room, schema::export_json).await?;
    Ok(Json(json))
}
