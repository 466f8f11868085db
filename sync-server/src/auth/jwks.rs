//! RS256 verification keys from a JWKS document: a file read once at start, or a URL that is
//! refetched when a token names a key id we have not seen, so an identity provider can rotate keys
//! without a Tandem restart.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::verify::{Expect, decode, invalid};
use super::{AuthError, Claims};

/// Unknown key ids trigger at most one refetch per this interval, so a flood of made-up kids
/// cannot turn Tandem into a load generator against the identity provider.
const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) struct Jwks {
    source: Source,
    keys: RwLock<Arc<Vec<Key>>>,
    /// When a refetch was last attempted (None: never since start). Held across the fetch, so
    /// requests waiting on the same new kid share one fetch.
    last_refetch: tokio::sync::Mutex<Option<Instant>>,
    refetch_interval: Duration,
    /// The audience and issuer the provider's tokens must name.
    expect: Expect,
}

enum Source {
    File(String),
    Url {
        url: String,
        client: reqwest::Client,
    },
}

struct Key {
    kid: Option<String>,
    key: DecodingKey,
}

impl Jwks {
    /// Loads `source` (a path, or an `http(s)://` URL) now, failing on anything unusable.
    pub(super) async fn load(source: &str) -> Result<Jwks, AuthError> {
        let (source, keys) = if source.starts_with("http://") || source.starts_with("https://") {
            let client = reqwest::Client::builder()
                .timeout(FETCH_TIMEOUT)
                .build()
                .map_err(|e| AuthError::Jwks(format!("HTTP client: {}", chain(&e))))?;
            let keys = fetch(&client, source).await?;
            let url = source.to_owned();
            (Source::Url { url, client }, keys)
        } else {
            let doc = tokio::fs::read(source)
                .await
                .map_err(|e| AuthError::Jwks(format!("{source}: {e}")))?;
            let keys = parse(&doc).map_err(|e| AuthError::Jwks(format!("{source}: {e}")))?;
            (Source::File(source.to_owned()), keys)
        };
        Ok(Jwks {
            source,
            keys: RwLock::new(Arc::new(keys)),
            last_refetch: tokio::sync::Mutex::new(None),
            refetch_interval: JWKS_REFETCH_INTERVAL,
            expect: Expect::default(),
        })
    }

    pub(super) fn expecting(mut self, expect: Expect) -> Jwks {
        self.expect = expect;
        self
    }

    pub(super) fn source(&self) -> &str {
        match &self.source {
            Source::File(path) => path,
            Source::Url { url, .. } => url,
        }
    }

    /// Verifies an RS256 token with the key named `kid`, or, without a kid, with whichever key
    /// matches its signature.
    pub(super) async fn decode(&self, token: &str, kid: Option<&str>) -> Result<Claims, AuthError> {
        let Some(kid) = kid else {
            return self.decode_with_any(token);
        };
        let key = match self.find(kid) {
            Some(key) => key,
            None => {
                self.refetch().await;
                self.find(kid)
                    .ok_or_else(|| AuthError::Invalid("unknown JWKS key id".into()))?
            }
        };
        decode(token, &key, Algorithm::RS256, &self.expect).map_err(invalid)
    }

    fn keys(&self) -> Arc<Vec<Key>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn find(&self, kid: &str) -> Option<DecodingKey> {
        self.keys()
            .iter()
            .find(|k| k.kid.as_deref() == Some(kid))
            .map(|k| k.key.clone())
    }

    fn decode_with_any(&self, token: &str) -> Result<Claims, AuthError> {
        for key in self.keys().iter() {
            match decode(token, &key.key, Algorithm::RS256, &self.expect) {
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::InvalidSignature | ErrorKind::InvalidRsaKey(_)
                    ) =>
                {
                    continue;
                }
                other => return other.map_err(invalid),
            }
        }
        Err(AuthError::Invalid(
            "no JWKS key matches the signature".into(),
        ))
    }

    async fn refetch(&self) {
        let Source::Url { url, client } = &self.source else {
            return;
        };
        let mut last = self.last_refetch.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.refetch_interval) {
            return;
        }
        *last = Some(Instant::now());
        match fetch(client, url).await {
            Ok(keys) => {
                tracing::info!(
                    url,
                    keys = keys.len(),
                    "JWKS refetched for an unknown key id"
                );
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
            }
            Err(e) => tracing::warn!(error = %e, "JWKS refetch failed; keeping the cached keys"),
        }
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<Key>, AuthError> {
    let failed = |e: reqwest::Error| AuthError::Jwks(format!("{url}: {}", chain(&e.without_url())));
    let doc = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(failed)?
        .bytes()
        .await
        .map_err(failed)?;
    parse(&doc).map_err(|e| AuthError::Jwks(format!("{url}: {e}")))
}

