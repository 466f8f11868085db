//! Verifying a token: HS256 against the server secret, RS256 against the JWKS, nothing else.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::jwks::Jwks;
use super::{AuthError, Claims, Secret, install_crypto_provider, valid_room_pattern};

/// Clock skew tolerated on `nbf` (an identity provider's clock may run ahead of ours). `exp` gets
/// none: docs/api.md promises a token stops working at its `exp` second.
const NBF_LEEWAY_SECS: u64 = 60;

pub struct Verifier {
    hs256: DecodingKey,
    jwks: Option<Jwks>,
}

/// What an external identity provider's (RS256) tokens must also carry. Providers such as
/// Cognito, Auth0 or Keycloak always set `aud` and `iss`; naming them here accepts exactly theirs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    /// Required `aud` (without it, tokens that carry an `aud` are refused).
    pub audience: Option<String>,
    /// Required `iss`.
    pub issuer: Option<String>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("jwks", &self.jwks.as_ref().map(Jwks::source))
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// `jwks`: None, a file path, or an `http(s)://` URL of a JWKS document. It is loaded now, so a
    /// misconfiguration stops the server at start rather than refusing every RS256 token later.
    pub async fn new(secret: &Secret, jwks: Option<&str>) -> Result<Verifier, AuthError> {
        Self::with_expect(secret, jwks, Expect::default()).await
    }

    /// Like `new`, with the audience and issuer RS256 tokens must name.
    pub async fn with_expect(
        secret: &Secret,
        jwks: Option<&str>,
        expect: Expect,
    ) -> Result<Verifier, AuthError> {
        install_crypto_provider();
        let jwks = match jwks {
            Some(source) => Some(Jwks::load(source).await?.expecting(expect)),
            None => None,
        };
        Ok(Verifier {
            hs256: DecodingKey::from_secret(secret.bytes()),
            jwks,
        })
    }

    /// The claims of a token that is well signed, unexpired, and grants a valid room pattern.
    /// Revocation is not checked here. A token with an `aud` claim is refused: no audience is
    /// configured, and RFC 7519 says a recipient not named in `aud` must reject it.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        // Unverified: only used to pick the key; `decode` checks the alg against it again.
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| AuthError::Invalid(format!("header: {}", describe_header(&e))))?;
        let claims = match header.alg {
            Algorithm::HS256 => {
                decode(token, &self.hs256, Algorithm::HS256, &Expect::default()).map_err(invalid)?
            }
            Algorithm::RS256 => match &self.jwks {
                Some(jwks) => jwks.decode(token, header.kid.as_deref()).await?,
                None => return Err(AuthError::Invalid("RS256 but no JWKS configured".into())),
            },
            other => {
                return Err(AuthError::Invalid(format!(
                    "algorithm {other:?} not accepted"
                )));
            }
        };
        if now() >= claims.exp {
            return Err(AuthError::Expired);
        }
        if !valid_room_pattern(&claims.room) {
            return Err(AuthError::Invalid(
                "room is not a valid room pattern".into(),
            ));
        }
        Ok(claims)
    }
}

/// Checks the signature with `key` and that the header says `alg`, and parses the claims. `exp`
/// is only required here; the caller compares it, without jsonwebtoken's leeway.
pub(super) fn decode(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
    expect: &Expect,
) -> Result<Claims, JwtError> {
    let mut validation = Validation::new(alg);
    let mut required = vec!["exp"];
    if let Some(aud) = &expect.audience {
        validation.set_audience(&[aud]);
        required.push("aud");
    }
    if let Some(iss) = &expect.issuer {
        validation.set_issuer(&[iss]);
        required.push("iss");
    }
    validation.set_required_spec_claims(&required);
    validation.validate_exp = false;
    validation.validate_nbf = true;
    validation.leeway = NBF_LEEWAY_SECS;
    jsonwebtoken::decode::<Claims>(token, key, &validation).map(|data| data.claims)
}

pub(super) fn invalid(e: JwtError) -> AuthError {
    AuthError::Invalid(describe(&e))
}

