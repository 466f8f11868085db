//! The HTTP API against live rooms: file writes reach connected peers as edits, export matches.

use serde_json::{Value, json};
use yrs::{Assoc, IndexedSequence, Transact};

use crate::harness::*;

#[tokio::test]
async fn put_reaches_a_connected_peer_as_a_minimal_edit_and_export_matches() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let http = server.api();

    let created: Value = http
        .post(server.http("/api/rooms"))
        .json(&json!({"name": "api", "files": {"main.py": "print('hello')\n"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["room"], "api");
    assert!(
        created["links"]["websocket"]
            .as_str()
            .unwrap()
            .ends_with("/sync/api")
    );

    let p = peer(&server, "api").await;
    assert_eq!(file_text(p.doc(), "main.py"), "print('hello')\n");
    // The peer types at the end while the API rewrites the first line.
    append(p.doc(), "main.py", "# typed by a human\n");
    // Wait until the server has the typing, so the PUT below is a diff against it.
    let start = std::time::Instant::now();
    while get_text(&http, &server.http("/api/rooms/api/files/main.py")).await
        != file_text(p.doc(), "main.py")
    {
        assert!(start.elapsed() < PATIENCE, "server never got the typing");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // A cursor inside the typed line, as an editor would hold it (a Yjs relative position).
    let files = protocol::schema::files(p.doc());
    let cursor_at = "print('hello')\n# t".len() as u32;
    let cursor = {
        let txn = p.doc().transact();
        let text = protocol::schema::file_text(&txn, &files, "main.py").unwrap();
        text.sticky_index(&txn, cursor_at, Assoc::After).unwrap()
    };
    let res = http
        .put(server.http("/api/rooms/api/files/main.py"))
        .body("print('hello, world')\n# typed by a human\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    eventually("peer sees the PUT", || {
        file_text(p.doc(), "main.py") == "print('hello, world')\n# typed by a human\n"
    })
    .await;

    // The PUT was applied as a minimal diff: the cursor still sits in the same place of the line.
    let moved = cursor.get_offset(&p.doc().transact()).unwrap().index;
    assert_eq!(moved, "print('hello, world')\n# t".len() as u32);

    let listed = get_json(&http, &server.http("/api/rooms/api/files")).await;
    assert_eq!(listed["files"][0]["path"], "main.py");

    let export = get_json(&http, &server.http("/api/rooms/api/export")).await;
    assert_eq!(export, protocol::schema::export_json(p.doc()));

    let body = get_text(&http, &server.http("/api/rooms/api/files/main.py")).await;
    assert_eq!(body, file_text(p.doc(), "main.py"));

    assert_eq!(
        http.delete(server.http("/api/rooms/api/files/main.py"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    eventually("peer sees the delete", || {
        protocol::schema::list_files(p.doc()).is_empty()
    })
    .await;
}

#[tokio::test]
async fn errors_are_json_with_status_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let http = server.api();
    let cases = [
        ("/api/rooms/bad%20name/files", 400, "bad_room_name"),
        ("/api/rooms/ok/files/missing.txt", 404, "not_found"),
        ("/api/rooms/ok/files/a//b", 400, "bad_path"),
        ("/sync/ok", 426, "websocket_required"),
        ("/sync/no%2Fslash", 400, "bad_room_name"),
    ];
    for (path, status, code) in cases {
        let res = http.get(server.http(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], code, "{path}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let long = "x".repeat(129);
    let res = http
        .get(server.http(&format!("/api/rooms/{long}/files")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // A name taken by a room with files is a conflict.
    let mk = || {
        http.post(server.http("/api/rooms"))
            .json(&json!({"name": "dup", "files": {"a": "1"}}))
            .send()
    };
    assert_eq!(mk().await.unwrap().status(), 201);
    assert_eq!(mk().await.unwrap().status(), 409);
    assert_eq!(
        http.get(server.http("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http.get(server.http("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
