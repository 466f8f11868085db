//! Conformance checks of what the store keeps besides the log: named versions, the audit log, and
//! token records and revocations.

use serde_json::json;

use super::app;
use crate::store::{AuditEntry, AuditFilter, Store, StoreError, TokenRecord, now_ms};

pub(crate) async fn versions_round_trip(store: &dyn Store) {
    let (a, b) = ("ver-a", "ver-b");
    assert!(store.list_versions(a).await.expect("list").is_empty());
    assert_eq!(store.load_version(a, 1).await.expect("load"), None);

    store.append(&[app(a, b"u")]).await.expect("append");
    let all_bytes: Vec<u8> = (0..=255).collect();
    let before = now_ms();
    let v1 = store
        .save_version(a, "first", "alice", b"state-1")
        .await
        .expect("save");
    let v2 = store.save_version(b, "", "bob", b"").await.expect("save");
    let v3 = store
        .save_version(a, "second ü", "bob", &all_bytes)
        .await
        .expect("save");
    let after = now_ms();

    assert!(
        v1.id < v2.id && v2.id < v3.id,
        "ids increase: {v1:?} {v2:?} {v3:?}"
    );
    assert_eq!(
        (v1.label.as_str(), v1.author.as_str(), v1.size),
        ("first", "alice", 7)
    );
    assert_eq!((v2.label.as_str(), v2.size), ("", 0));
    assert_eq!(
        (v3.label.as_str(), v3.author.as_str(), v3.size),
        ("second ü", "bob", 256)
    );
    for v in [&v1, &v2, &v3] {
        assert!((before..=after).contains(&v.created_at_ms), "{v:?}");
    }

    assert_eq!(
        store.list_versions(a).await.expect("list"),
        vec![v3.clone(), v1.clone()]
    );
    assert_eq!(
        store.list_versions(b).await.expect("list"),
        vec![v2.clone()]
    );
    let loaded = store.load_version(a, v1.id).await.expect("load");
    assert_eq!(loaded, Some((v1.clone(), b"state-1".to_vec())));
    let loaded = store.load_version(a, v3.id).await.expect("load");
    assert_eq!(loaded, Some((v3.clone(), all_bytes)));
    assert_eq!(
        store.load_version(b, v2.id).await.expect("load"),
        Some((v2.clone(), Vec::new()))
    );
    assert_eq!(
        store.load_version(a, v2.id).await.expect("load"),
        None,
        "another room's"
    );
    assert_eq!(
        store.load_version(a, v3.id + 1000).await.expect("load"),
        None
    );
    assert_eq!(
        store.list_rooms().await.expect("list"),
        vec![a],
        "versions alone are no room"
    );

    // Deleting a room takes its versions and nothing else.
    store.delete_room(a).await.expect("delete");
    assert!(store.list_versions(a).await.expect("list").is_empty());
    assert_eq!(store.load_version(a, v1.id).await.expect("load"), None);
    assert_eq!(
        store.list_versions(b).await.expect("list"),
        vec![v2.clone()]
    );
    store.delete_room(b).await.expect("delete");
    assert!(store.list_versions(b).await.expect("list").is_empty());
}

