//! SQLite backend for [`Store`]: one database file per server, written through a single connection.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, SqliteConnection};
use tokio::io::AsyncReadExt as _;

use super::{Append, Store, StoreError, StoredRoom};

/// Name of the database file inside the server's data directory.
/// The writer connection's page cache, as SQLite's negative-means-KiB `cache_size`.
const WRITER_CACHE_KIB: &str = "-256";

pub const DB_FILE_NAME: &str = "tandem.db";

/// Stamped into the database header so that we never adopt (and write into) another program's
/// SQLite file that happens to sit at our path. Spells "Tndm".
const APPLICATION_ID: i64 = 0x546E_646D;

/// Schema migrations, applied in order; the database's `user_version` counts how many have run.
/// Append new entries, never edit old ones: existing databases have already applied them.
const MIGRATIONS: &[&str] = &[r"
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
"];

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

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

    /// Opens (creating if needed) the database file `db_file`, creating its parent directory.
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
        check_header(db_file).await?;

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
        if let Err(e) = init_schema(&writer, db_file).await {
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

/// Refuses a non-empty file that does not start with the SQLite magic string.
async fn check_header(path: &Path) -> Result<(), StoreError> {
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

async fn init_schema(pool: &SqlitePool, path: &Path) -> Result<(), StoreError> {
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

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        // A clock before 1970 is broken; the timestamp is informational, so don't fail the write.
        .unwrap_or(0)
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn load(&self, room: &str) -> Result<StoredRoom, StoreError> {
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
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, data FROM updates WHERE room = ? AND seq > ? ORDER BY seq")
                .bind(room)
                .bind(upto)
                .fetch_all(&mut *tx)
                .await?;
        tx.rollback().await?;

        let last_seq = rows.last().map_or(upto, |(seq, _)| *seq);
        let log_bytes = rows.iter().map(|(_, data)| data.len() as u64).sum();
        Ok(StoredRoom {
            snapshot: snapshot.map(|(_, data)| data),
            updates: rows.into_iter().map(|(_, data)| data).collect(),
            last_seq,
            log_bytes,
        })
    }

    async fn append(&self, batch: &[Append]) -> Result<Vec<(Arc<str>, i64)>, StoreError> {
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

    async fn compact(
        &self,
        room: &str,
        snapshot: &[u8],
        upto: i64,
        keep_snapshots: usize,
    ) -> Result<(), StoreError> {
        if upto < 0 {
            return Err(StoreError::InvalidArgument(format!(
                "compact of room {room:?}: upto {upto} is negative"
            )));
        }
        let keep = i64::try_from(keep_snapshots.max(1)).unwrap_or(i64::MAX);

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
             ON CONFLICT (room, upto_seq) DO UPDATE SET data = excluded.data, \
             created_at = excluded.created_at",
        )
        .bind(room)
        .bind(upto)
        .bind(snapshot)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM updates WHERE room = ? AND seq <= ?")
            .bind(room)
            .bind(upto)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM snapshots WHERE room = ? AND upto_seq NOT IN \
             (SELECT upto_seq FROM snapshots WHERE room = ? ORDER BY upto_seq DESC LIMIT ?)",
        )
        .bind(room)
        .bind(room)
        .bind(keep)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_room(&self, room: &str) -> Result<(), StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM updates WHERE room = ?")
            .bind(room)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM snapshots WHERE room = ?")
            .bind(room)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_rooms(&self) -> Result<Vec<String>, StoreError> {
        // BINARY collation compares UTF-8 bytes, the same order as Rust's `str`.
        let rooms = sqlx::query_scalar(
            "SELECT room FROM updates UNION SELECT room FROM snapshots ORDER BY room",
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rooms)
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

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use tempfile::TempDir;

    use super::*;
    use crate::store::conformance;

    async fn fresh() -> (TempDir, Arc<SqliteStore>) {
        let dir = TempDir::new().expect("tempdir");
        let store = SqliteStore::open_in_dir(dir.path()).await.expect("open");
        (dir, Arc::new(store))
    }

    fn app(room: &str, data: &[u8]) -> Append {
        Append {
            room: Arc::from(room),
            update: Bytes::copy_from_slice(data),
        }
    }

    async fn count(store: &SqliteStore, sql: &str, room: &str) -> i64 {
        sqlx::query_scalar(sql)
            .bind(room)
            .fetch_one(&store.reader)
            .await
            .expect("count")
    }

    #[tokio::test]
    async fn conformance_suite_on_one_store() {
        let (_dir, store) = fresh().await;
        conformance::run_conformance(store.clone()).await;
        store.close().await;
    }

    #[tokio::test]
    async fn empty_load() {
        let (_dir, store) = fresh().await;
        conformance::empty_load(&*store).await;
    }

    #[tokio::test]
    async fn append_and_load_order() {
        let (_dir, store) = fresh().await;
        conformance::append_and_load_order(&*store).await;
    }

    #[tokio::test]
    async fn empty_append_is_noop() {
        let (_dir, store) = fresh().await;
        conformance::empty_append_is_noop(&*store).await;
    }

    #[tokio::test]
    async fn compact_then_load() {
        let (_dir, store) = fresh().await;
        conformance::compact_then_load(&*store).await;
    }

    #[tokio::test]
    async fn snapshot_retention() {
        let (_dir, store) = fresh().await;
        conformance::snapshot_retention(&*store).await;
    }

    #[tokio::test]
    async fn compact_rejects_bad_upto() {
        let (_dir, store) = fresh().await;
        conformance::compact_rejects_bad_upto(&*store).await;
    }

    #[tokio::test]
    async fn delete_room() {
        let (_dir, store) = fresh().await;
        conformance::delete_room(&*store).await;
    }

    #[tokio::test]
    async fn list_rooms() {
        let (_dir, store) = fresh().await;
        conformance::list_rooms(&*store).await;
    }

    #[tokio::test]
    async fn binary_data_round_trips() {
        let (_dir, store) = fresh().await;
        conformance::binary_data_round_trips(&*store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_appends() {
        let (_dir, store) = fresh().await;
        conformance::concurrent_appends(store).await;
    }

    #[tokio::test]
    async fn retention_deletes_old_snapshot_rows() {
        let (_dir, store) = fresh().await;
        let snaps = "SELECT count(*) FROM snapshots WHERE room = ?";
        for i in 0..5u8 {
            let seq = store.append(&[app("r", &[i])]).await.expect("append")[0].1;
            store.compact("r", &[i], seq, 3).await.expect("compact");
        }
        assert_eq!(count(&store, snaps, "r").await, 3);
        let kept: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT data FROM snapshots WHERE room = 'r' ORDER BY upto_seq")
                .fetch_all(&store.reader)
                .await
                .expect("select");
        assert_eq!(kept, vec![vec![2], vec![3], vec![4]], "the newest are kept");

        let seq = store.append(&[app("r", b"x")]).await.expect("append")[0].1;
        store.compact("r", b"x", seq, 1).await.expect("compact");
        assert_eq!(count(&store, snaps, "r").await, 1);
        assert_eq!(
            count(&store, "SELECT count(*) FROM updates WHERE room = ?", "r").await,
            0
        );
    }

    #[tokio::test]
    async fn open_creates_missing_dirs_and_uses_wal() {
        let dir = TempDir::new().expect("tempdir");
        let data_dir = dir.path().join("nested").join("data");
        let store = SqliteStore::open_in_dir(&data_dir).await.expect("open");
        assert_eq!(store.path(), data_dir.join(DB_FILE_NAME));
        assert!(data_dir.join(DB_FILE_NAME).is_file());

        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.writer)
            .await
            .expect("journal_mode");
        assert_eq!(mode, "wal");
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.writer)
            .await
            .expect("synchronous");
        assert_eq!(sync, 1, "NORMAL");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&store.writer)
            .await
            .expect("foreign_keys");
        assert_eq!(fk, 1);
        store.ping().await.expect("ping");
        store.close().await;
    }

    /// Appends, compacts and appends again, returning what a reopened store must reproduce.
    async fn populate(store: &SqliteStore) -> (StoredRoom, StoredRoom, i64) {
        let seqs = store
            .append(&[app("one", b"1a"), app("two", b"2a"), app("one", b"1b")])
            .await
            .expect("append");
        store
            .compact("one", b"snap-one", seqs[0].1, 2)
            .await
            .expect("compact");
        let last = store
            .append(&[app("one", b"1c"), app("two", b"2b")])
            .await
            .expect("append");
        let one = store.load("one").await.expect("load");
        let two = store.load("two").await.expect("load");
        (one, two, last[1].1)
    }

    async fn assert_reopened(dir: &Path, one: &StoredRoom, two: &StoredRoom, last: i64) {
        let store = SqliteStore::open_in_dir(dir).await.expect("reopen");
        let one2 = store.load("one").await.expect("load");
        let two2 = store.load("two").await.expect("load");
        assert_eq!(one2.snapshot.as_deref(), Some(&b"snap-one"[..]));
        assert_eq!(one2.snapshot, one.snapshot);
        assert_eq!(one2.updates, one.updates);
        assert_eq!(one2.last_seq, one.last_seq);
        assert_eq!(two2.updates, two.updates);
        assert_eq!(two2.last_seq, two.last_seq);
        assert_eq!(store.list_rooms().await.expect("list"), vec!["one", "two"]);
        // Seqs keep increasing across restarts.
        let next = store.append(&[app("one", b"1d")]).await.expect("append");
        assert!(next[0].1 > last);
        store.close().await;
    }

    #[tokio::test]
    async fn reopen_after_close_keeps_everything() {
        let dir = TempDir::new().expect("tempdir");
        let store = SqliteStore::open_in_dir(dir.path()).await.expect("open");
        let (one, two, last) = populate(&store).await;
        store.close().await;
        drop(store);
        assert_reopened(dir.path(), &one, &two, last).await;
    }

    #[tokio::test]
    async fn reopen_without_close_keeps_everything() {
        let dir = TempDir::new().expect("tempdir");
        let store = SqliteStore::open_in_dir(dir.path()).await.expect("open");
        let (one, two, last) = populate(&store).await;
        // Leaking the store leaves its connections open and the WAL un-checkpointed, as after a
        // kill -9: committed data must already be recoverable from the files alone.
        std::mem::forget(store);
        let wal = dir.path().join(format!("{DB_FILE_NAME}-wal"));
        assert!(std::fs::metadata(&wal).expect("wal").len() > 0);
        assert_reopened(dir.path(), &one, &two, last).await;
    }

    async fn assert_refused_untouched(dir: &TempDir, contents: &[u8]) -> StoreError {
        let file = dir.path().join(DB_FILE_NAME);
        std::fs::write(&file, contents).expect("write");
        let err = SqliteStore::open_in_dir(dir.path())
            .await
            .expect_err("must refuse");
        assert_eq!(
            std::fs::read(&file).expect("read"),
            contents,
            "file untouched"
        );
        err
    }

    #[tokio::test]
    async fn garbage_file_is_refused_and_untouched() {
        let dir = TempDir::new().expect("tempdir");
        let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
        let err = assert_refused_untouched(&dir, &garbage).await;
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        // Nothing else was created next to it either.
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);

        // Shorter than the magic string.
        let err = assert_refused_untouched(&dir, b"hello").await;
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");

        // Only SQLite itself can tell this one apart: right magic, garbage after it.
        let mut fake = SQLITE_MAGIC.to_vec();
        fake.extend_from_slice(&garbage);
        let err = assert_refused_untouched(&dir, &fake).await;
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    }

    #[tokio::test]
    async fn foreign_sqlite_database_is_refused_and_untouched() {
        let dir = TempDir::new().expect("tempdir");
        let file = dir.path().join(DB_FILE_NAME);
        let mut conn = SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(&file)
                .create_if_missing(true),
        )
        .await
        .expect("connect");
        sqlx::raw_sql("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
            .execute(&mut conn)
            .await
            .expect("create");
        conn.close().await.expect("close");
        let before = std::fs::read(&file).expect("read");

        let err = SqliteStore::open_in_dir(dir.path())
            .await
            .expect_err("refused");
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        assert_eq!(std::fs::read(&file).expect("read"), before);
    }

    #[tokio::test]
    async fn newer_schema_is_refused() {
        let dir = TempDir::new().expect("tempdir");
        let store = SqliteStore::open_in_dir(dir.path()).await.expect("open");
        store.append(&[app("r", b"1")]).await.expect("append");
        sqlx::raw_sql("PRAGMA user_version = 999")
            .execute(&store.writer)
            .await
            .expect("bump");
        store.close().await;

        let err = SqliteStore::open_in_dir(dir.path())
            .await
            .expect_err("refused");
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    }

    #[tokio::test]
    async fn empty_file_is_initialised() {
        let dir = TempDir::new().expect("tempdir");
        std::fs::write(dir.path().join(DB_FILE_NAME), b"").expect("write");
        let store = SqliteStore::open_in_dir(dir.path()).await.expect("open");
        store.append(&[app("r", b"1")]).await.expect("append");
        assert_eq!(
            store.load("r").await.expect("load").updates,
            vec![b"1".to_vec()]
        );
        store.close().await;
    }

    #[tokio::test]
    async fn operations_fail_after_close() {
        let (_dir, store) = fresh().await;
        store.close().await;
        assert!(store.append(&[app("r", b"1")]).await.is_err());
        assert!(store.ping().await.is_err());
    }
}
