//! The audit log: every action leaves a row naming who did it (the token's `sub`; `cli` for
//! `tandem token`) and what it was done to, oldest first, filterable by room and time.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::*;
use crate::perms::id_string;

const ROOM: &str = "audited";
const OTHER: &str = "elsewhere";

/// (action, actor, target, room) of a row.
type Row = (String, String, String, String);

fn row(e: &Value) -> Row {
    let s = |k: &str| match &e[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    (s("action"), s("actor"), s("target"), s("room"))
}

fn rows(entries: &Value) -> Vec<Row> {
    entries["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(row)
        .collect()
}

/// Whether `want` occurs in `got` in this order (other rows may come between).
fn in_order(got: &[Row], want: &[Row]) -> bool {
    let mut it = got.iter();
    want.iter().all(|w| it.any(|g| g == w))
}

fn r(action: &str, actor: &str, target: &str, room: &str) -> Row {
    (action.into(), actor.into(), target.into(), room.into())
}

#[tokio::test]
async fn every_action_is_recorded_with_its_actor_and_target_and_can_be_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let root = bearer_client(&server.token_as("*", "admin", "root"));
    let api = |path: &str| server.http(path);
    let room = |path: &str| server.http(&format!("/api/rooms/{ROOM}{path}"));

    expect_status(
        root.post(api("/api/rooms"))
            .json(&json!({"name": ROOM, "files": {"a.txt": "1\n"}})),
        201,
    )
    .await;
    let minted = expect_status(
        root.post(room("/tokens"))
            .json(&json!({"perm": "write", "sub": "bob", "name": "Bob"})),
        201,
    )
    .await;
    let bob_token = minted["token"].as_str().unwrap();
    let bob_jti = minted["jti"].as_str().unwrap();
    let bob = bearer_client(bob_token);
    let dir_arg = dir.path().to_str().unwrap();
    let cli = run_tandem(&[
        "token",
        "--room",
        ROOM,
        "--perm",
        "read",
        "--ttl",
        "1h",
        "--name",
        "carol",
        "--data-dir",
        dir_arg,
        "--secret",
        server.secret(),
    ])
    .await;
    let cli_jti = peek_claims(&cli[0])["jti"].as_str().unwrap().to_owned();

    // Timestamps are in milliseconds: keep the rows before and after `mid` apart.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mid = now_ms();
    tokio::time::sleep(Duration::from_millis(20)).await;

    expect_status(bob.put(room("/files/b.txt")).body("2\n"), 201).await;
    expect_status(bob.delete(room("/files/b.txt")), 204).await;
    let version = expect_status(
        bob.post(room("/versions")).json(&json!({"label": "v1"})),
        201,
    )
    .await;
    let v = id_string(&version["id"]);
    expect_status(bob.post(room(&format!("/versions/{v}/restore"))), 200).await;
    expect_status(root.delete(api(&format!("/api/tokens/{cli_jti}"))), 204).await;
    expect_status(
        root.post(api("/api/rooms")).json(&json!({"name": OTHER})),
        201,
    )
    .await;
    let dave = bearer_client(&server.token_as(OTHER, "write", "dave"));
    expect_status(
        dave.put(api(&format!("/api/rooms/{OTHER}/files/c.txt")))
            .body("3\n"),
        201,
    )
    .await;
    expect_status(root.delete(api(&format!("/api/rooms/{ROOM}"))), 204).await;

    let before_mid = [
        r("room.created", "root", ROOM, ROOM),
        r("token.minted", "root", bob_jti, ROOM),
        r("token.minted", "cli", &cli_jti, ROOM),
    ];
    let after_mid_here = [
        r("file.written", "bob", "b.txt", ROOM),
        r("file.deleted", "bob", "b.txt", ROOM),
        r("version.created", "bob", &v, ROOM),
        r("version.restored", "bob", &v, ROOM),
        r("token.revoked", "root", &cli_jti, ROOM),
    ];
    let elsewhere = [
        r("room.created", "root", OTHER, OTHER),
        r("file.written", "dave", "c.txt", OTHER),
    ];
    let deleted = r("room.deleted", "root", ROOM, ROOM);
    let all: Vec<Row> = [
        &before_mid[..],
        &after_mid_here,
        &elsewhere,
        std::slice::from_ref(&deleted),
    ]
    .concat();

    let log = get_json(&root, &api("/api/audit")).await;
    let got = rows(&log);
    assert!(in_order(&got, &all), "audit log: {got:#?}");
    let at = |e: &Value| parse_rfc3339(e["at"].as_str().expect("at"));
    let entries = log["entries"].as_array().unwrap();
    assert!(
        entries.windows(2).all(|w| at(&w[0]) <= at(&w[1])),
        "oldest first"
    );
    assert!(
        entries
            .iter()
            .all(|e| !e["id"].is_null() && e.get("detail").is_some()),
        "{log}"
    );

    // ?room= keeps that room's rows only.
    let here = rows(&get_json(&root, &api(&format!("/api/audit?room={ROOM}"))).await);
    let here_all: Vec<Row> = [
        &before_mid[..],
        &after_mid_here,
        std::slice::from_ref(&deleted),
    ]
    .concat();
    assert!(in_order(&here, &here_all), "{here:#?}");
    assert!(here.iter().all(|(.., room)| room == ROOM), "{here:#?}");

    // since/until split the log at `mid`.
    let mid = rfc3339(mid);
    let since = get_json(&root, &api(&format!("/api/audit?since={mid}"))).await;
    let until = get_json(&root, &api(&format!("/api/audit?until={mid}"))).await;
    assert!(
        since["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| at(e) >= parse_rfc3339(&mid))
    );
    assert!(
        until["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| at(e) <= parse_rfc3339(&mid))
    );
    let (since, until) = (rows(&since), rows(&until));
    assert!(in_order(&until, &before_mid), "until: {until:#?}");
    assert!(in_order(&since, &after_mid_here), "since: {since:#?}");
    assert!(
        before_mid.iter().all(|r| !since.contains(r)),
        "since: {since:#?}"
    );
    assert!(
        after_mid_here.iter().all(|r| !until.contains(r)),
        "until: {until:#?}"
    );
    let both = rows(&get_json(&root, &api(&format!("/api/audit?room={OTHER}&since={mid}"))).await);
    assert!(in_order(&both, &elsewhere), "{both:#?}");
    assert!(both.iter().all(|(.., room)| room == OTHER), "{both:#?}");

    let limited = get_json(&root, &api("/api/audit?limit=2")).await;
    assert_eq!(limited["entries"].as_array().unwrap().len(), 2);
}
