//! Local mode (no `--secret`): the server makes its own secret, keeps it across restarts, and
//! prints an admin token and an edit link; and `tandem token` mints tokens for a server that
//! shares its secret.

use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn local_mode_prints_an_admin_token_and_an_edit_link_and_reuses_its_secret() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_local(dir.path(), &[]);
    let secret_file = server.data_dir.join("secret");
    assert_eq!(
        server.stdout_line("local mode: ").await,
        format!(
            "no secret configured; tokens are signed with the secret in {}",
            secret_file.display()
        )
    );
    let admin = server.stdout_line("admin token: ").await;
    let link = server.stdout_line("edit link: ").await;
    let (page, edit) = link.split_once("#token=").expect("a token in the link");
    assert_eq!(page, format!("http://{}/r/welcome", server.addr));
    let c = peek_claims(&admin);
    assert_eq!(
        (c["room"].as_str(), c["perm"].as_str()),
        (Some("*"), Some("admin"))
    );
    let c = peek_claims(edit);
    assert_eq!(
        (c["room"].as_str(), c["perm"].as_str()),
        (Some("welcome"), Some("write"))
    );

    let meta = std::fs::metadata(&secret_file).expect("the secret file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let secret = std::fs::read(&secret_file).unwrap();

    // The admin token administers; the edit link's token edits.
    let root = bearer_client(&admin);
    expect_status(root.get(server.http("/api/audit")), 200).await;
    let p = peer_with(&server, "welcome", edit).await;
    append(p.doc(), "hello.md", "hi from local mode");
    let file = server.http("/api/rooms/welcome/files/hello.md");
    eventually_async("the edit on the server", || {
        let (root, file) = (root.clone(), file.clone());
        async move { call(root.get(&file)).await == (200, json!("hi from local mode")) }
    })
    .await;
    p.close().await;

    // Restarted, it signs with the same secret: old tokens still work.
    assert_eq!(server.terminate(), Some(0));
    server.restart();
    server.stdout_line("admin token: ").await;
    assert_eq!(std::fs::read(&secret_file).unwrap(), secret);
    assert_eq!(get_text(&root, &file).await, "hi from local mode");
    let again = peer_with(&server, "welcome", edit).await;
    assert_eq!(file_text(again.doc(), "hello.md"), "hi from local mode");
}

#[tokio::test]
async fn tandem_token_prints_a_token_and_its_link_for_a_server_sharing_the_secret() {
    const ROOM: &str = "cli-room";
    let dir = tempfile::tempdir().unwrap();
    // What an operator would configure both with.
    let secret = "correct horse battery staple, but at least 32 bytes long";
    let server = Server::launch(dir.path()).secret(secret).start();
    let data_dir = dir.path().to_str().unwrap();
    let common = ["--data-dir", data_dir, "--secret", secret];
    let file = server.http(&format!("/api/rooms/{ROOM}/files/a.txt"));

    let out = run_tandem(
        &[
            &["token", "--room", ROOM, "--perm", "write", "--ttl", "24h"][..],
            &["--name", "alice", "--sub", "alice-42", "--tenant", "acme"],
            &["--public-url", "https://collab.example.com"],
            &common,
        ]
        .concat(),
    )
    .await;
    assert_eq!(out.len(), 2, "{out:?}");
    let write = &out[0];
    assert_eq!(
        out[1],
        format!("https://collab.example.com/r/{ROOM}#token={write}")
    );
    let c = peek_claims(write);
    assert_eq!(
        ["room", "perm", "name", "sub", "tenant"].map(|k| c[k].clone()),
        [ROOM, "write", "alice", "alice-42", "acme"].map(|v| json!(v))
    );
    assert!(c["jti"].as_str().is_some_and(|j| !j.is_empty()), "{c}");
    let ttl = c["exp"].as_u64().unwrap() as i64 - now_secs() as i64;
    assert!((86_300..=86_400).contains(&ttl), "ttl 24h: {ttl} s");

    let writer = peer_with(&server, ROOM, write).await;
    append(writer.doc(), "a.txt", "from the CLI token");
    let http = bearer_client(write);
    eventually_async("the CLI token's edit on the server", || {
        let (http, file) = (http.clone(), file.clone());
        async move { call(http.get(&file)).await == (200, json!("from the CLI token")) }
    })
    .await;

    // Without --public-url, links use the configured listen address.
    let config = dir.path().join("tandem.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:4321\"\n").unwrap();
    let out = run_tandem(
        &[
            &[
                "token", "--room", ROOM, "--perm", "read", "--ttl", "1h", "--name", "bob",
            ][..],
            &["--config", config.to_str().unwrap()],
            &common,
        ]
        .concat(),
    )
    .await;
    let read = &out[0];
    assert_eq!(
        out[1],
        format!("http://127.0.0.1:4321/r/{ROOM}#token={read}")
    );
    assert_eq!(peek_claims(read)["perm"], "read");
    let reader = peer_with(&server, ROOM, read).await;
    assert_eq!(file_text(reader.doc(), "a.txt"), "from the CLI token");
    append(reader.doc(), "a.txt", " (and a reader)");
    let status = within(reader.wait_status(|s| s.permission_denied.is_some())).await;
    assert_eq!(status.permission_denied.as_deref(), Some("read-only"));
    let put = bearer_client(read).put(&file).body("nope");
    assert_eq!(http_outcome(put).await, (403, "forbidden".into()));
    assert_eq!(get_text(&http, &file).await, "from the CLI token");
}
