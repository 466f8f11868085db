//! The web IDE's server side: the built web client's pages and assets (or a 503 saying how to
//! build it), sandboxed previews of a room's files under a key of their own, share links minted
//! from the caller's own access, and the start page's token-less rooms in local mode.

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::harness::*;

const BUILD: &str = "npm ci --prefix clients/web && npm run build --prefix clients/web";
const INDEX: &str = "<!doctype html><title>fake app</title><div id=app></div>";
const ASSET: &str = "console.log('app');";

/// GETs `url` without a token: status, headers, body.
async fn fetch(url: &str) -> (u16, HeaderMap, String) {
    let res = within(reqwest::Client::new().get(url).send())
        .await
        .expect("GET");
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}

#[tokio::test]
async fn the_web_client_is_served_from_its_dir_with_the_right_caching() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(web.join("index.html"), INDEX).unwrap();
    std::fs::write(web.join("assets/app-abc.js"), ASSET).unwrap();
    std::fs::write(web.join("favicon.svg"), "<svg/>").unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        &["--web-dir", web.to_str().unwrap()],
    );

    for page in ["/", "/r/demo", "/r/demo/"] {
        let (status, headers, body) = fetch(&server.http(page)).await;
        assert_eq!((status, body.as_str()), (200, INDEX), "{page}");
        assert_eq!(header(&headers, "cache-control"), "no-cache", "{page}");
        assert!(header(&headers, "content-type").starts_with("text/html"));
    }
    let (status, headers, body) = fetch(&server.http("/assets/app-abc.js")).await;
    assert_eq!((status, body.as_str()), (200, ASSET));
    assert_eq!(
        header(&headers, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&headers, "content-type").starts_with("text/javascript"));
    let (status, headers, _) = fetch(&server.http("/assets/app-missing.js")).await;
    assert_eq!(status, 404);
    assert!(
        headers.get("cache-control").is_none(),
        "a 404 is not cached"
    );
    let (status, headers, body) = fetch(&server.http("/favicon.svg")).await;
    assert_eq!((status, body.as_str()), (200, "<svg/>"));
    assert!(header(&headers, "content-type").starts_with("image/svg+xml"));
    // Outside the web dir, nothing.
    std::fs::write(dir.path().join("secret.txt"), "no").unwrap();
    assert_eq!(fetch(&server.http("/..%2Fsecret.txt")).await.0, 404);
    // The API and probes are still theirs.
    assert_eq!(fetch(&server.http("/healthz")).await.2, "ok");
    assert_eq!(
        http_outcome(reqwest::Client::new().get(server.http("/api/live")))
            .await
            .0,
        401
    );

    // Without a build, the pages say how to make one.
    let unbuilt = Server::start(
        &dir.path().join("data2"),
        &["--web-dir", dir.path().join("nowhere").to_str().unwrap()],
    );
    for page in ["/", "/r/demo"] {
        let (status, headers, body) = fetch(&unbuilt.http(page)).await;
        assert_eq!(status, 503, "{page}");
        assert!(header(&headers, "content-type").starts_with("text/html"));
        assert!(body.contains(BUILD), "{page}: {body}");
    }
}

/// The key of a preview URL `/r/{room}/preview/{key}/`.
fn key_of(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap()
}

