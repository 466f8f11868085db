//! Conformance checks of point-in-time history: which snapshots compaction keeps, what `history`
//! lists, and what `load_at` rebuilds from them and the log.

use std::time::Duration;

use super::{app, blobs, keep, tick};
use crate::store::{HistoryPoint, Retention, Store, StoredRoom, now_ms};

const HOUR: Duration = Duration::from_secs(3600);

async fn append_one(store: &dyn Store, room: &str, data: &[u8]) -> i64 {
    store.append(&[app(room, data)]).await.expect("append")[0].1
}

async fn history(store: &dyn Store, room: &str) -> Vec<HistoryPoint> {
    store.history(room).await.expect("history")
}

fn uptos(points: &[HistoryPoint]) -> Vec<i64> {
    points.iter().map(|p| p.upto_seq).collect()
}

pub(crate) async fn snapshot_retention_keep(store: &dyn Store) {
    let r = "retention";
    assert!(history(store, r).await.is_empty());
    let mut seqs = Vec::new();
    for i in 0..5u8 {
        let seq = append_one(store, r, &[i]).await;
        seqs.insert(0, seq);
        store
            .compact(r, &[b'S', i], seq, &keep(2))
            .await
            .expect("compact");
        let loaded = store.load(r).await.expect("load");
        assert_eq!(loaded.snapshot, Some(vec![b'S', i]), "newest snapshot wins");
        assert!(loaded.updates.is_empty());
        assert_eq!(loaded.last_seq, seq);
        let points = history(store, r).await;
        assert_eq!(uptos(&points), seqs[..seqs.len().min(2)], "newest first");
        assert!(points.iter().all(|p| p.size == 2), "{points:?}");
    }
    // keep = 0 must not delete the snapshot just written.
    let seq = append_one(store, r, b"z").await;
    store
        .compact(r, b"last", seq, &keep(0))
        .await
        .expect("compact");
    let loaded = store.load(r).await.expect("load");
    assert_eq!(loaded.snapshot.as_deref(), Some(&b"last"[..]));
    assert_eq!(uptos(&history(store, r).await), vec![seq]);

    store.delete_room(r).await.expect("delete");
    assert!(history(store, r).await.is_empty());
}

pub(crate) async fn snapshot_retention_age(store: &dyn Store) {
    let r = "retention-age";
    let young = Retention {
        keep: 1,
        max_age: Duration::from_millis(30),
        spacing: Duration::ZERO,
    };
    let a = append_one(store, r, b"a").await;
    store.compact(r, b"A", a, &young).await.expect("compact");
    tokio::time::sleep(Duration::from_millis(60)).await;
    let b = append_one(store, r, b"b").await;
    store.compact(r, b"B", b, &young).await.expect("compact");
    assert_eq!(uptos(&history(store, r).await), vec![b], "A is too old");

    // The newest `keep` are kept however old; older ones past max_age are not.
    let none = Retention {
        keep: 2,
        max_age: Duration::ZERO,
        spacing: Duration::ZERO,
    };
    tick().await;
    let c = append_one(store, r, b"c").await;
    store.compact(r, b"C", c, &none).await.expect("compact");
    assert_eq!(uptos(&history(store, r).await), vec![c, b]);
    tick().await;
    let d = append_one(store, r, b"d").await;
    store.compact(r, b"D", d, &none).await.expect("compact");
    assert_eq!(uptos(&history(store, r).await), vec![d, c]);

    store.delete_room(r).await.expect("delete");
}

