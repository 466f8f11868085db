//! Each perm does exactly what it allows: `read` sees, `write` also edits, `admin` also mints,
//! revokes, deletes and reads the audit log. Every route is tried with every perm.

use std::collections::HashMap;

use reqwest::RequestBuilder;
use serde_json::{Value, json};

use crate::harness::*;

/// Tokens here cover `perm-*`, so the room-level routes can also be tried on rooms of their own.
const PATTERN: &str = "perm-*";
const ROOM: &str = "perm-main";
const PERMS: [&str; 3] = ["read", "write", "admin"];

/// What a route is tried with: the server, one client per perm, and per-perm fixtures.
struct Ctx<'a> {
    server: &'a Server,
    clients: HashMap<&'static str, reqwest::Client>,
    version: String,
    /// A token id per perm, minted here, for that perm to try revoking.
    jti: HashMap<&'static str, String>,
}

impl Ctx<'_> {
    fn as_(&self, who: &str) -> &reqwest::Client {
        &self.clients[who]
    }
    fn url(&self, path: &str) -> String {
        self.server.http(path)
    }
}

type Call = fn(&Ctx<'_>, &'static str) -> RequestBuilder;

/// (route, least perm it needs, request made as `who`).
fn routes() -> Vec<(&'static str, &'static str, Call)> {
    vec![
        ("GET room info", "read", |c, who| {
            c.as_(who).get(c.url(&format!("/api/rooms/{ROOM}")))
        }),
        ("GET export", "read", |c, who| {
            c.as_(who).get(c.url(&format!("/api/rooms/{ROOM}/export")))
        }),
        ("GET files", "read", |c, who| {
            c.as_(who).get(c.url(&format!("/api/rooms/{ROOM}/files")))
        }),
        ("GET a file", "read", |c, who| {
            c.as_(who)
                .get(c.url(&format!("/api/rooms/{ROOM}/files/a.txt")))
        }),
        ("GET versions", "read", |c, who| {
            c.as_(who)
                .get(c.url(&format!("/api/rooms/{ROOM}/versions")))
        }),
        ("GET a version's files", "read", |c, who| {
            c.as_(who)
                .get(c.url(&format!("/api/rooms/{ROOM}/versions/{}/files", c.version)))
        }),
        ("GET a version's file", "read", |c, who| {
            c.as_(who).get(c.url(&format!(
                "/api/rooms/{ROOM}/versions/{}/files/a.txt",
                c.version
            )))
        }),
        ("GET live rooms", "read", |c, who| {
            c.as_(who).get(c.url("/api/live"))
        }),
        ("GET history", "read", |c, who| {
            c.as_(who).get(c.url(&format!("/api/rooms/{ROOM}/history")))
        }),
        ("PUT a file", "write", |c, who| {
            c.as_(who)
                .put(c.url(&format!("/api/rooms/{ROOM}/files/by-{who}.txt")))
                .body(who)
        }),
        ("DELETE a file", "write", |c, who| {
            c.as_(who)
                .delete(c.url(&format!("/api/rooms/{ROOM}/files/doomed-{who}.txt")))
        }),
        ("POST a version", "write", |c, who| {
            c.as_(who)
                .post(c.url(&format!("/api/rooms/{ROOM}/versions")))
                .json(&json!({"label": who}))
        }),
        ("POST restore a version", "write", |c, who| {
            c.as_(who)
                .post(c.url(&format!("/api/rooms/{ROOM}/versions/{}/restore", c.version)))
        }),
        ("POST a token", "admin", |c, who| {
            c.as_(who)
                .post(c.url(&format!("/api/rooms/{ROOM}/tokens")))
                .json(&json!({"perm": "read"}))
        }),
        ("DELETE a token", "admin", |c, who| {
            c.as_(who)
                .delete(c.url(&format!("/api/tokens/{}", c.jti[who])))
        }),
        ("GET the room's audit log", "admin", |c, who| {
            c.as_(who).get(c.url(&format!("/api/audit?room={ROOM}")))
        }),
        ("POST a room", "admin", |c, who| {
            c.as_(who)
                .post(c.url("/api/rooms"))
                .json(&json!({"name": format!("perm-new-{who}")}))
        }),
        ("DELETE a room", "admin", |c, who| {
            c.as_(who)
                .delete(c.url(&format!("/api/rooms/perm-gone-{who}")))
        }),
    ]
}

fn rank(perm: &str) -> usize {
    PERMS.iter().position(|p| *p == perm).unwrap()
}