pub(crate) async fn audit_round_trip_and_filters(store: &dyn Store) {
    // Times far from any other check's, so the check only sees its own entries.
    const T: i64 = 4_000_000_000_000;
    let entry = |at: i64, room: Option<&str>, action: &str, detail| AuditEntry {
        at_ms: T + at,
        room: room.map(str::to_owned),
        actor: "alice".into(),
        action: action.into(),
        target: format!("target-{at}"),
        detail,
    };
    let entries = [
        entry(10, Some("aud-a"), "room.created", json!({})),
        entry(
            20,
            None,
            "token.minted",
            json!({"room": "team-*", "perm": "admin"}),
        ),
        entry(
            30,
            Some("aud-b"),
            "file.written",
            json!({"path": "a/ü.txt", "bytes": 12}),
        ),
        entry(30, Some("aud-a"), "file.deleted", json!(null)),
        entry(
            40,
            Some("aud-a"),
            "version.created",
            json!([1, "two", {"three": 3.5}]),
        ),
    ];
    let mut ids = Vec::new();
    for e in &entries {
        ids.push(store.audit(e).await.expect("audit"));
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let query = |room: Option<&str>, since: i64, until: i64, limit: usize| AuditFilter {
        room: room.map(str::to_owned),
        since_ms: Some(T + since),
        until_ms: Some(T + until),
        limit,
    };
    let cases: &[(AuditFilter, &[usize])] = &[
        (query(None, 0, 100, 100), &[0, 1, 2, 3, 4]),
        (query(Some("aud-a"), 0, 100, 100), &[0, 3, 4]),
        (query(Some("aud-a"), 30, 100, 100), &[3, 4]),
        (query(Some("aud-a"), 0, 30, 100), &[0, 3]),
        (query(Some("aud-a"), 30, 30, 100), &[3]),
        (query(None, 30, 30, 100), &[2, 3]),
        (query(None, 0, 100, 2), &[0, 1]),
        (query(None, 0, 100, 0), &[]),
        (query(Some("aud-nobody"), 0, 100, 100), &[]),
        (query(None, 41, 100, 100), &[]),
        (
            AuditFilter {
                room: Some("aud-b".into()),
                limit: 10,
                ..AuditFilter::default()
            },
            &[2],
        ),
    ];
    for (filter, want) in cases {
        let got = store.audit_query(filter).await.expect("query");
        let got: Vec<_> = got.into_iter().map(|r| (r.id, r.entry)).collect();
        let want: Vec<_> = want.iter().map(|&i| (ids[i], entries[i].clone())).collect();
        assert_eq!(got, want, "{filter:?}");
    }

    // Deleting a room keeps its audit trail.
    store.delete_room("aud-a").await.expect("delete");
    let kept = store
        .audit_query(&query(Some("aud-a"), 0, 100, 100))
        .await
        .expect("query");
    assert_eq!(kept.len(), 3);
}

fn token(jti: &str) -> TokenRecord {
    TokenRecord {
        jti: jti.into(),
        room: "tok-room".into(),
        perm: "write".into(),
        sub: "alice".into(),
        name: Some("Alice ü".into()),
        tenant: Some("acme".into()),
        exp_ms: 1_900_000_000_000,
        minted_by: "cli".into(),
        minted_at_ms: 1_800_000_000_000,
    }
}

pub(crate) async fn token_records(store: &dyn Store) {
    let full = token("tok-full");
    let bare = TokenRecord {
        name: None,
        tenant: None,
        room: "*".into(),
        ..token("tok-bare")
    };
    assert_eq!(store.token(&full.jti).await.expect("token"), None);
    store.record_token(&full).await.expect("record");
    store.record_token(&bare).await.expect("record");
    assert_eq!(
        store.token(&full.jti).await.expect("token"),
        Some(full.clone())
    );
    assert_eq!(
        store.token(&bare.jti).await.expect("token"),
        Some(bare.clone())
    );
    assert_eq!(store.token("tok-unknown").await.expect("token"), None);

    let clash = TokenRecord {
        perm: "admin".into(),
        ..full.clone()
    };
    let err = store.record_token(&clash).await;
    assert!(
        matches!(err, Err(StoreError::InvalidArgument(_))),
        "{err:?}"
    );
    assert_eq!(
        store.token(&full.jti).await.expect("token"),
        Some(full.clone())
    );

    // Token records outlive their room.
    store
        .append(&[app("tok-room", b"u")])
        .await
        .expect("append");
    store.delete_room("tok-room").await.expect("delete");
    assert_eq!(store.token(&full.jti).await.expect("token"), Some(full));
}

pub(crate) async fn token_revocations(store: &dyn Store) {
    let now = now_ms();
    let ours = |list: Vec<(String, i64)>| -> Vec<(String, i64)> {
        list.into_iter()
            .filter(|(j, _)| j.starts_with("rev-"))
            .collect()
    };
    let live = |at: i64| async move { ours(store.revoked_tokens(at).await.expect("revoked")) };
    assert!(live(now).await.is_empty());

    let revoke = |jti: &'static str, exp: i64| async move {
        store
            .revoke_token(jti, exp, "admin", now)
            .await
            .expect("revoke")
    };
    assert!(revoke("rev-minted", now + 1000).await);
    assert!(!revoke("rev-minted", now + 5000).await, "already revoked");
    // A jti the store never recorded (an external token) can be revoked too.
    assert!(revoke("rev-external", now + 500).await);
    assert!(revoke("rev-expired", now - 1).await);

    let both = vec![
        ("rev-external".to_owned(), now + 500),
        ("rev-minted".to_owned(), now + 1000),
    ];
    assert_eq!(
        live(now).await,
        both,
        "sorted by jti, expired ones left out"
    );
    assert_eq!(live(now + 500).await, both, "still live at its exp");
    assert_eq!(
        live(now + 501).await,
        vec![("rev-minted".to_owned(), now + 1000)]
    );
    assert!(live(now + 1001).await.is_empty());
}
