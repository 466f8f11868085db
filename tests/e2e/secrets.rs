//! No secret ever reaches the output: with everything logged (`TANDEM_LOG=trace`), neither the
//! server secret, nor any token presented or minted, nor the identity provider's private key
//! appears in what the server prints.

use serde_json::json;

use crate::harness::*;

const ROOM: &str = "quiet";

#[tokio::test]
async fn secrets_and_tokens_never_appear_in_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tandem.log");
    let idp = RsaKey::generate("idp-key");
    let impostor = RsaKey::generate("idp-key");
    let jwks = dir.path().join("jwks.json");
    RsaKey::write_jwks(&jwks, &[&idp]);
    let mut server = Server::start_logged(dir.path(), &["--jwks", jwks.to_str().unwrap()], &log);
    let mut used: Vec<String> = Vec::new();
    let files = server.http(&format!("/api/rooms/{ROOM}/files"));

    // A writer over `?token=`, editing.
    let write = server.token(ROOM, "write");
    let p = peer_with(&server, ROOM, &write).await;
    append(p.doc(), "a.txt", "secret-free");
    used.push(write);

    // Refused tokens, on the socket and over HTTP.
    let mut expired = claims(ROOM, "write");
    expired["exp"] = json!(now_secs() - 60);
    for bad in [
        sign_hs256(&random_secret(), &claims(ROOM, "admin")),
        server.token_with(&expired),
        server.token("elsewhere", "write"),
        impostor.sign(&claims(ROOM, "write")),
    ] {
        assert_ne!(
            ws_outcome(&server.ws_url_with(ROOM, &bad), None).await.0,
            101
        );
        assert_ne!(http_outcome(bearer_client(&bad).get(&files)).await.0, 200);
        used.push(bad);
    }

    // HTTP with a bearer token; minting, using and revoking a token through the API; links.
    let admin = server.token("*", "admin");
    let api = bearer_client(&admin);
    used.push(admin);
    expect_status(api.put(format!("{files}/b.txt")).body("b"), 201).await;
    let minted = expect_status(
        api.post(server.http(&format!("/api/rooms/{ROOM}/tokens")))
            .json(&json!({"perm": "read", "name": "reader"})),
        201,
    )
    .await;
    let minted_token = minted["token"].as_str().unwrap().to_owned();
    let bare = format!("ws://{}/sync/{ROOM}", server.addr);
    let mut ws = ws_connect(&bare, Some(&minted_token))
        .await
        .expect("accepted");
    let jti = minted["jti"].as_str().unwrap();
    expect_status(api.delete(server.http(&format!("/api/tokens/{jti}"))), 204).await;
    assert_eq!(within(read_until_close(&mut ws)).await, Ok(4401));
    assert_eq!(ws_outcome(&bare, Some(&minted_token)).await.0, 401);
    used.push(minted_token);
    let created = expect_status(
        api.post(server.http("/api/rooms"))
            .json(&json!({"name": "linked", "files": {"x": "y"}})),
        201,
    )
    .await;
    for t in ["edit", "view"] {
        used.push(created["tokens"][t].as_str().unwrap().to_owned());
    }

    // An identity provider's RS256 token.
    let rs = idp.sign(&claims(ROOM, "write"));
    let q = peer_with(&server, ROOM, &rs).await;
    append(q.doc(), "c.txt", "via the IdP");
    used.push(rs);

    p.close().await;
    q.close().await;
    assert_eq!(server.terminate(), Some(0));
    let output = format!(
        "{}\n{}",
        std::fs::read_to_string(&log).unwrap(),
        server.stdout().join("\n")
    );
    assert!(output.contains("TRACE"), "the log was not at trace level");

    let mut secrets: Vec<(String, String)> =
        vec![("the server secret".into(), server.secret().to_owned())];
    for (i, token) in used.iter().enumerate() {
        secrets.push((format!("token #{i}"), token.clone()));
        let signature = token.rsplit('.').next().unwrap();
        secrets.push((format!("token #{i}'s signature"), signature.to_owned()));
    }
    // Every body line of the PEM (a very short last line could match by chance, so not those).
    for line in idp
        .private_pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
    {
        secrets.push(("a line of the private key PEM".into(), line.to_owned()));
    }
    for (what, secret) in &secrets {
        if let Some(at) = output.find(secret.as_str()) {
            let line = output[..at].lines().count();
            panic!("{what} appears in the server's output (line {line})");
        }
    }
}
