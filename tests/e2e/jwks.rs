//! RS256 tokens from an external identity provider, verified with the keys of a JWKS file.

use serde_json::json;

use crate::harness::*;

const ROOM: &str = "idp";
const FILE: &str = "notes.md";

#[tokio::test]
async fn rs256_tokens_verify_against_the_jwks_and_other_keys_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let idp = RsaKey::generate("idp-key-1");
    // Same kid, different key: what a forger would try.
    let mut impostor = RsaKey::generate("idp-key-1");
    let jwks = dir.path().join("jwks.json");
    RsaKey::write_jwks(&jwks, &[&idp]);
    let server = Server::start(dir.path(), &["--jwks", jwks.to_str().unwrap()]);
    let file_url = server.http(&format!("/api/rooms/{ROOM}/files/{FILE}"));

    let mut user = claims(ROOM, "write");
    user["sub"] = json!("idp|12345");
    let good = idp.sign(&user);
    let p = peer_with(&server, ROOM, &good).await;
    append(p.doc(), FILE, "signed by the IdP");
    let http = bearer_client(&good);
    eventually_async("the RS256 writer's edit on the server", || {
        let (http, url) = (http.clone(), file_url.clone());
        async move { call(http.get(&url)).await == (200, json!("signed by the IdP")) }
    })
    .await;

    let forged = impostor.sign(&user);
    impostor.kid = "unknown-kid".into();
    let unknown_kid = impostor.sign(&user);
    for (what, token) in [
        ("another key, same kid", forged),
        ("an unknown kid", unknown_kid),
    ] {
        let want = (401, "token_invalid".to_owned());
        assert_eq!(
            ws_outcome(&server.ws_url_with(ROOM, &token), None).await,
            want,
            "{what}"
        );
        let req = bearer_client(&token).get(&file_url);
        assert_eq!(http_outcome(req).await, want, "{what}");
    }
    // The server's own HS256 tokens still work beside the IdP's.
    assert_eq!(
        get_text(&server.api(), &file_url).await,
        "signed by the IdP"
    );
}