/// A reason for the log. jsonwebtoken's own messages can quote pieces of the token (serde errors
/// echo the offending value), so only fixed texts and claim names get through.
fn describe(e: &JwtError) -> String {
    match e.kind() {
        ErrorKind::InvalidSignature => "bad signature".into(),
        ErrorKind::InvalidToken => "not a JWT".into(),
        ErrorKind::InvalidAlgorithm => "algorithm does not match the key".into(),
        ErrorKind::Base64(_) => "bad base64".into(),
        ErrorKind::Utf8(_) => "bad UTF-8".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("missing claim {claim}"),
        ErrorKind::InvalidClaimFormat(claim) => format!("malformed claim {claim}"),
        ErrorKind::ImmatureSignature => "not valid yet (nbf)".into(),
        ErrorKind::InvalidAudience => "audience (aud) is not the configured one".into(),
        ErrorKind::InvalidIssuer => "issuer (iss) is not the configured one".into(),
        ErrorKind::Json(json) => describe_json(json),
        ErrorKind::InvalidRsaKey(_) => "the JWKS key is not a usable RSA key".into(),
        _ => "rejected".into(),
    }
}

fn describe_header(e: &JwtError) -> String {
    match e.kind() {
        // The header parses into jsonwebtoken's `Algorithm`, so `none` and friends land here.
        ErrorKind::Json(json) if json.is_data() => "unsupported algorithm or malformed".into(),
        _ => describe(e),
    }
}

