//! Durable storage: per room, an append-only log of Yjs updates compacted into timestamped
//! snapshots, plus named versions; server-wide, the audit log and the record of minted and revoked
//! tokens.
//!
//! The [`Store`] trait is the only thing the rest of the server sees, so that backends (SQLite now,
//! PostgreSQL later) are interchangeable; every backend must pass the shared conformance suite in
//! `conformance`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(test)]
pub(crate) mod conformance;
pub mod retention;
pub mod sqlite;

pub use retention::Retention;
pub use sqlite::SqliteStore;

/// A backend that persists rooms, versions, the audit log and token records.
///
/// Sequence numbers (`seq`) are assigned by the store, are positive, and strictly increase across the
/// whole store (not just per room), so that a snapshot's `upto` is unambiguous even after a room is
/// deleted and re-created. Times are milliseconds since the Unix epoch; the ones the store stamps
/// itself (log entries, snapshots, versions) come from [`now_ms`] at the time of the write.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Loads a room: the newest snapshot (if any) plus every log entry after it, in append order.
    /// Returns Ok(StoredRoom::default()) -- empty -- for a room never written.
    async fn load(&self, room: &str) -> Result<StoredRoom, StoreError>;

    /// Appends a batch of updates (possibly for several rooms) in ONE transaction (group commit).
    /// Returns, for each room in the batch, the highest seq assigned to it, in order of the room's
    /// first appearance in the batch. An empty batch is a no-op returning an empty vector.
    async fn append(&self, batch: &[Append]) -> Result<Vec<(Arc<str>, i64)>, StoreError>;

    /// In one transaction: stores `snapshot` (the room's whole state as one Yjs update) as covering
    /// every log entry of `room` with seq <= upto, deletes those log entries, and deletes the room's
    /// older snapshots that `retention` does not keep (see [`retention::to_delete`]); the snapshot
    /// just written always survives. Re-compacting at the same `upto` replaces the snapshot's data
    /// but keeps its original time, since the state it holds existed from then on.
    ///
    /// Fails with [`StoreError::InvalidArgument`] if `upto` is negative or greater than the highest
    /// seq the store has ever assigned: such a snapshot would hide updates appended later.
    async fn compact(
        &self,
        room: &str,
        snapshot: &[u8],
        upto: i64,
        retention: &Retention,
    ) -> Result<(), StoreError>;

    /// The room's snapshots (the points in time `load_at` can reach), newest first.
    async fn history(&self, room: &str) -> Result<Vec<HistoryPoint>, StoreError>;

    /// The room as it was at `at_ms`, read in one transaction:
    /// - the newest snapshot created at or before `at_ms`; if it is the room's newest snapshot, plus
    ///   the log entries after it that were appended at or before `at_ms`, in seq order. If a newer
    ///   snapshot exists, the snapshot alone: the log between the two was compacted away.
    /// - if the room has never been compacted: the log entries appended at or before `at_ms`, which
    ///   may be none (the room was empty then).
    /// - Ok(None) if the room has no updates and no snapshots, or if every snapshot is newer than
    ///   `at_ms` (history does not reach back that far).
    ///
    /// `last_seq` and `log_bytes` describe what is returned, as for [`Store::load`].
    async fn load_at(&self, room: &str, at_ms: i64) -> Result<Option<StoredRoom>, StoreError>;

    /// Deletes every log entry, snapshot and named version of the room (its audit entries and token
    /// records stay).
    async fn delete_room(&self, room: &str) -> Result<(), StoreError>;

    /// Names of rooms that have updates or snapshots, sorted by byte order. Named versions alone do
    /// not make a room exist.
    async fn list_rooms(&self) -> Result<Vec<String>, StoreError>;

    /// Stores `data` (a whole document state) as a named version of the room, stamped now.
    async fn save_version(
        &self,
        room: &str,
        label: &str,
        author: &str,
        data: &[u8],
    ) -> Result<VersionMeta, StoreError>;

    /// The room's named versions, newest (highest id) first.
    async fn list_versions(&self, room: &str) -> Result<Vec<VersionMeta>, StoreError>;

    /// One named version with its data; None unless version `id` exists and belongs to `room`.
    async fn load_version(
        &self,
        room: &str,
        id: i64,
    ) -> Result<Option<(VersionMeta, Vec<u8>)>, StoreError>;

    /// Appends an entry to the audit log (its `at_ms` is the caller's) and returns its id. Ids
    /// increase in insertion order.
    async fn audit(&self, entry: &AuditEntry) -> Result<i64, StoreError>;

    /// Audit entries matching `filter`, id ascending: the `limit` oldest (by id) of the entries of
    /// `filter.room` (every room and room-less entry if None) with `since_ms <= at_ms <= until_ms`.
    /// A limit of 0 returns nothing.
    async fn audit_query(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError>;

    /// Records a minted token. Fails with [`StoreError::InvalidArgument`] if its jti is already
    /// recorded (the existing record is kept).
    async fn record_token(&self, token: &TokenRecord) -> Result<(), StoreError>;

    /// The record of the token minted with this jti, if any.
    async fn token(&self, jti: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Revokes `jti` (which need not be a recorded token: externally minted ones can be revoked
    /// too) until `exp_ms`, the token's own expiry. Returns true if newly revoked, false if it
    /// already was (the first revocation is kept).
    async fn revoke_token(
        &self,
        jti: &str,
        exp_ms: i64,
        by: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError>;

    /// `(jti, exp_ms)` of every revocation with `exp_ms >= now_ms`, sorted by jti. Revocations
    /// that ended before `now_ms` may be deleted, so a caller that accepts tokens some leeway past
    /// their expiry must pass `now_ms` minus that leeway.
    async fn revoked_tokens(&self, now_ms: i64) -> Result<Vec<(String, i64)>, StoreError>;

    /// Cheap liveness probe of the backing database (used by /readyz).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Closes the pool after all pending writes are done. Calls made after (or racing with) `close`
    /// fail, so callers must stop submitting work before closing.
    async fn close(&self);
}

/// One update to append to a room's log.
#[derive(Debug, Clone)]
pub struct Append {
    pub room: Arc<str>,
    pub update: bytes::Bytes,
}

/// What [`Store::load`] returns for a room.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StoredRoom {
    /// The newest snapshot.
    pub snapshot: Option<Vec<u8>>,
    /// Log entries after the snapshot, in append order.
    pub updates: Vec<Vec<u8>>,
    /// Highest seq covered (snapshot `upto` or last log entry), 0 if none.
    pub last_seq: i64,
    /// Total size of `updates` in bytes.
    pub log_bytes: u64,
}

/// One snapshot of a room, as listed by [`Store::history`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryPoint {
    pub upto_seq: i64,
    pub created_at_ms: i64,
    /// Size of the snapshot in bytes.
    pub size: u64,
}

/// A named version, without its data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionMeta {
    pub id: i64,
    pub label: String,
    pub author: String,
    pub created_at_ms: i64,
    /// Size of the version's data in bytes.
    pub size: u64,
}

