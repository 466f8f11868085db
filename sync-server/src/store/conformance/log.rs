//! Conformance checks of the room log: appends, loads, compaction, deletion, listing.

use std::collections::HashMap;
use std::sync::Arc;

use super::{app, blobs, keep};
use crate::store::{Store, StoreError};

pub(crate) async fn empty_load(store: &dyn Store) {
    let room = store.load("never-written").await.expect("load");
    assert!(room.snapshot.is_none());
    assert!(room.updates.is_empty());
    assert_eq!(room.last_seq, 0);
    assert_eq!(room.log_bytes, 0);
    assert!(store.list_rooms().await.expect("list").is_empty());
}

pub(crate) async fn append_and_load_order(store: &dyn Store) {
    let first = store
        .append(&[
            app("order-a", b"a1"),
            app("order-b", b"b1"),
            app("order-a", b"a2"),
        ])
        .await
        .expect("append");
    assert_eq!(first.len(), 2, "one entry per room: {first:?}");
    assert_eq!(&*first[0].0, "order-a");
    assert_eq!(&*first[1].0, "order-b");
    // a2 was appended after b1 in the same batch.
    assert!(first[0].1 > first[1].1, "{first:?}");
    assert!(first[1].1 > 0);

    let second = store
        .append(&[app("order-b", b"b2"), app("order-a", b"a3")])
        .await
        .expect("append");
    assert_eq!(&*second[0].0, "order-b");
    assert_eq!(&*second[1].0, "order-a");
    assert!(second[0].1 > first[0].1, "seqs increase across batches");
    assert!(second[1].1 > second[0].1);

    let a = store.load("order-a").await.expect("load a");
    assert!(a.snapshot.is_none());
    assert_eq!(a.updates, blobs(&[b"a1", b"a2", b"a3"]));
    assert_eq!(a.last_seq, second[1].1);
    assert_eq!(a.log_bytes, 6);

    let b = store.load("order-b").await.expect("load b");
    assert_eq!(b.updates, blobs(&[b"b1", b"b2"]));
    assert_eq!(b.last_seq, second[0].1);
    assert_eq!(b.log_bytes, 4);

    store.delete_room("order-a").await.expect("delete");
    store.delete_room("order-b").await.expect("delete");
}

pub(crate) async fn empty_append_is_noop(store: &dyn Store) {
    assert!(store.append(&[]).await.expect("append").is_empty());
    assert!(store.list_rooms().await.expect("list").is_empty());
}

pub(crate) async fn compact_then_load(store: &dyn Store) {
    let r = "compact";
    let seqs = store
        .append(&[app(r, b"u1"), app(r, b"u2")])
        .await
        .expect("append");
    let upto = seqs[0].1;
    store.append(&[app(r, b"u3")]).await.expect("append");
    // Another room's entries must survive this room's compaction.
    store
        .append(&[app("compact-other", b"x")])
        .await
        .expect("append");

    // Simulates the server snapshotting while u3 was in flight: u3 is not covered.
    store
        .compact(r, b"SNAP-1", upto, &keep(3))
        .await
        .expect("compact");
    let loaded = store.load(r).await.expect("load");
    assert_eq!(loaded.snapshot.as_deref(), Some(&b"SNAP-1"[..]));
    assert_eq!(loaded.updates, blobs(&[b"u3"]));
    assert_eq!(loaded.log_bytes, 2);
    assert!(loaded.last_seq > upto);

    let later = store.append(&[app(r, b"u4")]).await.expect("append");
    let loaded = store.load(r).await.expect("load");
    assert_eq!(loaded.updates, blobs(&[b"u3", b"u4"]));
    assert_eq!(loaded.last_seq, later[0].1);

    // Covering everything leaves a snapshot alone, and last_seq is the snapshot's upto.
    store
        .compact(r, b"SNAP-2", later[0].1, &keep(3))
        .await
        .expect("compact");
    let loaded = store.load(r).await.expect("load");
    assert_eq!(loaded.snapshot.as_deref(), Some(&b"SNAP-2"[..]));
    assert!(loaded.updates.is_empty());
    assert_eq!(loaded.log_bytes, 0);
    assert_eq!(loaded.last_seq, later[0].1);

    let other = store.load("compact-other").await.expect("load");
    assert_eq!(other.updates, blobs(&[b"x"]));

    store.delete_room(r).await.expect("delete");
    store.delete_room("compact-other").await.expect("delete");
}

pub(crate) async fn compact_rejects_bad_upto(store: &dyn Store) {
    let r = "bad-upto";
    let seq = store.append(&[app(r, b"u1")]).await.expect("append")[0].1;
    for upto in [-1, seq + 1000] {
        let err = store.compact(r, b"S", upto, &keep(1)).await;
        assert!(
            matches!(err, Err(StoreError::InvalidArgument(_))),
            "upto {upto}: {err:?}"
        );
    }
    // A rejected compaction changes nothing.
    let loaded = store.load(r).await.expect("load");
    assert!(loaded.snapshot.is_none());
    assert_eq!(loaded.updates, blobs(&[b"u1"]));

    store.delete_room(r).await.expect("delete");
}