/// The RS256 signing keys of a JWKS document. Keys of other kinds are skipped rather than refused:
/// identity providers publish encryption and EC keys in the same document.
fn parse(doc: &[u8]) -> Result<Vec<Key>, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let doc: Document =
        serde_json::from_slice(doc).map_err(|e| format!("not a JWKS document ({e})"))?;
    let keys: Vec<Key> = doc
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter(is_rs256_signing_key)
        .filter_map(|jwk| {
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            Some(Key {
                kid: jwk.common.key_id,
                key,
            })
        })
        .collect();
    if keys.is_empty() {
        return Err(
            "no RS256 signing key (kty RSA, alg RS256 or absent, use sig or absent)".into(),
        );
    }
    Ok(keys)
}

fn is_rs256_signing_key(jwk: &Jwk) -> bool {
    matches!(jwk.algorithm, AlgorithmParameters::RSA(_))
        && matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256))
        && matches!(
            jwk.common.public_key_use,
            None | Some(PublicKeyUse::Signature)
        )
}

/// reqwest's Display stops at "error sending request"; the cause (refused, timed out, TLS) is in
/// the source chain.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Json;
    use axum::extract::State;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{EncodingKey, Header};
    use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};
    use rsa::traits::PublicKeyParts;
    use rsa::{RsaPrivateKey, RsaPublicKey};
    use serde_json::json;

    use super::*;
    use crate::auth::verify::tests::{claims, in_an_hour, secret};
    use crate::auth::{Perm, Verifier, install_crypto_provider, mint};

    struct TestKey {
        private: RsaPrivateKey,
        signing: EncodingKey,
    }

    /// Three 2048-bit keys, generated once per test binary (in parallel: it is the slow part).
    fn keys() -> &'static [TestKey] {
        static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
        KEYS.get_or_init(|| {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..3)
                    .map(|_| {
                        scope.spawn(|| {
                            let private =
                                RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
                            let pem = private.to_pkcs1_pem(LineEnding::LF).unwrap();
                            let signing = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
                            TestKey { private, signing }
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            })
        })
    }

    fn jwk(key: usize, kid: &str) -> serde_json::Value {
        let public = RsaPublicKey::from(&keys()[key].private);
        json!({
            "kty": "RSA",
            "kid": kid,
            "alg": "RS256",
            "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }

    fn sign(key: usize, kid: Option<&str>, claims: &impl serde::Serialize) -> String {
        install_crypto_provider();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &keys()[key].signing).unwrap()
    }

    fn write_jwks(dir: &std::path::Path, doc: &serde_json::Value) -> String {
        let path = dir.join("jwks.json");
        std::fs::write(&path, doc.to_string()).unwrap();
        path.to_str().unwrap().to_owned()
    }

    fn assert_invalid(result: Result<Claims, AuthError>, what: &str) {
        match result {
            Err(AuthError::Invalid(reason)) => eprintln!("{what}: refused ({reason})"),
            other => panic!("{what}: expected Invalid, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn rs256_from_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let mut encryption_key = jwk(2, "enc");
        encryption_key["use"] = json!("enc");
        let doc = json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "ec", "x": "AAAA", "y": "AAAA"},
            encryption_key,
            jwk(0, "k0"),
        ]});
        let s = secret('a');
        let v = Verifier::new(&s, Some(&write_jwks(tmp.path(), &doc)))
            .await
            .unwrap();
        let c = claims("team-*", Perm::Write, in_an_hour());

        assert_eq!(v.verify(&sign(0, Some("k0"), &c)).await.unwrap(), c);
        assert_eq!(v.verify(&sign(0, None, &c)).await.unwrap(), c, "no kid");
        let hs256 = claims("r", Perm::Read, in_an_hour());
        assert_eq!(v.verify(&mint(&s, &hs256).unwrap()).await.unwrap(), hs256);

        assert_invalid(
            v.verify(&sign(1, Some("k0"), &c)).await,
            "another key, same kid",
        );
        assert_invalid(v.verify(&sign(1, None, &c)).await, "another key, no kid");
        assert_invalid(v.verify(&sign(0, Some("k9"), &c)).await, "unknown kid");
        assert_invalid(v.verify(&sign(2, Some("enc"), &c)).await, "encryption key");

        let stale = claims("r", Perm::Read, 1);
        assert!(matches!(
            v.verify(&sign(0, Some("k0"), &stale)).await,
            Err(AuthError::Expired)
        ));
        let no_perm = json!({"room": "r", "exp": in_an_hour()});
        assert_invalid(v.verify(&sign(0, Some("k0"), &no_perm)).await, "no perm");
        let bad_room = json!({"room": "a b", "perm": "read", "exp": in_an_hour()});
        assert_invalid(v.verify(&sign(0, Some("k0"), &bad_room)).await, "bad room");

        // The classic confusion: HS256 keyed with the published public key.
        let public_pem = RsaPublicKey::from(&keys()[0].private)
            .to_pkcs1_pem(LineEnding::LF)
            .unwrap();
        let confused = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &c,
            &EncodingKey::from_secret(public_pem.as_bytes()),
        )
        .unwrap();
        assert_invalid(v.verify(&confused).await, "HS256 keyed with the public key");
    }

    #[tokio::test]
    async fn identity_provider_audience_and_issuer() {
        let tmp = tempfile::tempdir().unwrap();
        let source = write_jwks(tmp.path(), &json!({"keys": [jwk(0, "k0")]}));
        let expect = Expect {
            audience: Some("tandem".into()),
            issuer: Some("https://idp.example".into()),
        };
        let s = secret('a');
        let v = Verifier::with_expect(&s, Some(&source), expect)
            .await
            .unwrap();
        let token = |aud: Option<&str>, iss: Option<&str>| {
            let mut body = json!({"room": "r", "perm": "write", "exp": in_an_hour()});
            if let Some(aud) = aud {
                body["aud"] = json!(aud);
            }
            if let Some(iss) = iss {
                body["iss"] = json!(iss);
            }
            sign(0, Some("k0"), &body)
        };
        let ok = v
            .verify(&token(Some("tandem"), Some("https://idp.example")))
            .await;
        assert_eq!(ok.unwrap().room, "r");
        let idp = Some("https://idp.example");
        assert_invalid(v.verify(&token(Some("other"), idp)).await, "wrong aud");
        assert_invalid(v.verify(&token(None, idp)).await, "no aud");
        assert_invalid(
            v.verify(&token(Some("tandem"), Some("https://evil"))).await,
            "wrong iss",
        );
        assert_invalid(v.verify(&token(Some("tandem"), None)).await, "no iss");

        // Without expectations, a token naming an audience is not for us.
        let plain = Verifier::new(&s, Some(&source)).await.unwrap();
        assert_invalid(
            plain.verify(&token(Some("tandem"), idp)).await,
            "aud not expected",
        );
        assert!(plain.verify(&token(None, None)).await.is_ok());
    }

    #[tokio::test]
    async fn unusable_jwks_fail_at_start() {
        let tmp = tempfile::tempdir().unwrap();
        let s = secret('a');
        let missing = tmp.path().join("missing.json");
        let mut sources = vec![missing.to_str().unwrap().to_owned()];
        let mut enc_only = jwk(0, "k0");
        enc_only["use"] = json!("enc");
        let mut ps256_only = jwk(0, "k0");
        ps256_only["alg"] = json!("PS256");
        for (i, doc) in [
            "not json".to_owned(),
            "{}".to_owned(),
            json!({"keys": []}).to_string(),
            json!({"keys": [enc_only]}).to_string(),
            json!({"keys": [ps256_only]}).to_string(),
            json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}).to_string(),
        ]
        .into_iter()
        .enumerate()
        {
            let path = tmp.path().join(format!("{i}.json"));
            std::fs::write(&path, doc).unwrap();
            sources.push(path.to_str().unwrap().to_owned());
        }
        let idp = Idp::publishing(json!({"keys": [jwk(0, "k0")]}));
        let base = serve(idp).await;
        sources.push(format!("{base}/missing"));
        sources.push(format!("{base}/broken"));
        sources.push(format!("http://{}/jwks.json", closed_port().await));
        for source in sources {
            match Verifier::new(&s, Some(&source)).await {
                Err(AuthError::Jwks(msg)) => eprintln!("{source}: {msg}"),
                other => panic!("{source}: expected Jwks error, got {other:?}"),
            }
        }
    }

    struct Idp {
        doc: Mutex<serde_json::Value>,
        fetches: AtomicUsize,
    }

    impl Idp {
        fn publishing(doc: serde_json::Value) -> Arc<Idp> {
            Arc::new(Idp {
                doc: Mutex::new(doc),
                fetches: AtomicUsize::new(0),
            })
        }

        fn publish(&self, doc: serde_json::Value) {
            *self.doc.lock().unwrap() = doc;
        }

        fn fetches(&self) -> usize {
            self.fetches.load(Ordering::SeqCst)
        }
    }

    /// A stand-in identity provider on 127.0.0.1: `/jwks.json` serves its current document,
    /// `/broken` serves something that is not one.
    async fn serve(idp: Arc<Idp>) -> String {
        async fn jwks(State(idp): State<Arc<Idp>>) -> Json<serde_json::Value> {
            idp.fetches.fetch_add(1, Ordering::SeqCst);
            Json(idp.doc.lock().unwrap().clone())
        }
        let app = axum::Router::new()
            .route("/jwks.json", axum::routing::get(jwks))
            .route("/broken", axum::routing::get(|| async { "not json" }))
            .with_state(idp);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    async fn closed_port() -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    }

    #[tokio::test]
    async fn rs256_from_a_url_follows_key_rotation() {
        let idp = Idp::publishing(json!({"keys": [jwk(0, "k0")]}));
        let url = format!("{}/jwks.json", serve(idp.clone()).await);
        let v = Verifier::new(&secret('a'), Some(&url)).await.unwrap();
        assert_eq!(idp.fetches(), 1);
        let c = claims("r", Perm::Admin, in_an_hour());

        assert_eq!(v.verify(&sign(0, Some("k0"), &c)).await.unwrap(), c);
        assert_eq!(idp.fetches(), 1, "known kids come from the cache");

        // The provider rotates in a new key; tokens signed with it arrive at once, together.
        idp.publish(json!({"keys": [jwk(0, "k0"), jwk(2, "k2")]}));
        let token = sign(2, Some("k2"), &c);
        let results = futures_util::future::join_all((0..8).map(|_| v.verify(&token))).await;
        for result in results {
            assert_eq!(result.unwrap(), c);
        }
        assert_eq!(idp.fetches(), 2, "one refetch serves every waiting request");

        // Made-up kids within the interval do not reach the provider.
        for kid in ["x1", "x2", "x3"] {
            assert_invalid(v.verify(&sign(0, Some(kid), &c)).await, "unknown kid");
        }
        assert_invalid(
            v.verify(&sign(1, Some("k2"), &c)).await,
            "another key, same kid",
        );
        assert_eq!(idp.fetches(), 2);
    }

    #[tokio::test]
    async fn refetch_is_rate_limited_and_survives_a_broken_provider() {
        let c = claims("r", Perm::Read, in_an_hour());
        // Signed up front so the timed part below is only verification.
        let (t0, t1) = (sign(0, Some("k0"), &c), sign(1, Some("k1"), &c));
        let idp = Idp::publishing(json!({"keys": [jwk(0, "k0")]}));
        let url = format!("{}/jwks.json", serve(idp.clone()).await);
        let mut jwks = Jwks::load(&url).await.unwrap();
        jwks.refetch_interval = Duration::from_secs(1);

        // A broken document on refetch keeps the cached keys.
        idp.publish(json!({"nope": true}));
        assert_invalid(jwks.decode(&t1, Some("k1")).await, "k1 not published yet");
        assert_eq!(idp.fetches(), 2);
        assert_eq!(jwks.decode(&t0, Some("k0")).await.unwrap(), c);

        idp.publish(json!({"keys": [jwk(1, "k1")]}));
        assert_invalid(jwks.decode(&t1, Some("k1")).await, "too soon");
        assert_eq!(idp.fetches(), 2);

        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(jwks.decode(&t1, Some("k1")).await.unwrap(), c);
        assert_eq!(idp.fetches(), 3);
        // The refetched set replaces the old one: the provider withdrew k0.
        assert_invalid(jwks.decode(&t0, Some("k0")).await, "withdrawn");
    }
}
