//! A token's life ends on open sockets too: at `exp`, or within a second of its revocation, the
//! server closes them with 4401 and refuses the token from then on.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn a_socket_is_closed_4401_when_its_token_expires_and_not_before() {
    const ROOM: &str = "expiring";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    // 2 to 3 seconds ahead: `exp` is in whole seconds.
    let exp = now_secs() + 3;
    let mut short = claims(ROOM, "write");
    short["exp"] = json!(exp);
    let url = server.ws_url_with(ROOM, &server.token_with(&short));
    let keeps = peer(&server, ROOM).await;

    let mut ws = ws_connect(&url, None).await.expect("valid until exp");
    let code = within(read_until_close(&mut ws)).await;
    let closed_at = now_ms();
    let exp_ms = exp as i64 * 1000;
    assert_eq!(code, Ok(protocol::close::UNAUTHORIZED));
    assert!(
        closed_at >= exp_ms,
        "closed {} ms before exp",
        exp_ms - closed_at
    );
    assert!(
        closed_at < exp_ms + 2000,
        "closed {} ms after exp",
        closed_at - exp_ms
    );
    assert_eq!(ws_outcome(&url, None).await, (401, "token_expired".into()));
    // Another token's socket in the same room is untouched.
    assert_eq!(
        (keeps.status().connections, keeps.status().last_close),
        (1, None)
    );
}

#[tokio::test]
async fn revoking_a_token_closes_its_sockets_within_a_second_and_refuses_it_after() {
    const ROOM: &str = "revoke";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let api = server.api();
    let minted = expect_status(
        api.post(server.http(&format!("/api/rooms/{ROOM}/tokens")))
            .json(&json!({"perm": "write", "name": "bob", "ttl": "1h"})),
        201,
    )
    .await;
    let (token, jti) = (
        minted["token"].as_str().unwrap(),
        minted["jti"].as_str().unwrap(),
    );
    assert_eq!(minted["room"], ROOM);
    assert_eq!(minted["perm"], "write");
    assert_eq!(
        minted["link"],
        format!("http://{}/r/{ROOM}#token={token}", server.addr)
    );
    let expires_in = parse_rfc3339(minted["expires_at"].as_str().unwrap()) - now_ms();
    assert!(
        (3_500_000..=3_600_000).contains(&expires_in),
        "ttl 1h: {expires_in} ms"
    );
    let url = server.ws_url_with(ROOM, token);

    // Two sockets on the token (one with it in the URL, one in a header), one on another token.
    let mut by_query = ws_connect(&url, None).await.expect("accepted");
    let bare = format!("ws://{}/sync/{ROOM}", server.addr);
    let mut by_header = ws_connect(&bare, Some(token)).await.expect("accepted");
    let keeps = peer(&server, ROOM).await;
    metric_reaches(&server, "tandem_connections_open", 3).await;

    expect_status(api.delete(server.http(&format!("/api/tokens/{jti}"))), 204).await;
    let revoked_at = Instant::now();
    let (a, b) = tokio::join!(
        within(read_until_close(&mut by_query)),
        within(read_until_close(&mut by_header))
    );
    let took = revoked_at.elapsed();
    assert_eq!((a, b), (Ok(4401), Ok(4401)));
    assert!(
        took <= Duration::from_secs(1),
        "closed {took:?} after the revocation"
    );

    assert_eq!(ws_outcome(&url, None).await, (401, "token_revoked".into()));
    let http = bearer_client(token);
    let files = server.http(&format!("/api/rooms/{ROOM}/files"));
    assert_eq!(
        http_outcome(http.get(&files)).await,
        (401, "token_revoked".into())
    );
    assert_eq!(
        (keeps.status().connections, keeps.status().last_close),
        (1, None)
    );
}
