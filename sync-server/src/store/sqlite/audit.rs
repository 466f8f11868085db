//! The audit log in SQLite: entries appended by the API, queried by room and time range.

use sqlx::{QueryBuilder, Sqlite};

use super::SqliteStore;
use crate::store::{AuditEntry, AuditFilter, AuditRecord, StoreError};

type AuditRow = (i64, i64, Option<String>, String, String, String, String);

impl SqliteStore {
    pub(super) async fn insert_audit(&self, entry: &AuditEntry) -> Result<i64, StoreError> {
        let id = sqlx::query(
            "INSERT INTO audit (at, room, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(entry.at_ms)
        .bind(entry.room.as_deref())
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(entry.detail.to_string())
        .execute(&self.writer)
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    pub(super) async fn query_audit(
        &self,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        if filter.limit == 0 {
            return Ok(Vec::new());
        }
        let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
            "SELECT id, at, room, actor, action, target, detail FROM audit WHERE 1 = 1",
        );
        if let Some(room) = &filter.room {
            q.push(" AND room = ").push_bind(room);
        }
        if let Some(since) = filter.since_ms {
            q.push(" AND at >= ").push_bind(since);
        }
        if let Some(until) = filter.until_ms {
            q.push(" AND at <= ").push_bind(until);
        }
        q.push(" ORDER BY id LIMIT ")
            .push_bind(i64::try_from(filter.limit).unwrap_or(i64::MAX));

        let rows: Vec<AuditRow> = q.build_query_as().fetch_all(&self.reader).await?;
        rows.into_iter().map(record).collect()
    }
}

fn record(
    (id, at_ms, room, actor, action, target, detail): AuditRow,
) -> Result<AuditRecord, StoreError> {
    // Written by `insert_audit` from a `serde_json::Value`, so only outside tampering breaks this.
    let detail = serde_json::from_str(&detail).map_err(|e| {
        StoreError::Corrupt(format!(
            "audit entry {id} has a detail that is not JSON: {e}"
        ))
    })?;
    Ok(AuditRecord {
        id,
        entry: AuditEntry {
            at_ms,
            room,
            actor,
            action,
            target,
            detail,
        },
    })
}