pub(crate) async fn delete_room(store: &dyn Store) {
    let seq = store
        .append(&[app("del", b"1"), app("del-keep", b"k")])
        .await
        .expect("append")[0]
        .1;
    store
        .compact("del", b"S", seq, &keep(1))
        .await
        .expect("compact");
    store.append(&[app("del", b"2")]).await.expect("append");

    store.delete_room("del").await.expect("delete");
    let gone = store.load("del").await.expect("load");
    assert!(gone.snapshot.is_none());
    assert!(gone.updates.is_empty());
    assert_eq!(gone.last_seq, 0);
    assert_eq!(store.list_rooms().await.expect("list"), vec!["del-keep"]);
    // Deleting an unknown room is not an error.
    store.delete_room("del").await.expect("delete again");

    // A re-created room starts fresh and its seqs are still above everything assigned before.
    let again = store.append(&[app("del", b"3")]).await.expect("append");
    assert!(again[0].1 > seq);
    let loaded = store.load("del").await.expect("load");
    assert!(loaded.snapshot.is_none());
    assert_eq!(loaded.updates, blobs(&[b"3"]));

    store.delete_room("del").await.expect("delete");
    store.delete_room("del-keep").await.expect("delete");
}

pub(crate) async fn list_rooms(store: &dyn Store) {
    store
        .append(&[
            app("b", b"1"),
            app("a", b"1"),
            app("b", b"2"),
            app("B", b"1"),
        ])
        .await
        .expect("append");
    // A room whose log was fully compacted still exists through its snapshot.
    let seq = store
        .append(&[app("snap-only", b"1")])
        .await
        .expect("append")[0]
        .1;
    store
        .compact("snap-only", b"S", seq, &keep(1))
        .await
        .expect("compact");

    assert_eq!(
        store.list_rooms().await.expect("list"),
        vec!["B", "a", "b", "snap-only"]
    );

    for room in ["a", "b", "B", "snap-only"] {
        store.delete_room(room).await.expect("delete");
    }
    assert!(store.list_rooms().await.expect("list").is_empty());
}

pub(crate) async fn binary_data_round_trips(store: &dyn Store) {
    let r = "binary/ü room";
    let all_bytes: Vec<u8> = (0..=255).collect();
    let big = vec![0xAB; 1 << 20];
    store
        .append(&[app(r, &all_bytes), app(r, &[]), app(r, &big)])
        .await
        .expect("append");
    let loaded = store.load(r).await.expect("load");
    assert_eq!(loaded.updates, vec![all_bytes, Vec::new(), big]);
    assert_eq!(loaded.log_bytes, 256 + (1 << 20));
    assert_eq!(store.list_rooms().await.expect("list"), vec![r]);
    store.delete_room(r).await.expect("delete");
}

pub(crate) async fn concurrent_appends(store: Arc<dyn Store>) {
    const TASKS: u8 = 8;
    const BATCHES: u8 = 40;
    let rooms = ["conc-0", "conc-1", "conc-2"];

    let mut handles = Vec::new();
    for task in 0..TASKS {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut last = 0;
            for i in 0..BATCHES {
                // Each batch touches one or two rooms so batches from different tasks interleave.
                let mut batch = vec![app(rooms[usize::from((task + i) % 3)], &[task, i, 0])];
                if i % 2 == 0 {
                    batch.push(app(rooms[usize::from(task % 3)], &[task, i, 1]));
                }
                let seqs = store.append(&batch).await.expect("append");
                let max = seqs.iter().map(|(_, s)| *s).max().expect("non-empty");
                assert!(max > last, "a task's seqs increase");
                last = max;
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }

    let mut total = 0;
    for room in rooms {
        let loaded = store.load(room).await.expect("load");
        total += loaded.updates.len();
        // Within a room, every task's entries appear in the order that task appended them.
        let mut last_seen: HashMap<u8, (u8, u8)> = HashMap::new();
        for u in &loaded.updates {
            let (task, i, part) = (u[0], u[1], u[2]);
            if let Some(prev) = last_seen.insert(task, (i, part)) {
                assert!(
                    prev < (i, part),
                    "room {room} task {task}: {prev:?} then {i},{part}"
                );
            }
        }
    }
    let expected = usize::from(TASKS) * usize::from(BATCHES) * 3 / 2;
    assert_eq!(total, expected, "every appended update landed");

    for room in rooms {
        store.delete_room(room).await.expect("delete");
    }
}
