//! Named versions: labelled snapshots of the files that can be listed, read and restored while
//! people are connected — as ordinary edits, so nobody reconnects and text the restore does not
//! change keeps its identity (cursors in it stay put).

use serde_json::{Value, json};
use yrs::{Assoc, Doc, GetString, IndexedSequence, StickyIndex, Text, Transact};

use crate::harness::*;
use crate::perms::id_string;

const ROOM: &str = "versions";
const MAIN_V1: &str = "def greet():\n    return 'hi'\n\n# the end\n";
const NOTES_V1: &str = "remember the milk\n";
/// Two cursors in `main.py`, each after this much of `MAIN_V1`: neither region changes later.
const CURSORS: [&str; 2] = ["def gr", "def greet():\n    return 'hi'\n\n# th"];

/// Replaces the first `find` in `files[path]` with `with`, in one transaction.
fn replace(doc: &Doc, path: &str, find: &str, with: &str) {
    let files = protocol::schema::files(doc);
    let mut txn = doc.transact_mut();
    let text = protocol::schema::file_text(&txn, &files, path).expect("file");
    let at = text.get_string(&txn).find(find).expect("text to replace") as u32;
    text.remove_range(&mut txn, at, find.len() as u32);
    text.insert(&mut txn, at, with);
}

/// A cursor (a Yjs relative position) in `files[path]` after the text `before`.
fn cursor(doc: &Doc, path: &str, before: &str) -> StickyIndex {
    let files = protocol::schema::files(doc);
    let txn = doc.transact();
    let text = protocol::schema::file_text(&txn, &files, path).expect("file");
    text.sticky_index(&txn, before.len() as u32, Assoc::After)
        .expect("index in range")
}

fn offset(doc: &Doc, c: &StickyIndex) -> u32 {
    c.get_offset(&doc.transact())
        .expect("cursor resolves")
        .index
}

/// Whether a restore summary field names exactly `paths`: the contract leaves open whether it is
/// a list of paths (or of `{path}` objects) or a count, so each reading is accepted.
fn names_files(v: &Value, paths: &[&str]) -> bool {
    match v {
        Value::Number(n) => n.as_u64() == Some(paths.len() as u64),
        Value::Array(items) => {
            let mut got: Vec<&str> = items
                .iter()
                .filter_map(|i| i.as_str().or_else(|| i["path"].as_str()))
                .collect();
            got.sort();
            got.len() == items.len() && got == paths
        }
        _ => false,
    }
}