/// One audit log entry, as written.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    pub at_ms: i64,
    /// None for actions not about one room (minting a token for a prefix, revoking by jti, ...).
    pub room: Option<String>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

/// An audit log entry as read back, with the id the store gave it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Which audit entries [`Store::audit_query`] returns; bounds are inclusive.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub room: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub limit: usize,
}

/// What the store knows about a minted token: its claims and who minted it, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenRecord {
    pub jti: String,
    pub room: String,
    pub perm: String,
    pub sub: String,
    pub name: Option<String>,
    pub tenant: Option<String>,
    pub exp_ms: i64,
    pub minted_by: String,
    pub minted_at_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The database exists but is not one this server can safely use (not SQLite, another
    /// application's database, a newer schema, ...), or holds a value this server cannot read.
    /// It is left untouched.
    #[error("unusable database: {0}")]
    Corrupt(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// The store's clock: milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        // A clock before 1970 is broken; the timestamp is informational, so don't fail the write.
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{AuditEntry, AuditRecord};

    #[test]
    fn audit_record_serializes_flat() {
        let entry = AuditEntry {
            at_ms: 5,
            room: None,
            actor: "cli".into(),
            action: "token.minted".into(),
            target: "jti-1".into(),
            detail: json!({"perm": "read"}),
        };
        let record = AuditRecord {
            id: 7,
            entry: entry.clone(),
        };
        let value = serde_json::to_value(&record).expect("serialize");
        assert_eq!(
            value,
            json!({"id": 7, "at_ms": 5, "room": null, "actor": "cli", "action": "token.minted",
                   "target": "jti-1", "detail": {"perm": "read"}})
        );
        let back: AuditEntry = serde_json::from_value(value).expect("deserialize");
        assert_eq!(back, entry);
    }
}
