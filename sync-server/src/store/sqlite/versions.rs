//! Named versions in SQLite: whole-document states saved under a label, listed and loaded by id.

use super::SqliteStore;
use crate::store::{StoreError, VersionMeta, now_ms};

type MetaRow = (i64, String, String, i64, i64);

impl SqliteStore {
    pub(super) async fn insert_version(
        &self,
        room: &str,
        label: &str,
        author: &str,
        data: &[u8],
    ) -> Result<VersionMeta, StoreError> {
        let created_at_ms = now_ms();
        let id = sqlx::query(
            "INSERT INTO versions (room, label, author, created_at, data) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(room)
        .bind(label)
        .bind(author)
        .bind(created_at_ms)
        .bind(data)
        .execute(&self.writer)
        .await?
        .last_insert_rowid();
        Ok(VersionMeta {
            id,
            label: label.to_owned(),
            author: author.to_owned(),
            created_at_ms,
            size: data.len() as u64,
        })
    }

    pub(super) async fn room_versions(&self, room: &str) -> Result<Vec<VersionMeta>, StoreError> {
        let rows: Vec<MetaRow> = sqlx::query_as(
            "SELECT id, label, author, created_at, length(data) FROM versions WHERE room = ? \
             ORDER BY id DESC",
        )
        .bind(room)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(meta).collect())
    }

    pub(super) async fn version(
        &self,
        room: &str,
        id: i64,
    ) -> Result<Option<(VersionMeta, Vec<u8>)>, StoreError> {
        let row: Option<(i64, String, String, i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT id, label, author, created_at, length(data), data FROM versions \
             WHERE id = ? AND room = ?",
        )
        .bind(id)
        .bind(room)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(id, label, author, created_at, size, data)| {
            (meta((id, label, author, created_at, size)), data)
        }))
    }
}

fn meta((id, label, author, created_at_ms, size): MetaRow) -> VersionMeta {
    VersionMeta {
        id,
        label,
        author,
        created_at_ms,
        size: u64::try_from(size).unwrap_or(0),
    }
}
