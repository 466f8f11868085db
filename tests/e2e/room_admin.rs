//! Creating and deleting rooms: the links `POST /api/rooms` hands out carry working tokens with the
//! right perms; `DELETE /api/rooms/{room}` closes the room's sockets (4410) and forgets it.

use std::time::Duration;

use protocol::client::{Client, ClientOptions};
use serde_json::{Value, json};
use yrs::Doc;

use crate::harness::*;

/// The token in a link's fragment (`.../r/{room}#token=<token>`).
fn link_token(link: &Value) -> String {
    let link = link.as_str().expect("a link");
    link.split_once("#token=")
        .expect("#token= in the link")
        .1
        .to_owned()
}

#[tokio::test]
async fn a_new_room_comes_with_edit_and_view_links_whose_tokens_work() {
    const ROOM: &str = "linked";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let created = expect_status(
        server.api().post(server.http("/api/rooms")).json(&json!({
            "name": ROOM,
            "files": {"a.txt": "hi\n"},
            "ttl": "2h",
        })),
        201,
    )
    .await;
    let (edit, view) = (
        link_token(&created["links"]["edit"]),
        link_token(&created["links"]["view"]),
    );
    let base = format!("http://{}", server.addr);
    assert_eq!(created["room"], ROOM);
    assert_eq!(
        created["links"]["edit"],
        format!("{base}/r/{ROOM}#token={edit}")
    );
    assert_eq!(
        created["links"]["view"],
        format!("{base}/r/{ROOM}#token={view}")
    );
    assert_eq!(
        created["links"]["websocket"],
        format!("ws://{}/sync/{ROOM}", server.addr)
    );
    assert_eq!(created["tokens"], json!({"edit": edit, "view": view}));
    let expires_in = parse_rfc3339(created["expires_at"].as_str().unwrap()) - now_ms();
    assert!(
        (7_100_000..=7_200_000).contains(&expires_in),
        "ttl 2h: {expires_in} ms"
    );
    for (token, perm) in [(&edit, "write"), (&view, "read")] {
        let c = peek_claims(token);
        assert_eq!(
            (c["room"].as_str(), c["perm"].as_str()),
            (Some(ROOM), Some(perm))
        );
    }

    // The edit link's token edits, over the socket and over HTTP.
    let file_url = server.http(&format!("/api/rooms/{ROOM}/files/a.txt"));
    let editor = peer_with(&server, ROOM, &edit).await;
    assert_eq!(file_text(editor.doc(), "a.txt"), "hi\n");
    append(editor.doc(), "a.txt", "edited\n");
    let viewer_http = bearer_client(&view);
    eventually_async("the editor's edit on the server", || {
        let (http, url) = (viewer_http.clone(), file_url.clone());
        async move { call(http.get(&url)).await == (200, json!("hi\nedited\n")) }
    })
    .await;
    let put = |token: &str| bearer_client(token).put(&file_url).body("put\n");
    assert_eq!(http_outcome(put(&edit)).await, (200, String::new()));

    // The view link's token follows but cannot edit.
    let viewer = peer_with(&server, ROOM, &view).await;
    assert_eq!(file_text(viewer.doc(), "a.txt"), "put\n");
    append(viewer.doc(), "a.txt", "sneaky\n");
    let status = within(viewer.wait_status(|s| s.permission_denied.is_some())).await;
    assert_eq!(status.permission_denied.as_deref(), Some("read-only"));
    assert_eq!(http_outcome(put(&view)).await, (403, "forbidden".into()));
    assert_eq!(get_text(&viewer_http, &file_url).await, "put\n");
}

#[tokio::test]
async fn links_use_the_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--public-url", "https://collab.example.com"]);
    let api = server.api();
    let created = expect_status(
        api.post(server.http("/api/rooms"))
            .json(&json!({"name": "public"})),
        201,
    )
    .await;
    let edit = link_token(&created["links"]["edit"]);
    assert_eq!(
        created["links"]["edit"],
        format!("https://collab.example.com/r/public#token={edit}")
    );
    assert_eq!(
        created["links"]["websocket"],
        "wss://collab.example.com/sync/public"
    );
    let minted = expect_status(
        api.post(server.http("/api/rooms/public/tokens"))
            .json(&json!({"perm": "read"})),
        201,
    )
    .await;
    let token = minted["token"].as_str().unwrap();
    assert_eq!(
        minted["link"],
        format!("https://collab.example.com/r/public#token={token}")
    );
}