#[tokio::test]
async fn every_http_route_is_allowed_exactly_from_its_perm_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let root = server.api();
    let mut files = json!({"a.txt": "hello\n"});
    for who in PERMS {
        files[format!("doomed-{who}.txt")] = json!("bye\n");
    }
    expect_status(
        root.post(server.http("/api/rooms"))
            .json(&json!({"name": ROOM, "files": files})),
        201,
    )
    .await;
    let version = expect_status(
        root.post(server.http(&format!("/api/rooms/{ROOM}/versions")))
            .json(&json!({"label": "base"})),
        201,
    )
    .await;
    let mut jti = HashMap::new();
    for who in PERMS {
        let minted = expect_status(
            root.post(server.http(&format!("/api/rooms/{ROOM}/tokens")))
                .json(&json!({"perm": "read"})),
            201,
        )
        .await;
        jti.insert(who, minted["jti"].as_str().unwrap().to_owned());
        expect_status(
            root.post(server.http("/api/rooms"))
                .json(&json!({"name": format!("perm-gone-{who}"), "files": {"x": "x"}})),
            201,
        )
        .await;
    }
    let ctx = Ctx {
        server: &server,
        clients: PERMS
            .iter()
            .map(|p| (*p, bearer_client(&server.token(PATTERN, p))))
            .collect(),
        version: id_string(&version["id"]),
        jti,
    };

    for (route, needs, call) in routes() {
        for who in PERMS {
            let (status, body) = crate::harness::call(call(&ctx, who)).await;
            if rank(who) >= rank(needs) {
                assert!(
                    (200..300).contains(&status),
                    "{route} as {who}: {status} {body}"
                );
            } else {
                assert_eq!(
                    (status, &body["code"]),
                    (403, &json!("forbidden")),
                    "{route} as {who}: {body}"
                );
            }
        }
    }

    // The whole audit log needs admin over `*`, not over a prefix.
    let (status, _) = call(ctx.as_("admin").get(server.http("/api/audit"))).await;
    assert_eq!(status, 403, "GET /api/audit with admin over {PATTERN}");
    expect_status(root.get(server.http("/api/audit")), 200).await;

    // Admin over rooms revokes the tokens minted for those rooms; any other jti needs `*`.
    let elsewhere = expect_status(
        root.post(server.http("/api/rooms/other-room/tokens"))
            .json(&json!({"perm": "read"})),
        201,
    )
    .await;
    let elsewhere = elsewhere["jti"].as_str().unwrap().to_owned();
    let cases = [
        ("a token minted for another room", elsewhere.clone()),
        ("a jti Tandem never minted", new_jti()),
    ];
    for (what, jti) in cases {
        let revoke = ctx
            .as_("admin")
            .delete(server.http(&format!("/api/tokens/{jti}")));
        assert_eq!(
            http_outcome(revoke).await,
            (403, "forbidden".into()),
            "{what}"
        );
    }
    let revoke = root.delete(server.http(&format!("/api/tokens/{elsewhere}")));
    expect_status(revoke, 204).await;
}

/// A version id as it appears in URLs (the contract does not say whether it is a number).
pub fn id_string(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn read_sockets_follow_without_editing_while_write_and_admin_sockets_edit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let api = server.api();
    let file_url = server.http(&format!("/api/rooms/{ROOM}/files/log.txt"));

    // `read` goes first, into a room without files.
    for who in PERMS {
        let client = peer_with(&server, ROOM, &server.token(ROOM, who)).await;
        let before = file_text(client.doc(), "log.txt");
        append(client.doc(), "log.txt", &format!("[{who}]"));
        if who == "read" {
            let status = within(client.wait_status(|s| s.permission_denied.is_some())).await;
            assert_eq!(status.permission_denied.as_deref(), Some("read-only"));
            // The refusal answers the update, so the server has handled it by now: the file the
            // edit would have created does not exist.
            assert_eq!(call(api.get(&file_url)).await.0, 404);
            assert!(status.connected, "a read socket stays open");
        } else {
            let want = format!("{before}[{who}]");
            eventually_async(&format!("the {who} edit on the server"), || {
                let (api, url, want) = (api.clone(), file_url.clone(), want.clone());
                async move { call(api.get(&url)).await == (200, json!(want)) }
            })
            .await;
            assert_eq!(client.status().permission_denied, None, "{who}");
        }
        client.close().await;
    }
    let fresh = peer(&server, ROOM).await;
    assert_eq!(file_text(fresh.doc(), "log.txt"), "[write][admin]");
}
