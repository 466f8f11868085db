//! Rooms in SQLite: the update log, its compaction into snapshots, and reading a room back as it is
//! now or as it was at a point in time.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::SqliteConnection;

use super::SqliteStore;
use crate::store::{Append, HistoryPoint, Retention, StoreError, StoredRoom, now_ms, retention};

impl SqliteStore {
    pub(super) async fn load_room(&self, room: &str) -> Result<StoredRoom, StoreError> {
        // One read transaction, so a compaction committing between the two queries cannot make us
        // pair an old snapshot with a log that already lost the entries after it.
        let mut tx = self.reader.begin().await?;
        let snapshot: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT upto_seq, data FROM snapshots WHERE room = ? ORDER BY upto_seq DESC LIMIT 1",
        )
        .bind(room)
        .fetch_optional(&mut *tx)
        .await?;
        let upto = snapshot.as_ref().map_or(0, |(upto, _)| *upto);
        let rows = log_after(&mut tx, room, upto, i64::MAX).await?;
        tx.rollback().await?;
        Ok(stored_room(snapshot, rows))
    }

    pub(super) async fn append_batch(
        &self,
        batch: &[Append],
    ) -> Result<Vec<(Arc<str>, i64)>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_ms();
        let mut highest: Vec<(Arc<str>, i64)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();

        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        for item in batch {
            let seq = sqlx::query("INSERT INTO updates (room, data, created_at) VALUES (?, ?, ?)")
                .bind(&*item.room)
                .bind(&item.update[..])
                .bind(now)
                .execute(&mut *tx)
                .await?
                .last_insert_rowid();
            match index.get(&*item.room) {
                Some(&i) => highest[i].1 = seq,
                None => {
                    index.insert(&item.room, highest.len());
                    highest.push((item.room.clone(), seq));
                }
            }
        }
        tx.commit().await?;
        Ok(highest)
    }

    pub(super) async fn compact_room(
        &self,
        room: &str,
        snapshot: &[u8],
        upto: i64,
        policy: &Retention,
    ) -> Result<(), StoreError> {
        if upto < 0 {
            return Err(StoreError::InvalidArgument(format!(
                "compact of room {room:?}: upto {upto} is negative"
            )));
        }
        let now = now_ms();

        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        // AUTOINCREMENT never reuses a seq, even after deletes, so sqlite_sequence holds the
        // highest ever assigned; a snapshot claiming more would swallow future appends.
        let assigned: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'updates'")
                .fetch_optional(&mut *tx)
                .await?;
        let assigned = assigned.unwrap_or(0);
        if upto > assigned {
            return Err(StoreError::InvalidArgument(format!(
                "compact of room {room:?}: upto {upto} is beyond the highest assigned seq {assigned}"
            )));
        }

        sqlx::query(
            "INSERT INTO snapshots (room, upto_seq, data, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (room, upto_seq) DO UPDATE SET data = excluded.data",
        )
        .bind(room)
        .bind(upto)
        .bind(snapshot)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM updates WHERE room = ? AND seq <= ?")
            .bind(room)
            .bind(upto)
            .execute(&mut *tx)
            .await?;

        let snapshots: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT upto_seq, created_at FROM snapshots WHERE room = ? ORDER BY upto_seq DESC",
        )
        .bind(room)
        .fetch_all(&mut *tx)
        .await?;
        for old in retention::to_delete(&snapshots, policy, now) {
            sqlx::query("DELETE FROM snapshots WHERE room = ? AND upto_seq = ?")
                .bind(room)
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn room_history(&self, room: &str) -> Result<Vec<HistoryPoint>, StoreError> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT upto_seq, created_at, length(data) FROM snapshots WHERE room = ? \
             ORDER BY upto_seq DESC",
        )
        .bind(room)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(upto_seq, created_at_ms, size)| HistoryPoint {
                upto_seq,
                created_at_ms,
                size: u64::try_from(size).unwrap_or(0),
            })
            .collect())
    }

    pub(super) async fn load_room_at(
        &self,
        room: &str,
        at_ms: i64,
    ) -> Result<Option<StoredRoom>, StoreError> {
        // One read transaction, as in `load_room`: the snapshots and the log must agree.
        let mut tx = self.reader.begin().await?;
        let snapshot: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT upto_seq, data FROM snapshots WHERE room = ? AND created_at <= ? \
             ORDER BY upto_seq DESC LIMIT 1",
        )
        .bind(room)
        .bind(at_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let newest: Option<i64> =
            sqlx::query_scalar("SELECT max(upto_seq) FROM snapshots WHERE room = ?")
                .bind(room)
                .fetch_one(&mut *tx)
                .await?;

        let found = match (snapshot, newest) {
            (Some((upto, data)), Some(newest)) if upto == newest => {
                let rows = log_after(&mut tx, room, upto, at_ms).await?;
                Some(stored_room(Some((upto, data)), rows))
            }
            // The log between this snapshot and the next was compacted away.
            (Some(snapshot), _) => Some(stored_room(Some(snapshot), Vec::new())),
            // Every snapshot is newer than `at_ms`, and what preceded them is gone.
            (None, Some(_)) => None,
            // Never compacted: the whole log is still there.
            (None, None) => {
                let rows = log_after(&mut tx, room, 0, at_ms).await?;
                if rows.is_empty() {
                    let exists: bool =
                        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM updates WHERE room = ?)")
                            .bind(room)
                            .fetch_one(&mut *tx)
                            .await?;
                    exists.then(StoredRoom::default)
                } else {
                    Some(stored_room(None, rows))
                }
            }
        };
        tx.rollback().await?;
        Ok(found)
    }

    pub(super) async fn delete_room_data(&self, room: &str) -> Result<(), StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        for sql in [
            "DELETE FROM updates WHERE room = ?",
            "DELETE FROM snapshots WHERE room = ?",
            "DELETE FROM versions WHERE room = ?",
        ] {
            sqlx::query(sql).bind(room).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn room_names(&self) -> Result<Vec<String>, StoreError> {
        // BINARY collation compares UTF-8 bytes, the same order as Rust's `str`.
        let rooms = sqlx::query_scalar(
            "SELECT room FROM updates UNION SELECT room FROM snapshots ORDER BY room",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rooms)
    }
}

/// The room's log entries with seq > `after` appended at or before `until_ms`, in seq order.
async fn log_after(
    conn: &mut SqliteConnection,
    room: &str,
    after: i64,
    until_ms: i64,
) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    let rows = sqlx::query_as(
        "SELECT seq, data FROM updates WHERE room = ? AND seq > ? AND created_at <= ? \
         ORDER BY seq",
    )
    .bind(room)
    .bind(after)
    .bind(until_ms)
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

fn stored_room(snapshot: Option<(i64, Vec<u8>)>, rows: Vec<(i64, Vec<u8>)>) -> StoredRoom {
    let upto = snapshot.as_ref().map_or(0, |(upto, _)| *upto);
    StoredRoom {
        last_seq: rows.last().map_or(upto, |(seq, _)| *seq),
        log_bytes: rows.iter().map(|(_, data)| data.len() as u64).sum(),
        snapshot: snapshot.map(|(_, data)| data),
        updates: rows.into_iter().map(|(_, data)| data).collect(),
    }
}