#[tokio::test]
async fn only_admins_create_rooms_and_a_nameless_room_gets_the_token_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let rooms = server.http("/api/rooms");
    let as_ = |room: &str, perm: &str| bearer_client(&server.token(room, perm));

    let writer = as_("*", "write")
        .post(&rooms)
        .json(&json!({"name": "nope"}));
    assert_eq!(http_outcome(writer).await, (403, "forbidden".into()));

    let team_admin = as_("team-*", "admin");
    let created = expect_status(team_admin.post(&rooms).json(&json!({})), 201).await;
    let name = created["room"].as_str().unwrap();
    assert!(
        name.starts_with("team-") && name.len() > "team-".len(),
        "{name}"
    );
    assert!(protocol::valid_room_name(name), "{name}");
    let outside = team_admin.post(&rooms).json(&json!({"name": "elsewhere"}));
    assert_eq!(http_outcome(outside).await, (403, "forbidden".into()));
}

#[tokio::test]
async fn deleting_a_room_closes_its_sockets_4410_and_removes_files_and_versions() {
    const ROOM: &str = "doomed";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let api = server.api();
    let room_url = |path: &str| server.http(&format!("/api/rooms/{ROOM}{path}"));
    let body = json!({"name": ROOM, "files": {"a.txt": "soon gone\n"}});
    expect_status(api.post(server.http("/api/rooms")).json(&body), 201).await;
    expect_status(
        api.post(room_url("/versions"))
            .json(&json!({"label": "v1"})),
        201,
    )
    .await;

    let mut raw = ws_connect(&server.ws_url(ROOM), None)
        .await
        .expect("accepted");
    // A client that would not come back soon: reconnecting would re-upload its copy.
    let patient = ClientOptions {
        reconnect_min: Duration::from_secs(60),
        reconnect_max: Duration::from_secs(60),
        ..ClientOptions::default()
    };
    let client = Client::connect(server.ws_url(ROOM), Doc::new(), patient);
    within(client.synced()).await;
    let bystander = peer(&server, "bystander").await;
    append(bystander.doc(), "b.txt", "untouched");

    expect_status(api.delete(server.http(&format!("/api/rooms/{ROOM}"))), 204).await;
    assert_eq!(
        within(read_until_close(&mut raw)).await,
        Ok(protocol::close::ROOM_DELETED)
    );
    let closed = within(client.wait_status(|s| !s.connected)).await;
    assert_eq!(closed.last_close, Some(protocol::close::ROOM_DELETED));

    assert_eq!(listing(&api, &room_url("/files"), "files").await, json!([]));
    assert_eq!(
        listing(&api, &room_url("/versions"), "versions").await,
        json!([])
    );
    assert_eq!(call(api.get(room_url("/files/a.txt"))).await.0, 404);
    let fresh = peer(&server, ROOM).await;
    assert!(
        files_of(fresh.doc()).is_empty(),
        "{:?}",
        files_of(fresh.doc())
    );
    let s = bystander.status();
    assert_eq!(
        (s.connections, s.last_close),
        (1, None),
        "the other room is untouched"
    );
    let other = peer(&server, "bystander").await;
    eventually("the other room's file", || {
        file_text(other.doc(), "b.txt") == "untouched"
    })
    .await;
}

/// The `key` list of a listing; a room that no longer exists may also answer 404 (the contract
/// does not say which), which counts as empty.
async fn listing(http: &reqwest::Client, url: &str, key: &str) -> Value {
    match call(http.get(url)).await {
        (200, body) => body[key].clone(),
        (404, _) => json!([]),
        (status, body) => panic!("GET {url}: {status} {body}"),
    }
}
