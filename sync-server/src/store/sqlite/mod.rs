//! SQLite backend for [`Store`]: one database file per server, written through a single connection.
//!
//! Opening lives here and the schema in `schema`; each area of the trait is implemented by inherent
//! methods in its own module (`log`, `versions`, `audit`, `tokens`), which the one `impl Store`
//! below delegates to.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::{
    Append, AuditEntry, AuditFilter, AuditRecord, HistoryPoint, Retention, Store, StoreError,
    StoredRoom, TokenRecord, VersionMeta,
};

mod audit;
mod log;
mod schema;
mod tokens;
mod versions;

#[cfg(test)]
mod tests;

/// Name of the database file inside the server's data directory.
pub const DB_FILE_NAME: &str = "tandem.db";

/// The writer connection's page cache, as SQLite's negative-means-KiB `cache_size`.
const WRITER_CACHE_KIB: &str = "-256";

/// Loads can run alongside the writer in WAL mode; a few readers keep room loads from queueing
/// behind each other without holding many file handles.
const MAX_READERS: u32 = 4;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`Store`] backed by one SQLite file in WAL mode.
///
/// SQLite admits one writer at a time, so all writes share a single connection (queueing in the
/// pool instead of spinning on `SQLITE_BUSY`), while loads use a separate pool of read-only
/// connections that WAL lets proceed concurrently with writes.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) `tandem.db` inside `data_dir`, creating the directory too.
    pub async fn open_in_dir(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open(&data_dir.join(DB_FILE_NAME)).await
    }

    /// Opens (creating if needed) the database file `db_file`, creating its parent directory, and
    /// brings its schema up to date.
    ///
    /// An existing file that is not a SQLite database, or is another application's database, or
    /// has a newer schema than this build knows, is refused with [`StoreError::Corrupt`] and left
    /// byte-for-byte untouched.
    pub async fn open(db_file: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = db_file.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent).await?;
        }
        // SQLite itself would also refuse a non-database file, but checking the magic up front
        // guarantees we never get as far as issuing a pragma that writes to it.
        schema::check_header(db_file).await?;

        // `journal_mode` is deliberately not set here: switching to WAL rewrites the file header,
        // which must not happen before `init_schema` has confirmed the file is ours. WAL is a
        // persistent property of the file, so setting it once there covers every later connection.
        let base = SqliteConnectOptions::new()
            .filename(db_file)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // NORMAL in WAL mode loses nothing on a process crash (committed transactions are in the
        // WAL file already); only an OS crash / power cut can drop the last few commits.
        // The writer mostly appends, so a small page cache serves it; SQLite's default (2 MiB per
        // connection) would be resident memory that buys nothing here.
        let writer_opts = base
            .clone()
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("cache_size", WRITER_CACHE_KIB);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(writer_opts)
            .await?;
        if let Err(e) = schema::init_schema(&writer, db_file).await {
            writer.close().await;
            return Err(e);
        }

        // Opened only after the schema exists, so read-only connections never see a half-made file.
        let reader = match SqlitePoolOptions::new()
            .max_connections(MAX_READERS)
            .connect_with(base.read_only(true))
            .await
        {
            Ok(reader) => reader,
            Err(e) => {
                writer.close().await;
                return Err(e.into());
            }
        };

        tracing::debug!(path = %db_file.display(), "opened SQLite store");
        Ok(Self {
            writer,
            reader,
            path: db_file.to_path_buf(),
        })
    }

    /// The database file this store was opened on.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn load(&self, room: &str) -> Result<StoredRoom, StoreError> {
        self.load_room(room).await
    }

    async fn append(&self, batch: &[Append]) -> Result<Vec<(Arc<str>, i64)>, StoreError> {
        self.append_batch(batch).await
    }

    async fn compact(
        &self,
        room: &str,
        snapshot: &[u8],
        upto: i64,
        retention: &Retention,
    ) -> Result<(), StoreError> {
        self.compact_room(room, snapshot, upto, retention).await
    }

    async fn history(&self, room: &str) -> Result<Vec<HistoryPoint>, StoreError> {
        self.room_history(room).await
    }

    async fn load_at(&self, room: &str, at_ms: i64) -> Result<Option<StoredRoom>, StoreError> {
        self.load_room_at(room, at_ms).await
    }

    async fn delete_room(&self, room: &str) -> Result<(), StoreError> {
        self.delete_room_data(room).await
    }

    async fn list_rooms(&self) -> Result<Vec<String>, StoreError> {
        self.room_names().await
    }

    async fn save_version(
        &self,
        room: &str,
        label: &str,
        author: &str,
        data: &[u8],
    ) -> Result<VersionMeta, StoreError> {
        self.insert_version(room, label, author, data).await
    }

    async fn list_versions(&self, room: &str) -> Result<Vec<VersionMeta>, StoreError> {
        self.room_versions(room).await
    }

    async fn load_version(
        &self,
        room: &str,
        id: i64,
    ) -> Result<Option<(VersionMeta, Vec<u8>)>, StoreError> {
        self.version(room, id).await
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<i64, StoreError> {
        self.insert_audit(entry).await
    }

    async fn audit_query(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        self.query_audit(filter).await
    }

    async fn record_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        self.insert_token(token).await
    }

    async fn token(&self, jti: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.token_record(jti).await
    }

    async fn revoke_token(
        &self,
        jti: &str,
        exp_ms: i64,
        by: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        self.insert_revocation(jti, exp_ms, by, at_ms).await
    }

    async fn revoked_tokens(&self, now_ms: i64) -> Result<Vec<(String, i64)>, StoreError> {
        self.live_revocations(now_ms).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        // Touches the file (unlike `SELECT 1`), so a vanished or unreadable database is noticed.
        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
            .fetch_one(&self.reader)
            .await?;
        Ok(())
    }

    async fn close(&self) {
        // `Pool::close` waits for checked-out connections, so an in-flight write transaction
        // finishes; the writer goes last so its close checkpoints the WAL into the main file.
        self.reader.close().await;
        self.writer.close().await;
    }
}