pub(crate) async fn snapshot_retention_spacing(store: &dyn Store) {
    let r = "retention-spacing";
    let every = Retention {
        keep: 1,
        max_age: HOUR,
        spacing: Duration::ZERO,
    };
    let mut seqs = Vec::new();
    for i in 0..3u8 {
        let seq = append_one(store, r, &[i]).await;
        store.compact(r, &[i], seq, &every).await.expect("compact");
        seqs.insert(0, seq);
    }
    assert_eq!(uptos(&history(store, r).await), seqs, "spacing 0 keeps all");
    let sparse = Retention {
        keep: 1,
        max_age: HOUR,
        spacing: HOUR,
    };
    let seq = append_one(store, r, b"x").await;
    store.compact(r, b"x", seq, &sparse).await.expect("compact");
    assert_eq!(
        uptos(&history(store, r).await),
        vec![seq],
        "all within an hour"
    );
    store.delete_room(r).await.expect("delete");

    // A, then B at least 60ms later, then C right after B: with 50ms spacing A always survives,
    // and B survives exactly when C happened to come 50ms or more after it.
    let policy = Retention {
        keep: 1,
        max_age: HOUR,
        spacing: Duration::from_millis(50),
    };
    let a = append_one(store, r, b"a").await;
    store.compact(r, b"A", a, &policy).await.expect("compact");
    tokio::time::sleep(Duration::from_millis(60)).await;
    let b = append_one(store, r, b"b").await;
    store.compact(r, b"B", b, &policy).await.expect("compact");
    let after_b = history(store, r).await;
    assert_eq!(uptos(&after_b), vec![b, a]);
    let c = append_one(store, r, b"c").await;
    store.compact(r, b"C", c, &policy).await.expect("compact");
    let after_c = history(store, r).await;
    let c_at = after_c[0].created_at_ms;
    if c_at - after_b[0].created_at_ms >= 50 {
        assert_eq!(uptos(&after_c), vec![c, b, a]);
    } else {
        assert_eq!(uptos(&after_c), vec![c, a]);
    }
    store.delete_room(r).await.expect("delete");
}

pub(crate) async fn recompact_keeps_first_time(store: &dyn Store) {
    let r = "recompact";
    let seq = append_one(store, r, b"u").await;
    store
        .compact(r, b"S1", seq, &keep(1))
        .await
        .expect("compact");
    let first = history(store, r).await;
    tick().await;
    store
        .compact(r, b"S-two", seq, &keep(1))
        .await
        .expect("compact");
    let second = history(store, r).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].upto_seq, seq);
    assert_eq!(second[0].created_at_ms, first[0].created_at_ms);
    assert_eq!(second[0].size, 5);
    let loaded = store.load(r).await.expect("load");
    assert_eq!(loaded.snapshot.as_deref(), Some(&b"S-two"[..]));
    store.delete_room(r).await.expect("delete");
}

pub(crate) async fn load_at_unknown_room(store: &dyn Store) {
    let r = "at-unknown";
    assert_eq!(store.load_at(r, now_ms()).await.expect("load_at"), None);
    assert_eq!(store.load_at(r, i64::MAX).await.expect("load_at"), None);
    append_one(store, r, b"x").await;
    store.delete_room(r).await.expect("delete");
    assert_eq!(store.load_at(r, i64::MAX).await.expect("load_at"), None);
}

pub(crate) async fn load_at_log_only(store: &dyn Store) {
    let r = "at-log";
    let before = now_ms();
    tick().await;
    let s1 = append_one(store, r, b"u1").await;
    tick().await;
    let after_u1 = now_ms();
    tick().await;
    append_one(store, r, b"u2").await;
    let s3 = append_one(store, r, b"u3").await;
    append_one(store, "at-log-other", b"o").await;

    let empty = store.load_at(r, before).await.expect("load_at");
    assert_eq!(
        empty,
        Some(StoredRoom::default()),
        "the room was empty then"
    );
    let early = store.load_at(r, after_u1).await.expect("load_at");
    let want = StoredRoom {
        snapshot: None,
        updates: blobs(&[b"u1"]),
        last_seq: s1,
        log_bytes: 2,
    };
    assert_eq!(early, Some(want));
    let now = store.load_at(r, i64::MAX).await.expect("load_at");
    assert_eq!(now.as_ref().map(|n| n.last_seq), Some(s3));
    assert_eq!(now, Some(store.load(r).await.expect("load")));

    store.delete_room(r).await.expect("delete");
    store.delete_room("at-log-other").await.expect("delete");
}

