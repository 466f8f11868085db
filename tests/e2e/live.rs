//! The live-rooms feed: `GET /api/live?after={generation}` lists the rooms loaded in memory that
//! the token covers, with their open connections, and long-polls for the next change.

use serde_json::{Value, json};

use crate::harness::*;

/// The feed as `token` sees it, without waiting.
async fn live(server: &Server, token: &str) -> Value {
    get_json(&bearer_client(token), &server.http("/api/live")).await
}

fn generation(feed: &Value) -> u64 {
    feed["generation"].as_u64().expect("a generation")
}

/// Polls the feed until `rooms` is what the admin sees; returns the feed.
async fn rooms_become(server: &Server, rooms: Value) -> Value {
    let admin = server.token("*", "admin");
    let start = std::time::Instant::now();
    loop {
        let feed = live(server, &admin).await;
        if feed["rooms"] == rooms {
            return feed;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "timed out waiting for live rooms {rooms}; last: {feed}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_feed_follows_rooms_and_connections_within_the_tokens_rooms() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            "--ai-peer",
            "off",
            "--live-poll-timeout",
            "60s",
            "--room-idle-ms",
            "300",
        ],
    );
    let admin = server.token("*", "admin");
    let start = live(&server, &admin).await;
    assert_eq!(start["rooms"], json!([]), "{start}");

    let a = peer(&server, "team-a").await;
    let feed = rooms_become(&server, json!([{"room": "team-a", "connections": 1}])).await;
    assert!(generation(&feed) > generation(&start), "{feed}");

    // A poll at the current generation answers with the next change.
    let waiting = {
        let (url, admin) = (
            server.http(&format!("/api/live?after={}", generation(&feed))),
            admin.clone(),
        );
        tokio::spawn(async move { get_json(&bearer_client(&admin), &url).await })
    };
    let b = peer(&server, "team-a").await;
    let next = within(waiting).await.unwrap();
    assert!(generation(&next) > generation(&feed), "{next}");
    assert_eq!(
        next["rooms"],
        json!([{"room": "team-a", "connections": 2}]),
        "{next}"
    );

    // A token sees the rooms it covers, whatever its perm.
    let other = peer(&server, "other").await;
    rooms_become(
        &server,
        json!([{"room": "other", "connections": 1}, {"room": "team-a", "connections": 2}]),
    )
    .await;
    let team = live(&server, &server.token("team-*", "read")).await;
    assert_eq!(team["rooms"], json!([{"room": "team-a", "connections": 2}]));
    let one = live(&server, &server.token("other", "write")).await;
    assert_eq!(one["rooms"], json!([{"room": "other", "connections": 1}]));
    assert_eq!(
        http_outcome(reqwest::Client::new().get(server.http("/api/live"))).await,
        (401, "token_missing".into())
    );

    // Leaving lowers the count; an idle room is unloaded and leaves the feed.
    a.close().await;
    b.close().await;
    rooms_become(
        &server,
        json!([{"room": "other", "connections": 1}, {"room": "team-a", "connections": 0}]),
    )
    .await;
    rooms_become(&server, json!([{"room": "other", "connections": 1}])).await;
    drop(other);
}

#[tokio::test]
async fn a_poll_answers_after_the_timeout_with_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &["--ai-peer", "off", "--live-poll-timeout", "200ms"],
    );
    let _p = peer(&server, "quiet").await;
    let feed = rooms_become(&server, json!([{"room": "quiet", "connections": 1}])).await;
    let url = server.http(&format!("/api/live?after={}", generation(&feed)));
    let again = get_json(&server.api(), &url).await;
    assert_eq!(again, feed);
}

#[tokio::test]
async fn a_waiting_poll_does_not_hold_up_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        &["--ai-peer", "off", "--live-poll-timeout", "1h"],
    );
    let feed = live(&server, &server.token("*", "admin")).await;
    let url = server.http(&format!("/api/live?after={}", generation(&feed)));
    let api = server.api();
    let waiting = tokio::spawn(async move { call(api.get(&url)).await });
    // Give the poll time to reach the server: one that arrived after shutdown began would be
    // refused, not answered.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Off the runtime, and bounded: a poll that held up shutdown would hold this up for an hour.
    let stopped = tokio::task::spawn_blocking(move || server.terminate());
    assert_eq!(within(stopped).await.unwrap(), Some(0));
    let (status, body) = within(waiting).await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, feed);
}
