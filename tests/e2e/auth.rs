//! Capability tokens at the door: every refusal of the contract, alike on the WebSocket upgrade
//! (as `?token=` and as `Authorization: Bearer`) and on an HTTP route, with its status and code.

use serde_json::json;

use crate::harness::*;

const ROOM: &str = "team-red";

/// What the door must say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Accepted,
    Refused(u16, &'static str),
}

use Want::*;

fn ws_want(want: Want) -> (u16, String) {
    match want {
        Accepted => (101, String::new()),
        Refused(status, code) => (status, code.to_owned()),
    }
}

fn http_want(want: Want) -> (u16, String) {
    match want {
        Accepted => (200, String::new()),
        Refused(status, code) => (status, code.to_owned()),
    }
}

#[tokio::test]
async fn bad_tokens_are_refused_alike_on_the_websocket_and_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);

    let mut expired_claims = claims(ROOM, "write");
    expired_claims["exp"] = json!(now_secs() - 5);
    let mut no_exp = claims(ROOM, "write");
    no_exp.as_object_mut().unwrap().remove("exp");
    // An operator's own token (never seen by the server before) revoked by its jti.
    let revoked_claims = claims(ROOM, "write");
    let jti = revoked_claims["jti"].as_str().unwrap();
    expect_status(
        server
            .api()
            .delete(server.http(&format!("/api/tokens/{jti}"))),
        204,
    )
    .await;

    let cases: Vec<(&str, Option<String>, Want)> = vec![
        ("no token", None, Refused(401, "token_missing")),
        (
            "not a JWT",
            Some("not-a-jwt".into()),
            Refused(401, "token_invalid"),
        ),
        (
            "signed with another secret",
            Some(sign_hs256(&random_secret(), &claims(ROOM, "admin"))),
            Refused(401, "token_invalid"),
        ),
        (
            "no exp claim",
            Some(server.token_with(&no_exp)),
            Refused(401, "token_invalid"),
        ),
        (
            "expired",
            Some(server.token_with(&expired_claims)),
            Refused(401, "token_expired"),
        ),
        (
            "revoked",
            Some(server.token_with(&revoked_claims)),
            Refused(401, "token_revoked"),
        ),
        (
            "another room",
            Some(server.token("team-blue", "admin")),
            Refused(403, "forbidden"),
        ),
        (
            "a prefix that does not match",
            Some(server.token("guest-*", "admin")),
            Refused(403, "forbidden"),
        ),
        (
            "a longer name with this one as prefix",
            Some(server.token("team-red-2", "admin")),
            Refused(403, "forbidden"),
        ),
        (
            "a matching prefix",
            Some(server.token("team-*", "read")),
            Accepted,
        ),
        ("every room", Some(server.token("*", "read")), Accepted),
        (
            "exactly this room",
            Some(server.token(ROOM, "read")),
            Accepted,
        ),
    ];

    let bare_ws = format!("ws://{}/sync/{ROOM}", server.addr);
    let files = server.http(&format!("/api/rooms/{ROOM}/files"));
    for (what, token, want) in cases {
        let ws_url = match &token {
            Some(t) => server.ws_url_with(ROOM, t),
            None => bare_ws.clone(),
        };
        assert_eq!(
            ws_outcome(&ws_url, None).await,
            ws_want(want),
            "websocket ?token=, {what}"
        );
        if let Some(t) = &token {
            assert_eq!(
                ws_outcome(&bare_ws, Some(t)).await,
                ws_want(want),
                "websocket bearer, {what}"
            );
        }
        let mut req = reqwest::Client::new().get(&files);
        if let Some(t) = &token {
            req = req.bearer_auth(t);
        }
        assert_eq!(http_outcome(req).await, http_want(want), "HTTP, {what}");
    }
}
