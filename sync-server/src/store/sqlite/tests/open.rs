//! Tests of opening a SQLite store: creating, reopening, migrating old schemas, and refusing files
//! that are not ours.

use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection as _, SqliteConnection};
use tempfile::TempDir;

use super::{app, fresh, keep};
use crate::store::sqlite::DB_FILE_NAME;
use crate::store::sqlite::schema::{APPLICATION_ID, MIGRATIONS, SQLITE_MAGIC};
use crate::store::{SqliteStore, Store, StoreError, StoredRoom};

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
        .compact("one", b"snap-one", seqs[0].1, &keep(2))
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

#[tokio::test]
async fn version_1_database_is_migrated_and_keeps_its_data() {
    let dir = TempDir::new().expect("tempdir");
    let file = dir.path().join(DB_FILE_NAME);
    let mut conn = SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true),
    )
    .await
    .expect("connect");
    // What a build that knew only the first migration left behind: "doc" compacted up to seq 2
    // with one update after, "other" never compacted.
    sqlx::raw_sql(MIGRATIONS[0])
        .execute(&mut conn)
        .await
        .expect("v1 schema");
    sqlx::raw_sql(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;
         INSERT INTO updates (room, data, created_at) VALUES
             ('doc', x'0101', 1000), ('doc', x'0102', 2000), ('other', x'0201', 1500),
             ('doc', x'0103', 3000);
         INSERT INTO snapshots (room, upto_seq, data, created_at) VALUES ('doc', 2, x'53', 2500);
         DELETE FROM updates WHERE room = 'doc' AND seq <= 2;"
    ))
    .execute(&mut conn)
    .await
    .expect("v1 data");
    conn.close().await.expect("close");

    let store = SqliteStore::open_in_dir(dir.path()).await.expect("open");
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&store.reader)
        .await
        .expect("user_version");
    assert_eq!(version, MIGRATIONS.len() as i64);

    let doc = store.load("doc").await.expect("load");
    assert_eq!(doc.snapshot, Some(vec![0x53]));
    assert_eq!(doc.updates, vec![vec![1, 3]]);
    assert_eq!(doc.last_seq, 4);
    let other = store.load("other").await.expect("load");
    assert_eq!(other.updates, vec![vec![2, 1]]);
    assert_eq!(
        store.list_rooms().await.expect("list"),
        vec!["doc", "other"]
    );

    // The old rows carry what history needs.
    let history = store.history("doc").await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].upto_seq, history[0].created_at_ms), (2, 2500));
    let at = store
        .load_at("doc", 2600)
        .await
        .expect("load_at")
        .expect("some");
    assert_eq!(
        (at.snapshot, at.updates.len(), at.last_seq),
        (Some(vec![0x53]), 0, 2)
    );
    let at = store.load_at("other", 1499).await.expect("load_at");
    assert_eq!(at, Some(StoredRoom::default()));
    assert_eq!(store.load_at("doc", 2499).await.expect("load_at"), None);

    // The new tables work, and seqs continue above the old ones.
    let v = store
        .save_version("doc", "v", "me", b"x")
        .await
        .expect("save");
    assert!(store.append(&[app("doc", b"4")]).await.expect("append")[0].1 > 4);
    store.close().await;

    // Opening again applies nothing twice.
    let store = SqliteStore::open_in_dir(dir.path()).await.expect("reopen");
    assert_eq!(store.list_versions("doc").await.expect("versions"), vec![v]);
    assert_eq!(store.load("doc").await.expect("load").updates.len(), 2);
    store.close().await;
}
