//! The SQLite schema: its migrations, and the checks that keep us from writing into a file that is
//! not ours (another program's database, a newer tandem's schema, not SQLite at all).

use std::path::Path;

use sqlx::sqlite::SqlitePool;
use sqlx::{Connection as _, SqliteConnection};
use tokio::io::AsyncReadExt as _;

use crate::store::StoreError;

/// Stamped into the database header so that we never adopt (and write into) another program's
/// SQLite file that happens to sit at our path. Spells "Tndm".
pub(super) const APPLICATION_ID: i64 = 0x546E_646D;

pub(super) const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Schema migrations, applied in order; the database's `user_version` counts how many have run.
/// Append new entries, never edit old ones: existing databases have already applied them.
pub(super) const MIGRATIONS: &[&str] = &[
    r"
    CREATE TABLE IF NOT EXISTS updates (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        room       TEXT    NOT NULL,
        data       BLOB    NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS updates_room_seq ON updates (room, seq);
    CREATE TABLE IF NOT EXISTS snapshots (
        room       TEXT    NOT NULL,
        upto_seq   INTEGER NOT NULL,
        data       BLOB    NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (room, upto_seq)
    );
",
    // Named versions, the audit log, and minted / revoked token ids (never the tokens themselves).
    r"
    CREATE TABLE versions (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        room       TEXT    NOT NULL,
        label      TEXT    NOT NULL,
        author     TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        data       BLOB    NOT NULL
    );
    CREATE INDEX versions_room_id ON versions (room, id);
    CREATE TABLE audit (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        at     INTEGER NOT NULL,
        room   TEXT,
        actor  TEXT    NOT NULL,
        action TEXT    NOT NULL,
        target TEXT    NOT NULL,
        detail TEXT    NOT NULL
    );
    CREATE INDEX audit_room_at ON audit (room, at);
    CREATE INDEX audit_at ON audit (at);
    CREATE TABLE tokens (
        jti          TEXT    PRIMARY KEY NOT NULL,
        room         TEXT    NOT NULL,
        perm         TEXT    NOT NULL,
        sub          TEXT    NOT NULL,
        name         TEXT,
        tenant       TEXT,
        exp_ms       INTEGER NOT NULL,
        minted_by    TEXT    NOT NULL,
        minted_at_ms INTEGER NOT NULL
    );
    CREATE TABLE revoked_tokens (
        jti           TEXT    PRIMARY KEY NOT NULL,
        exp_ms        INTEGER NOT NULL,
        revoked_by    TEXT    NOT NULL,
        revoked_at_ms INTEGER NOT NULL
    );
    CREATE INDEX revoked_tokens_exp ON revoked_tokens (exp_ms);
",
];

/// Refuses a non-empty file that does not start with the SQLite magic string.
pub(super) async fn check_header(path: &Path) -> Result<(), StoreError> {
    let file = match tokio::fs::File::open(path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut header = Vec::with_capacity(SQLITE_MAGIC.len());
    file.take(SQLITE_MAGIC.len() as u64)
        .read_to_end(&mut header)
        .await?;
    // A zero-length file is what SQLite itself treats as a new, empty database.
    if header.is_empty() || header == SQLITE_MAGIC {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{} exists but is not a SQLite database; refusing to touch it",
            path.display()
        )))
    }
}

/// Confirms the file is ours (or empty), switches it to WAL and applies pending migrations.
pub(super) async fn init_schema(pool: &SqlitePool, path: &Path) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;

    // Read-only checks first: until they pass, nothing may be written to the file.
    let app_id: i64 = sqlx::query_scalar("PRAGMA application_id")
        .fetch_one(&mut *conn)
        .await?;
    let objects: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
        .fetch_one(&mut *conn)
        .await?;
    if app_id != APPLICATION_ID && !(app_id == 0 && objects == 0) {
        return Err(StoreError::Corrupt(format!(
            "{} is a SQLite database that does not belong to tandem (application_id {app_id}, \
             {objects} schema objects); refusing to touch it",
            path.display()
        )));
    }
    check_schema_version(&mut conn, path).await?;

    // Must run outside a transaction.
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
        .fetch_one(&mut *conn)
        .await?;
    if !mode.eq_ignore_ascii_case("wal") {
        // Happens on filesystems without shared-memory support (some network mounts). Still
        // correct, just slower and with readers blocking the writer, so keep serving.
        tracing::warn!(path = %path.display(), %mode, "SQLite could not enable WAL mode");
    }

    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    // Re-read under the write lock: another process may have migrated since the check above.
    let applied = check_schema_version(&mut tx, path).await?;
    for sql in &MIGRATIONS[applied..] {
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
    }
    // PRAGMA arguments cannot be bound; both values are integers we control.
    sqlx::raw_sql(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
        MIGRATIONS.len()
    ))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Returns how many migrations the database has applied, refusing schemas newer than this build.
async fn check_schema_version(
    conn: &mut SqliteConnection,
    path: &Path,
) -> Result<usize, StoreError> {
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut *conn)
        .await?;
    match usize::try_from(version) {
        Ok(v) if v <= MIGRATIONS.len() => Ok(v),
        _ => Err(StoreError::Corrupt(format!(
            "{} has schema version {version}, but this build only knows up to {}; \
             refusing to touch it (was it written by a newer tandem?)",
            path.display(),
            MIGRATIONS.len()
        ))),
    }
}