fn assert_sandboxed(headers: &HeaderMap, what: &str) {
    assert_eq!(
        header(headers, "content-security-policy"),
        "sandbox allow-scripts allow-forms allow-modals allow-popups",
        "{what}"
    );
    assert_eq!(header(headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(headers, "cache-control"), "no-store");
    assert_eq!(header(headers, "referrer-policy"), "no-referrer");
}

#[tokio::test]
async fn previews_serve_the_live_files_sandboxed_under_a_revocable_key() {
    const HTML: &str = "<!doctype html><link rel=stylesheet href=style.css><h1>Hi</h1>";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--preview-ttl", "10m"]);
    let admin = server.api();
    let file = |path: &str| server.http(&format!("/api/rooms/site/files/{path}"));
    expect_status(admin.put(file("index.html")).body(HTML), 201).await;
    expect_status(admin.put(file("style.css")).body("h1 { color: red }"), 201).await;

    let reader = bearer_client(&server.token("site", "read"));
    let made = expect_status(reader.post(server.http("/api/rooms/site/preview")), 201).await;
    let url = made["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with("/r/site/preview/") && url.ends_with('/'),
        "{url}"
    );
    let key = key_of(&url).to_owned();
    let c = peek_claims(&key);
    assert_eq!(
        (&c["room"], &c["perm"], &c["sub"]),
        (&json!("site"), &json!("read"), &json!("preview"))
    );
    let ttl = c["exp"].as_i64().unwrap() - now_secs() as i64;
    assert!((590..=600).contains(&ttl), "preview_ttl 10m: {ttl}");
    assert_eq!(
        parse_rfc3339(made["expires_at"].as_str().unwrap()),
        c["exp"].as_i64().unwrap() * 1000
    );

    // No Authorization header: the key in the URL is the credential.
    let (status, headers, body) = fetch(&server.http(&url)).await;
    assert_eq!((status, body.as_str()), (200, HTML));
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    assert_sandboxed(&headers, "index");
    let css = server.http(&format!("{url}style.css"));
    let (status, headers, body) = fetch(&css).await;
    assert_eq!((status, body.as_str()), (200, "h1 { color: red }"));
    assert_eq!(header(&headers, "content-type"), "text/css; charset=utf-8");
    assert_sandboxed(&headers, "style.css");
    // Always the live document.
    expect_status(admin.put(file("style.css")).body("h1 { color: blue }"), 200).await;
    assert_eq!(fetch(&css).await.2, "h1 { color: blue }");
    assert_eq!(
        fetch(&server.http(&format!("{url}index.html"))).await.2,
        HTML
    );

    let (status, headers, _) = fetch(&server.http(&format!("{url}missing.js"))).await;
    assert_eq!(status, 404);
    assert_eq!(
        header(&headers, "content-type"),
        "text/plain; charset=utf-8"
    );
    assert_sandboxed(&headers, "404");

    // A forged key, and a good key for another room.
    let sig = key.rfind('.').unwrap() + 5;
    let swap = if &key[sig..=sig] == "A" { "B" } else { "A" };
    let forged = format!("{}{swap}{}", &key[..sig], &key[sig + 1..]);
    let (status, headers, _) = fetch(&server.http(&format!("/r/site/preview/{forged}/"))).await;
    assert_eq!(status, 401);
    assert_sandboxed(&headers, "401");
    assert_eq!(
        fetch(&server.http("/r/site/preview/not-a-token/")).await.0,
        401
    );
    let other = bearer_client(&server.token("other", "read"));
    let other_url = expect_status(other.post(server.http("/api/rooms/other/preview")), 201).await;
    let other_key = key_of(other_url["url"].as_str().unwrap()).to_owned();
    let (status, headers, _) = fetch(&server.http(&format!("/r/site/preview/{other_key}/"))).await;
    assert_eq!(status, 403);
    assert_sandboxed(&headers, "403");
    // Minting needs read on the room, and a token.
    assert_eq!(
        http_outcome(other.post(server.http("/api/rooms/site/preview"))).await,
        (403, "forbidden".into())
    );
    assert_eq!(
        http_outcome(reqwest::Client::new().post(server.http("/api/rooms/site/preview")))
            .await
            .0,
        401
    );

    // Revoked: refused at once.
    let jti = c["jti"].as_str().unwrap();
    expect_status(
        admin.delete(server.http(&format!("/api/tokens/{jti}"))),
        204,
    )
    .await;
    assert_eq!(fetch(&server.http(&url)).await.0, 401);

    // A key never outlives the token that asked for it.
    let mut short = claims("site", "read");
    short["exp"] = json!(now_secs() + 120);
    let short_exp = short["exp"].as_u64().unwrap();
    let made = expect_status(
        bearer_client(&server.token_with(&short)).post(server.http("/api/rooms/site/preview")),
        201,
    )
    .await;
    let key = key_of(made["url"].as_str().unwrap());
    assert_eq!(peek_claims(key)["exp"], json!(short_exp));
}

#[tokio::test]
async fn share_links_grant_at_most_the_callers_perm_for_at_most_its_life() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let links = server.http("/api/rooms/share/links");
    let caller = server.token_as("share", "write", "alice");
    let caller_exp = peek_claims(&caller)["exp"].as_u64().unwrap();
    let writer = bearer_client(&caller);

    let read = expect_status(writer.post(&links).json(&json!({"perm": "read"})), 201).await;
    let token = read["token"].as_str().unwrap();
    assert_eq!(read["perm"], "read");
    assert_eq!(
        read["link"],
        json!(format!("http://{}/r/share#token={token}", server.addr))
    );
    let c = peek_claims(token);
    assert_eq!(
        (&c["room"], &c["perm"], &c["sub"]),
        (&json!("share"), &json!("read"), &json!("alice"))
    );
    assert!(
        c["exp"].as_u64().unwrap() <= caller_exp,
        "{c} outlives the caller"
    );
    assert_eq!(
        parse_rfc3339(read["expires_at"].as_str().unwrap()),
        c["exp"].as_i64().unwrap() * 1000
    );
    // The read link's token connects read-only.
    let p = peer(&server, "share").await;
    append(p.doc(), "a.txt", "shared");
    let viewer = peer_with(&server, "share", token).await;
    eventually("the viewer follows", || {
        file_text(viewer.doc(), "a.txt") == "shared"
    })
    .await;
    append(viewer.doc(), "a.txt", " (viewer typing)");
    let status = within(viewer.wait_status(|s| s.permission_denied.is_some())).await;
    assert_eq!(status.permission_denied.as_deref(), Some("read-only"));

    let write = expect_status(
        writer
            .post(&links)
            .json(&json!({"perm": "write", "ttl": "10m"})),
        201,
    )
    .await;
    let c = peek_claims(write["token"].as_str().unwrap());
    assert_eq!(c["perm"], "write");
    let ttl = c["exp"].as_i64().unwrap() - now_secs() as i64;
    assert!((590..=600).contains(&ttl), "ttl 10m: {ttl}");

    let reader = bearer_client(&server.token("share", "read"));
    let want = |perm: &str| json!({ "perm": perm });
    assert_eq!(
        http_outcome(reader.post(&links).json(&want("write"))).await,
        (403, "forbidden".into())
    );
    expect_status(reader.post(&links).json(&want("read")), 201).await;
    assert_eq!(
        http_outcome(writer.post(&links).json(&want("admin"))).await,
        (400, "bad_request".into())
    );
    assert_eq!(
        http_outcome(server.api().post(&links).json(&want("admin")))
            .await
            .0,
        400
    );
    let elsewhere = bearer_client(&server.token("elsewhere", "admin"));
    assert_eq!(
        http_outcome(elsewhere.post(&links).json(&want("read"))).await,
        (403, "forbidden".into())
    );
    assert_eq!(
        http_outcome(
            writer
                .post(&links)
                .json(&json!({"perm": "read", "ttl": "0s"}))
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn the_start_page_makes_rooms_in_local_mode_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_local(dir.path(), &[]);
    let made = expect_status(
        reqwest::Client::new().post(server.http("/api/local/rooms")),
        201,
    )
    .await;
    let room = made["room"].as_str().unwrap();
    assert_eq!(room.len(), 12, "{made}");
    let edit = made["tokens"]["edit"].as_str().unwrap();
    let view = made["tokens"]["view"].as_str().unwrap();
    assert_eq!(
        made["links"]["edit"],
        json!(format!("http://{}/r/{room}#token={edit}", server.addr))
    );
    assert_eq!(
        made["links"]["view"],
        json!(format!("http://{}/r/{room}#token={view}", server.addr))
    );
    assert_eq!(
        made["links"]["websocket"],
        json!(format!("ws://{}/sync/{room}", server.addr))
    );
    assert_eq!(peek_claims(edit)["perm"], "write");
    assert_eq!(peek_claims(view)["perm"], "read");
    assert_eq!(
        parse_rfc3339(made["expires_at"].as_str().unwrap()),
        peek_claims(edit)["exp"].as_i64().unwrap() * 1000
    );

    let http = bearer_client(edit);
    let list = get_json(&http, &server.http(&format!("/api/rooms/{room}/files"))).await;
    let paths: Vec<&str> = list["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["README.md", "app.js", "index.html", "main.py", "style.css"]
    );
    let read = |path: &str| server.http(&format!("/api/rooms/{room}/files/{path}"));
    assert!(get_text(&http, &read("main.py")).await.contains("print("));
    let html = get_text(&http, &read("index.html")).await;
    for part in ["style.css", "app.js", "<h1>"] {
        assert!(html.contains(part), "index.html lacks {part}");
    }
    assert!(
        get_text(&http, &read("README.md"))
            .await
            .contains("@claude")
    );

    // Audited as made by "local".
    let admin = bearer_client(&server.stdout_line("admin token: ").await);
    let audit = get_json(&admin, &server.http(&format!("/api/audit?room={room}"))).await;
    let created: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "room.created")
        .collect();
    assert_eq!(created.len(), 1, "{audit}");
    assert_eq!(created[0]["actor"], "local");

    // Each call makes a new room.
    let again = expect_status(
        reqwest::Client::new().post(server.http("/api/local/rooms")),
        201,
    )
    .await;
    assert_ne!(again["room"], made["room"]);

    // With a secret, or a JWKS, it is not local mode.
    let refused = |server: &Server| {
        let url = server.http("/api/local/rooms");
        async move {
            let (status, body) = call(reqwest::Client::new().post(url)).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (403, Some("local_only")),
                "{body}"
            );
            assert!(body["error"].as_str().unwrap().contains("local mode"));
        }
    };
    let secret = Server::start(&dir.path().join("with-secret"), &[]);
    refused(&secret).await;
    let jwks = dir.path().join("jwks.json");
    RsaKey::write_jwks(&jwks, &[&RsaKey::generate("idp")]);
    let jwks_server = Server::start_local(
        &dir.path().join("with-jwks"),
        &["--jwks", jwks.to_str().unwrap()],
    );
    refused(&jwks_server).await;
}
