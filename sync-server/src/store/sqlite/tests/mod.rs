//! Tests of the SQLite store: the shared conformance suite, and what only shows in its tables.

use std::sync::Arc;

use bytes::Bytes;
use tempfile::TempDir;

use super::SqliteStore;
use crate::store::{Append, Retention, Store, conformance};

mod open;

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

fn keep(n: usize) -> Retention {
    Retention {
        keep: n,
        ..Retention::default()
    }
}

async fn count(store: &SqliteStore, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
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

/// One test per conformance check too, each on a fresh store, so a failure names its check.
macro_rules! conformance_tests {
    ($($check:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $check() {
            let (_dir, store) = fresh().await;
            conformance::$check(&*store).await;
        }
    )*};
}

conformance_tests!(
    empty_load,
    append_and_load_order,
    empty_append_is_noop,
    compact_then_load,
    compact_rejects_bad_upto,
    delete_room,
    list_rooms,
    binary_data_round_trips,
    snapshot_retention_keep,
    snapshot_retention_age,
    snapshot_retention_spacing,
    recompact_keeps_first_time,
    load_at_unknown_room,
    load_at_log_only,
    load_at_with_snapshots,
    versions_round_trip,
    audit_round_trip_and_filters,
    token_records,
    token_revocations,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends() {
    let (_dir, store) = fresh().await;
    conformance::concurrent_appends(store).await;
}

#[tokio::test]
async fn retention_deletes_old_snapshot_rows() {
    let (_dir, store) = fresh().await;
    let snaps = "SELECT count(*) FROM snapshots WHERE room = 'r'";
    for i in 0..5u8 {
        let seq = store.append(&[app("r", &[i])]).await.expect("append")[0].1;
        store
            .compact("r", &[i], seq, &keep(3))
            .await
            .expect("compact");
    }
    assert_eq!(count(&store, snaps).await, 3);
    let kept: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT data FROM snapshots WHERE room = 'r' ORDER BY upto_seq")
            .fetch_all(&store.reader)
            .await
            .expect("select");
    assert_eq!(kept, vec![vec![2], vec![3], vec![4]], "the newest are kept");

    let seq = store.append(&[app("r", b"x")]).await.expect("append")[0].1;
    store
        .compact("r", b"x", seq, &keep(1))
        .await
        .expect("compact");
    assert_eq!(count(&store, snaps).await, 1);
    assert_eq!(
        count(&store, "SELECT count(*) FROM updates WHERE room = 'r'").await,
        0
    );
}

#[tokio::test]
async fn expired_revocations_are_pruned() {
    let (_dir, store) = fresh().await;
    for (jti, exp) in [("a", 100), ("b", 200), ("c", 300)] {
        assert!(
            store
                .revoke_token(jti, exp, "admin", 50)
                .await
                .expect("revoke")
        );
    }
    let rows = "SELECT count(*) FROM revoked_tokens";
    assert_eq!(store.revoked_tokens(100).await.expect("revoked").len(), 3);
    assert_eq!(count(&store, rows).await, 3);
    assert_eq!(
        store.revoked_tokens(201).await.expect("revoked"),
        vec![("c".to_owned(), 300)]
    );
    assert_eq!(
        count(&store, rows).await,
        1,
        "a and b are gone from the table"
    );
}

#[tokio::test]
async fn no_token_string_is_stored() {
    let (_dir, store) = fresh().await;
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM pragma_table_info('tokens') \
         UNION ALL SELECT name FROM pragma_table_info('revoked_tokens')",
    )
    .fetch_all(&store.reader)
    .await
    .expect("columns");
    assert!(columns.contains(&"jti".to_owned()), "{columns:?}");
    assert!(
        columns
            .iter()
            .all(|c| !c.contains("token") && !c.contains("secret") && !c.contains("sig")),
        "{columns:?}"
    );
}