pub(crate) async fn load_at_with_snapshots(store: &dyn Store) {
    let r = "at-snap";
    let all = Retention {
        keep: 10,
        ..Retention::default()
    };
    let s1 = append_one(store, r, b"u1").await;
    // Appended before the compaction but not covered by it, as when an update is in flight.
    let s2 = append_one(store, r, b"u2").await;
    tick().await;
    store.compact(r, b"S1", s1, &all).await.expect("compact");
    let c1 = history(store, r).await[0].created_at_ms;

    let at_c1 = store.load_at(r, c1).await.expect("load_at").expect("some");
    assert_eq!(at_c1.snapshot.as_deref(), Some(&b"S1"[..]));
    assert_eq!(at_c1.updates, blobs(&[b"u2"]));
    assert_eq!((at_c1.last_seq, at_c1.log_bytes), (s2, 2));
    assert_eq!(store.load_at(r, c1 - 1).await.expect("load_at"), None);

    tick().await;
    let s3 = append_one(store, r, b"u3").await;
    tick().await;
    let after_u3 = now_ms();
    tick().await;
    let s4 = append_one(store, r, b"u4").await;
    let at_u3 = store.load_at(r, after_u3).await.expect("load_at");
    let want = StoredRoom {
        snapshot: Some(b"S1".to_vec()),
        updates: blobs(&[b"u2", b"u3"]),
        last_seq: s3,
        log_bytes: 4,
    };
    assert_eq!(at_u3, Some(want));

    // u5 is in flight again: appended before S-2 but not covered by it.
    tick().await;
    let s5 = append_one(store, r, b"u5").await;
    tick().await;
    let after_u5 = now_ms();
    tick().await;
    store.compact(r, b"S-2", s4, &all).await.expect("compact");
    let points = history(store, r).await;
    assert_eq!(uptos(&points), vec![s4, s1]);
    assert_eq!((points[0].size, points[1].size), (3, 2));
    let c2 = points[0].created_at_ms;
    assert!(c2 > c1);
    tick().await;
    let s6 = append_one(store, r, b"u6").await;

    // A snapshot with a newer one after it stands alone: the log between them is gone, and the
    // entries left after the newer one (u5) cannot be applied without it.
    let s1_alone = StoredRoom {
        snapshot: Some(b"S1".to_vec()),
        updates: Vec::new(),
        last_seq: s1,
        log_bytes: 0,
    };
    assert_eq!(
        store.load_at(r, c1).await.expect("load_at"),
        Some(s1_alone.clone())
    );
    assert_eq!(
        store.load_at(r, after_u3).await.expect("load_at"),
        Some(s1_alone.clone())
    );
    assert_eq!(
        store.load_at(r, after_u5).await.expect("load_at"),
        Some(s1_alone)
    );
    let at_c2 = StoredRoom {
        snapshot: Some(b"S-2".to_vec()),
        updates: blobs(&[b"u5"]),
        last_seq: s5,
        log_bytes: 2,
    };
    assert_eq!(store.load_at(r, c2).await.expect("load_at"), Some(at_c2));
    let latest = store
        .load_at(r, i64::MAX)
        .await
        .expect("load_at")
        .expect("some");
    assert_eq!(latest.updates, blobs(&[b"u5", b"u6"]));
    assert_eq!(latest.last_seq, s6);
    assert_eq!(latest, store.load(r).await.expect("load"));
    assert_eq!(store.load_at(r, c1 - 1).await.expect("load_at"), None);

    store.delete_room(r).await.expect("delete");
    assert_eq!(store.load_at(r, i64::MAX).await.expect("load_at"), None);
}