fn describe_json(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if let Some(field) = msg
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return format!("missing {field}");
    }
    if e.is_data() {
        "a field has the wrong type or value".into()
    } else {
        "not JSON".into()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
pub(super) mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;
    use crate::auth::{Perm, mint};

    pub(in crate::auth) fn secret(seed: char) -> Secret {
        Secret::from_config(&seed.to_string().repeat(40)).unwrap()
    }

    pub(in crate::auth) fn in_an_hour() -> u64 {
        now() + 3600
    }

    pub(in crate::auth) fn claims(room: &str, perm: Perm, exp: u64) -> Claims {
        Claims {
            room: room.into(),
            perm,
            sub: "user-1".into(),
            name: Some("Ada".into()),
            tenant: Some("acme".into()),
            exp,
            jti: Some(crate::auth::new_jti()),
            iat: Some(now()),
        }
    }

    fn sign_json(secret: &Secret, alg: Algorithm, body: serde_json::Value) -> String {
        install_crypto_provider();
        jsonwebtoken::encode(
            &Header::new(alg),
            &body,
            &EncodingKey::from_secret(secret.bytes()),
        )
        .unwrap()
    }

    async fn verifier(secret: &Secret) -> Verifier {
        Verifier::new(secret, None).await.unwrap()
    }

    fn assert_invalid(result: Result<Claims, AuthError>, what: &str) {
        match result {
            Err(AuthError::Invalid(reason)) => eprintln!("{what}: refused ({reason})"),
            other => panic!("{what}: expected Invalid, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn round_trip() {
        let s = secret('a');
        let c = claims("team-*", Perm::Write, in_an_hour());
        let token = mint(&s, &c).unwrap();
        assert_eq!(verifier(&s).await.verify(&token).await.unwrap(), c);
    }

    #[tokio::test]
    async fn minimal_claims_are_enough() {
        let s = secret('a');
        let token = sign_json(
            &s,
            Algorithm::HS256,
            json!({"room": "r", "perm": "read", "exp": in_an_hour()}),
        );
        let c = verifier(&s).await.verify(&token).await.unwrap();
        assert_eq!(
            (c.room.as_str(), c.perm, c.sub.as_str()),
            ("r", Perm::Read, "")
        );
    }

    #[tokio::test]
    async fn another_secret_is_a_forgery() {
        let token = mint(&secret('b'), &claims("r", Perm::Admin, in_an_hour())).unwrap();
        assert_invalid(verifier(&secret('a')).await.verify(&token).await, "forged");
    }

    #[tokio::test]
    async fn expired_from_its_exp_second_on() {
        let s = secret('a');
        let v = verifier(&s).await;
        for exp in [now(), now() - 1, 1] {
            let token = mint(&s, &claims("r", Perm::Read, exp)).unwrap();
            assert!(matches!(v.verify(&token).await, Err(AuthError::Expired)));
        }
        // A forged token is a forgery first, however stale.
        let forged = mint(&secret('b'), &claims("r", Perm::Read, 1)).unwrap();
        assert_invalid(v.verify(&forged).await, "forged and expired");
    }

    #[tokio::test]
    async fn malformed_tokens() {
        let s = secret('a');
        let v = verifier(&s).await;
        let good = mint(&s, &claims("r", Perm::Read, in_an_hour())).unwrap();
        let (unsigned, signature) = good.rsplit_once('.').unwrap();

        assert!(matches!(v.verify("").await, Err(AuthError::Missing)));
        assert_invalid(v.verify("garbage").await, "garbage");
        assert_invalid(v.verify("a.b.c").await, "three garbage parts");
        assert_invalid(v.verify(unsigned).await, "no signature part");
        assert_invalid(v.verify(&format!("{unsigned}.")).await, "empty signature");
        assert_invalid(
            v.verify(&format!("{unsigned}.{}", &signature[..signature.len() - 4]))
                .await,
            "truncated signature",
        );
        assert_invalid(
            v.verify(&format!("{unsigned}.AAAA{}", &signature[4..]))
                .await,
            "altered signature",
        );
        assert_invalid(
            v.verify(&format!("{unsigned}.!!!")).await,
            "non-base64 signature",
        );
        assert_invalid(v.verify(&format!("{good}.x")).await, "four parts");
    }

    #[tokio::test]
    async fn alg_none_and_other_algorithms() {
        let s = secret('a');
        let v = verifier(&s).await;
        let body = json!({"room": "*", "perm": "admin", "exp": in_an_hour()});
        let part = |value: &serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
        for alg in ["none", "None", "NONE"] {
            let head = part(&json!({"alg": alg, "typ": "JWT"}));
            let token = format!("{head}.{}.", part(&body));
            assert_invalid(v.verify(&token).await, &format!("alg {alg}"));
        }
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let token = sign_json(&s, alg, body.clone());
            assert_invalid(v.verify(&token).await, &format!("{alg:?}"));
        }
        // HS256-signed body under a header claiming RS256: no JWKS, so refused.
        let good = sign_json(&s, Algorithm::HS256, body.clone());
        let rest = good.split_once('.').unwrap().1;
        let head = part(&json!({"alg": "RS256", "typ": "JWT"}));
        assert_invalid(
            v.verify(&format!("{head}.{rest}")).await,
            "RS256 without JWKS",
        );
    }

    #[tokio::test]
    async fn required_claims() {
        let s = secret('a');
        let v = verifier(&s).await;
        let exp = in_an_hour();
        let cases = [
            ("no perm", json!({"room": "r", "exp": exp})),
            ("no room", json!({"perm": "read", "exp": exp})),
            ("no exp", json!({"room": "r", "perm": "read"})),
            (
                "unknown perm",
                json!({"room": "r", "perm": "owner", "exp": exp}),
            ),
            (
                "string exp",
                json!({"room": "r", "perm": "read", "exp": exp.to_string()}),
            ),
            (
                "room not a string",
                json!({"room": 7, "perm": "read", "exp": exp}),
            ),
            ("not an object", json!(["r", "read", exp])),
        ];
        for (what, body) in cases {
            assert_invalid(v.verify(&sign_json(&s, Algorithm::HS256, body)).await, what);
        }
    }

    #[tokio::test]
    async fn room_claim_must_be_a_pattern() {
        let s = secret('a');
        let v = verifier(&s).await;
        for room in ["", "a b", "a*b", "**", "../x"] {
            let body = json!({"room": room, "perm": "read", "exp": in_an_hour()});
            let token = sign_json(&s, Algorithm::HS256, body);
            assert_invalid(v.verify(&token).await, &format!("room {room:?}"));
            assert!(mint(&s, &claims(room, Perm::Read, in_an_hour())).is_err());
        }
    }

    #[tokio::test]
    async fn nbf_in_the_future_is_refused() {
        let s = secret('a');
        let v = verifier(&s).await;
        let body = |nbf: u64| json!({"room": "r", "perm": "read", "exp": in_an_hour(), "nbf": nbf});
        let later = sign_json(&s, Algorithm::HS256, body(now() + 600));
        assert_invalid(v.verify(&later).await, "nbf in 10 minutes");
        let skewed = sign_json(&s, Algorithm::HS256, body(now() + 5));
        assert!(v.verify(&skewed).await.is_ok());
    }

    #[tokio::test]
    async fn reasons_never_contain_the_token() {
        let s = secret('a');
        let v = verifier(&s).await;
        let marker = "SECRET-ROOM-NAME-MARKER";
        let bodies = [
            json!({"room": marker, "perm": marker, "exp": in_an_hour()}),
            json!({"room": 5, "perm": "read", "exp": marker}),
        ];
        for body in bodies {
            let token = sign_json(&s, Algorithm::HS256, body);
            let err = v.verify(&token).await.unwrap_err().to_string();
            assert!(!err.contains(marker) && !err.contains(&token), "{err}");
        }
        let head = URL_SAFE_NO_PAD.encode(json!({"alg": marker}).to_string());
        let err = v
            .verify(&format!("{head}.e30.x"))
            .await
            .unwrap_err()
            .to_string();
        assert!(!err.contains(marker), "{err}");
    }
}
