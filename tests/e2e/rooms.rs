//! Room lifecycle: idle rooms are flushed and unloaded, and a room whose stored state cannot be
//! loaded refuses connections (1013) without ever writing over what is stored.

use std::time::Duration;

use crate::harness::*;

#[tokio::test]
async fn idle_rooms_are_unloaded_after_a_final_flush() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--room-idle-ms", "200"]);
    let p = peer(&server, "idle").await;
    for i in 0..20 {
        append(p.doc(), "notes.md", &format!("line {i}\n"));
    }
    let expected = file_text(p.doc(), "notes.md");
    // Make sure the server has everything before leaving.
    let q = peer(&server, "idle").await;
    eventually("second peer has it", || {
        file_text(q.doc(), "notes.md") == expected
    })
    .await;
    p.close().await;
    q.close().await;
    metric_reaches(&server, "tandem_rooms_loaded", 0).await;
    // Loaded again from storage on the next join.
    let fresh = peer(&server, "idle").await;
    assert_eq!(file_text(fresh.doc(), "notes.md"), expected);
}

async fn table_dump(db: &std::path::Path) -> Vec<(i64, String, Vec<u8>)> {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let rows: Vec<(i64, String, Vec<u8>)> =
        sqlx::query_as("SELECT seq, room, data FROM updates ORDER BY seq")
            .fetch_all(&pool)
            .await
            .unwrap();
    let snaps: Vec<(i64, String, Vec<u8>)> =
        sqlx::query_as("SELECT upto_seq, room, data FROM snapshots ORDER BY room, upto_seq")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows.into_iter().chain(snaps).collect()
}

#[tokio::test]
async fn a_room_that_fails_to_load_refuses_with_1013_and_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let p = peer(&server, "broken").await;
    append(p.doc(), "a.txt", "precious");
    let ok = peer(&server, "fine").await;
    append(ok.doc(), "b.txt", "other room");
    let check = peer(&server, "broken").await;
    eventually("stored", || file_text(check.doc(), "a.txt") == "precious").await;
    p.abort();
    check.abort();
    ok.abort();
    assert_eq!(server.terminate(), Some(0));

    // Corrupt the room's log behind the server's back.
    let db = dir.path().join("tandem.db");
    {
        let url = format!("sqlite://{}", db.display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query(
            "INSERT INTO updates (room, data, created_at) VALUES ('broken', x'ffffffff0102', 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let before = table_dump(&db).await;

    server.restart();
    for _ in 0..3 {
        let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url("broken"))
            .await
            .unwrap();
        let code = within(read_until_close(&mut ws)).await;
        assert_eq!(code, Ok(protocol::close::TRY_AGAIN_LATER));
    }
    // The HTTP API says so too, and other rooms are unaffected.
    let res = server
        .api()
        .get(server.http("/api/rooms/broken/files"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let other = peer(&server, "fine").await;
    assert_eq!(file_text(other.doc(), "b.txt"), "other room");
    other.close().await;
    assert_eq!(server.terminate(), Some(0));
    assert_eq!(table_dump(&db).await, before, "stored state was modified");
}

#[tokio::test]
async fn the_log_is_compacted_into_a_snapshot_past_its_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        &["--compact-after-updates", "25", "--keep-snapshots", "2"],
    );
    let p = peer(&server, "compact").await;
    let watcher = peer(&server, "compact").await;
    for i in 0..100 {
        append(p.doc(), "log.txt", &format!("{i};"));
        // One update per message, so the log really grows one entry at a time.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let expected = file_text(p.doc(), "log.txt");
    eventually("watcher caught up", || {
        file_text(watcher.doc(), "log.txt") == expected
    })
    .await;
    // Checked while the server runs (WAL lets us read), so the threshold — not the compaction
    // a shutdown does — is what keeps the log short. Wait out one group commit first.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let db = dir.path().join("tandem.db");
    let url = format!("sqlite://{}?mode=ro", db.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i64,)>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .0
        }
    };
    let log_entries = count("SELECT COUNT(*) FROM updates WHERE room = 'compact'").await;
    let snapshots = count("SELECT COUNT(*) FROM snapshots WHERE room = 'compact'").await;
    pool.close().await;
    assert!(
        log_entries < 25,
        "log not compacted: {log_entries} entries left"
    );
    assert!((1..=2).contains(&snapshots), "{snapshots} snapshots kept");
    p.abort();
    watcher.abort();
    assert_eq!(server.terminate(), Some(0));

    server.restart();
    let fresh = peer(&server, "compact").await;
    assert_eq!(file_text(fresh.doc(), "log.txt"), expected);
}