#[tokio::test]
async fn restoring_a_version_reaches_connected_clients_as_edits_that_keep_cursors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let api = server.api();
    let alice = bearer_client(&server.token_as(ROOM, "write", "alice"));
    let url = |path: &str| server.http(&format!("/api/rooms/{ROOM}{path}"));

    let a = peer(&server, ROOM).await;
    let b = peer(&server, ROOM).await;
    append(a.doc(), "main.py", MAIN_V1);
    append(a.doc(), "notes.md", NOTES_V1);
    let v1_files: std::collections::BTreeMap<String, String> =
        [("main.py", MAIN_V1), ("notes.md", NOTES_V1)]
            .map(|(p, t)| (p.to_owned(), t.to_owned()))
            .into();
    eventually("b has the first draft", || files_of(b.doc()) == v1_files).await;
    eventually_async("the server has the first draft", || {
        let (api, url) = (api.clone(), url("/files/notes.md"));
        async move { call(api.get(&url)).await == (200, json!(NOTES_V1)) }
    })
    .await;

    let before = now_ms();
    let v1 = expect_status(
        alice
            .post(url("/versions"))
            .json(&json!({"label": "before refactor"})),
        201,
    )
    .await;
    assert_eq!(v1["label"], "before refactor");
    assert_eq!(v1["author"], "alice");
    assert!(v1["size"].as_u64().is_some_and(|s| s > 0), "{v1}");
    let created_at = parse_rfc3339(v1["created_at"].as_str().unwrap());
    assert!(
        (before - 1000..=now_ms() + 1000).contains(&created_at),
        "{v1}"
    );
    let v1_id = id_string(&v1["id"]);

    let cursors: Vec<[StickyIndex; 2]> = [&a, &b]
        .iter()
        .map(|p| CURSORS.map(|at| cursor(p.doc(), "main.py", at)))
        .collect();

    // After the version: a change, a deletion and a new file.
    replace(a.doc(), "main.py", "'hi'", "'hello'");
    expect_status(alice.delete(url("/files/notes.md")), 204).await;
    append(b.doc(), "new.txt", "draft\n");
    let v2_files: std::collections::BTreeMap<String, String> = [
        ("main.py", MAIN_V1.replace("'hi'", "'hello'")),
        ("new.txt", "draft\n".into()),
    ]
    .map(|(p, t)| (p.to_owned(), t))
    .into();
    for p in [&a, &b] {
        eventually("both clients have the second draft", || {
            files_of(p.doc()) == v2_files
        })
        .await;
    }
    eventually_async("the server has the second draft", || {
        let (api, url) = (api.clone(), url("/files/new.txt"));
        async move { call(api.get(&url)).await == (200, json!("draft\n")) }
    })
    .await;
    let v2 = expect_status(
        alice
            .post(url("/versions"))
            .json(&json!({"label": "after refactor"})),
        201,
    )
    .await;

    // Listed newest first, as they were created.
    let listed = get_json(&api, &url("/versions")).await;
    assert_eq!(listed["versions"], json!([v2, v1]));

    // Each version's files can be read.
    let listed = get_json(&api, &url(&format!("/versions/{v1_id}/files"))).await;
    let mut files = listed["files"].as_array().unwrap().clone();
    files.sort_by_key(|f| f["path"].as_str().unwrap().to_owned());
    assert_eq!(
        files,
        [
            json!({"path": "main.py", "size": MAIN_V1.len()}),
            json!({"path": "notes.md", "size": NOTES_V1.len()}),
        ]
    );
    for (path, text) in &v1_files {
        let got = get_text(&api, &url(&format!("/versions/{v1_id}/files/{path}"))).await;
        assert_eq!(&got, text, "{path} in v1");
    }
    let v2_new = url(&format!("/versions/{}/files/new.txt", id_string(&v2["id"])));
    assert_eq!(get_text(&api, &v2_new).await, "draft\n");
    let v1_new = url(&format!("/versions/{v1_id}/files/new.txt"));
    assert_eq!(call(api.get(&v1_new)).await.0, 404);

    // Restore v1 while both clients are connected.
    let summary = expect_status(alice.post(url(&format!("/versions/{v1_id}/restore"))), 200).await;
    assert!(!summary["restored"].is_null(), "{summary}");
    assert!(
        names_files(&summary["created"], &["notes.md"]),
        "created: {summary}"
    );
    assert!(
        names_files(&summary["changed"], &["main.py"]),
        "changed: {summary}"
    );
    assert!(
        names_files(&summary["deleted"], &["new.txt"]),
        "deleted: {summary}"
    );
    for p in [&a, &b] {
        eventually("the client is back at v1", || files_of(p.doc()) == v1_files).await;
    }
    let listed = get_json(&api, &url("/files")).await;
    let paths: Vec<&str> = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 2, "{listed}");
    assert!(
        paths.contains(&"main.py") && paths.contains(&"notes.md"),
        "{listed}"
    );

    // Nobody reconnected, and the cursors in untouched text did not move.
    for (p, cs) in [&a, &b].iter().zip(&cursors) {
        let s = p.status();
        assert_eq!((s.connected, s.connections, s.last_close), (true, 1, None));
        let got: Vec<u32> = cs.iter().map(|c| offset(p.doc(), c)).collect();
        let want: Vec<u32> = CURSORS.iter().map(|at| at.len() as u32).collect();
        assert_eq!(got, want);
    }
    assert_eq!(metric(&server, "tandem_connections_open").await, 2);
}
