//! The test harness: starts the real `tandem` binary on port 0 in a temp data dir, reads its
//! `listening on` line, mints capability tokens the way an operator's backend would, and connects
//! real clients to it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use protocol::client::{Client, ClientOptions};
use rand::Rng;
use serde_json::{Value, json};
use yrs::{Doc, Transact};

/// Generous bound for anything that should take milliseconds; only hit when a test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The `tandem` binary built by `cargo test --workspace` (target/<profile>/tandem).
pub fn tandem_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("TANDEM_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("tandem");
    assert!(
        bin.exists(),
        "{} not found: run the suite with `cargo test --workspace` (it builds the binary)",
        bin.display()
    );
    bin
}

/// How the server gets its token secret.
#[derive(Debug, Clone)]
enum SecretMode {
    /// `--secret <this>`.
    Given(String),
    /// No secret at all: local mode (the server generates `<data_dir>/secret`).
    Local,
}

/// Everything needed to start (and restart) a server the same way.
#[derive(Debug, Clone)]
pub struct Launch {
    data_dir: PathBuf,
    args: Vec<String>,
    secret: SecretMode,
    env: Vec<(String, String)>,
    log: Option<PathBuf>,
}

impl Launch {
    /// Extra `tandem serve` flags.
    pub fn args(mut self, extra: &[&str]) -> Launch {
        self.args.extend(extra.iter().map(|s| s.to_string()));
        self
    }

    /// No `--secret`: local mode.
    pub fn local(mut self) -> Launch {
        self.secret = SecretMode::Local;
        self
    }

    pub fn secret(mut self, secret: &str) -> Launch {
        self.secret = SecretMode::Given(secret.to_owned());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Launch {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Appends the server's stderr (its log) to `path` instead of inheriting it.
    pub fn log_to(mut self, path: &Path) -> Launch {
        self.log = Some(path.to_owned());
        self
    }

    pub fn start(self) -> Server {
        Server::try_start(self, "127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A running `tandem serve` process.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// The `--secret` it was started with; `None` in local mode.
    pub secret: Option<String>,
    /// Every stdout line after `listening on`, as it arrives.
    stdout: Arc<Mutex<Vec<String>>>,
    launch: Launch,
}

/// A fresh random secret: 64 hex characters (32 random bytes).
pub fn random_secret() -> String {
    hex(&rand::rng().random::<[u8; 32]>())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Server {
    /// How to start a server on `data_dir`: by default with a random `--secret`.
    pub fn launch(data_dir: &Path) -> Launch {
        Launch {
            data_dir: data_dir.to_owned(),
            args: Vec::new(),
            secret: SecretMode::Given(random_secret()),
            env: Vec::new(),
            log: None,
        }
    }

    /// Starts a server on a fresh port with `data_dir`, a random secret and extra flags.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        Self::launch(data_dir).args(extra).start()
    }

    /// Starts a server without `--secret` (local mode).
    pub fn start_local(data_dir: &Path, extra: &[&str]) -> Server {
        Self::launch(data_dir).args(extra).local().start()
    }

    /// Starts a server logging everything (`TANDEM_LOG=trace`) to the file `log`.
    pub fn start_logged(data_dir: &Path, extra: &[&str], log: &Path) -> Server {
        Self::launch(data_dir)
            .args(extra)
            .env("TANDEM_LOG", "trace")
            .log_to(log)
            .start()
    }

    fn try_start(launch: Launch, listen: &str) -> Result<Server, String> {
        let mut cmd = Command::new(tandem_bin());
        cmd.arg("serve")
            .arg("--listen")
            .arg(listen)
            .arg("--data-dir")
            .arg(&launch.data_dir)
            .args(&launch.args)
            .env_remove("TANDEM_SECRET")
            // Tests that want Claude in their rooms say so (`TANDEM_AI_PEER` in `env`, or the
            // flag); the rest count connections and presence without it.
            .env("TANDEM_AI_PEER", "off")
            .env(
                "TANDEM_LOG",
                std::env::var("TANDEM_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped());
        let secret = match &launch.secret {
            SecretMode::Given(s) => {
                cmd.arg("--secret").arg(s);
                Some(s.clone())
            }
            SecretMode::Local => None,
        };
        match &launch.log {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("open {}: {e}", path.display()))?;
                cmd.stderr(file);
            }
            None => {
                cmd.stderr(Stdio::inherit());
            }
        }
        let mut child = cmd.spawn().map_err(|e| format!("spawn tandem: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = match lines.next() {
            Some(Ok(line)) => line,
            _ => {
                let _ = child.wait();
                return Err("tandem exited before listening".into());
            }
        };
        let addr = line
            .strip_prefix("listening on http://")
            .ok_or_else(|| format!("unexpected first line: {line}"))?
            .parse()
            .map_err(|e| format!("bad address in {line}: {e}"))?;
        // Keep draining stdout (so the child never blocks on a full pipe) into a buffer tests read.
        let captured = Arc::new(Mutex::new(Vec::new()));
        let sink = captured.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
        Ok(Server {
            child: Some(child),
            addr,
            data_dir: launch.data_dir.clone(),
            secret,
            stdout: captured,
            launch,
        })
    }

    /// The secret tokens are signed with (panics in local mode: use the printed admin token).
    pub fn secret(&self) -> &str {
        self.secret
            .as_deref()
            .expect("a local-mode server has no secret the test knows")
    }

    /// An HS256 token for `room` (a name, `prefix*` or `*`) with `perm`, valid for an hour.
    pub fn token(&self, room: &str, perm: &str) -> String {
        self.token_with(&claims(room, perm))
    }

    /// Like `token`, held by `sub` (the actor the audit log records).
    pub fn token_as(&self, room: &str, perm: &str, sub: &str) -> String {
        let mut c = claims(room, perm);
        c["sub"] = json!(sub);
        self.token_with(&c)
    }

    /// An HS256 token with exactly these claims, signed with the server's secret.
    pub fn token_with(&self, claims: &Value) -> String {
        sign_hs256(self.secret(), claims)
    }

    /// The sync URL of `room` with a write token for it.
    pub fn ws_url(&self, room: &str) -> String {
        self.ws_url_with(room, &self.token(room, "write"))
    }

    pub fn ws_url_with(&self, room: &str, token: &str) -> String {
        format!("ws://{}/sync/{room}?token={token}", self.addr)
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// An HTTP client holding an admin token over every room (`*`).
    pub fn api(&self) -> reqwest::Client {
        bearer_client(&self.token("*", "admin"))
    }

    /// Every stdout line printed after `listening on` so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits for a stdout line starting with `prefix` and returns the rest of it.
    pub async fn stdout_line(&self, prefix: &str) -> String {
        let find = || {
            self.stdout()
                .iter()
                .find_map(|l| l.strip_prefix(prefix).map(str::to_owned))
        };
        eventually(&format!("a stdout line starting with {prefix:?}"), || {
            find().is_some()
        })
        .await;
        find().unwrap()
    }

    /// SIGTERM, then waits; returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        send_signal(child.id() as i32, libc::SIGTERM);
        let status = child.wait().expect("wait");
        status.code()
    }

    /// SIGKILL: no flush, no goodbye.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            send_signal(child.id() as i32, libc::SIGKILL);
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same address and data dir, with the same secret and flags
    /// (after terminate/kill9), so reconnecting clients and their tokens find it.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        let listen = self.addr.to_string();
        let mut last = String::new();
        for _ in 0..100 {
            match Self::try_start(self.launch.clone(), &listen) {
                Ok(again) => {
                    *self = again;
                    return;
                }
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("restart failed: {last}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn send_signal(pid: i32, sig: i32) {
    #[allow(unsafe_code)]
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// A running `tandem runner` process (the runner as its own gRPC service).
pub struct RunnerProcess {
    child: Option<Child>,
    pub addr: SocketAddr,
}

impl RunnerProcess {
    /// Starts `tandem runner --listen 127.0.0.1:0 <extra>` and waits for its `listening on` line.
    pub fn start(extra: &[&str]) -> RunnerProcess {
        let mut child = Command::new(tandem_bin())
            .args(["runner", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("TANDEM_CONFIG")
            .env(
                "TANDEM_LOG",
                std::env::var("TANDEM_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn tandem runner");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = match lines.next() {
            Some(Ok(line)) => line,
            _ => {
                let _ = child.wait();
                panic!("tandem runner exited before listening");
            }
        };
        let addr = line
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        RunnerProcess {
            child: Some(child),
            addr,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGTERM (the runner kills its jobs and removes their cgroups), then waits; returns the
    /// exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        send_signal(child.id() as i32, libc::SIGTERM);
        child.wait().expect("wait").code()
    }
}

impl Drop for RunnerProcess {
    fn drop(&mut self) {
        // Gracefully, so no sandboxed program outlives the test.
        self.terminate();
    }
}

/// Runs `tandem <args>` to completion (without any `TANDEM_*` settings from the environment);
/// requires success and returns its stdout lines.
pub async fn run_tandem(args: &[&str]) -> Vec<String> {
    let mut cmd = tokio::process::Command::new(tandem_bin());
    cmd.args(args)
        .env_remove("TANDEM_SECRET")
        .env_remove("TANDEM_PUBLIC_URL")
        .env_remove("TANDEM_DATA_DIR")
        .env_remove("TANDEM_CONFIG");
    let out = within(cmd.output()).await.expect("run tandem");
    assert!(
        out.status.success(),
        "tandem {} failed: {}",
        args.first().unwrap_or(&""),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 stdout")
        .lines()
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tokens

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The claims of a token for `room` with `perm`: sub `test`, valid for an hour, a fresh `jti`.
pub fn claims(room: &str, perm: &str) -> Value {
    let now = now_secs();
    json!({
        "room": room,
        "perm": perm,
        "sub": "test",
        "iat": now,
        "exp": now + 3600,
        "jti": new_jti(),
    })
}

pub fn new_jti() -> String {
    hex(&rand::rng().random::<[u8; 12]>())
}

fn install_crypto() {
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
}

/// Signs `claims` with HS256 and `secret`, as an operator's backend would.
pub fn sign_hs256(secret: &str, claims: &Value) -> String {
    install_crypto();
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign HS256")
}

/// The claims of a JWT, read without checking anything (to look at what the server minted).
pub fn peek_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// An RSA key pair for RS256 tokens, published as a JWKS the way an identity provider does.
pub struct RsaKey {
    pub kid: String,
    /// PKCS#8 PEM of the private key.
    pub private_pem: String,
    n: String,
    e: String,
}

impl RsaKey {
    pub fn generate(kid: &str) -> RsaKey {
        use base64::Engine;
        use rsa::pkcs8::EncodePrivateKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA keygen");
        let private_pem = key
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .expect("PEM")
            .to_string();
        let b64 = |b: Vec<u8>| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        RsaKey {
            kid: kid.to_owned(),
            private_pem,
            n: b64(key.n().to_bytes_be()),
            e: b64(key.e().to_bytes_be()),
        }
    }

    /// This key's public half as a JWK.
    pub fn jwk(&self) -> Value {
        json!({"kty": "RSA", "kid": self.kid, "alg": "RS256", "use": "sig", "n": self.n, "e": self.e})
    }

    /// Writes a JWKS file holding these keys' public halves.
    pub fn write_jwks(path: &Path, keys: &[&RsaKey]) {
        let jwks = json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()});
        std::fs::write(path, serde_json::to_vec_pretty(&jwks).unwrap()).unwrap();
    }

    /// Signs `claims` with RS256, naming this key's `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        install_crypto();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        let key =
            jsonwebtoken::EncodingKey::from_rsa_pem(self.private_pem.as_bytes()).expect("RSA PEM");
        jsonwebtoken::encode(&header, claims, &key).expect("sign RS256")
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP and WebSocket calls

/// An HTTP client that sends `Authorization: Bearer <token>` on every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
    value.set_sensitive(true);
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Sends `req`; returns the status and the body (JSON if it parses, else the text as a string).
pub async fn call(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = within(req.send()).await.expect("HTTP request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("HTTP body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Sends `req` and requires `status`; returns the body.
pub async fn expect_status(req: reqwest::RequestBuilder, status: u16) -> Value {
    let (got, body) = call(req).await;
    assert_eq!(got, status, "unexpected status; body: {body}");
    body
}

/// GETs `url` (status 200) and returns its JSON.
pub async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    expect_status(http.get(url), 200).await
}

/// GETs `url` (status 200) and returns its text.
pub async fn get_text(http: &reqwest::Client, url: &str) -> String {
    let res = within(http.get(url).send()).await.expect("GET");
    assert_eq!(res.status(), 200, "GET {url}");
    res.text().await.unwrap()
}

/// A room file's text as the server holds it (`GET /api/rooms/{room}/files/{path}` with an admin
/// token); `None` while the server does not answer 200.
pub async fn try_room_file(server: &Server, room: &str, path: &str) -> Option<String> {
    let url = server.http(&format!("/api/rooms/{room}/files/{path}"));
    let res = server.api().get(url).send().await.ok()?;
    if res.status() != 200 {
        return None;
    }
    res.text().await.ok()
}

/// A room file's text as the server holds it (which must answer).
pub async fn room_file(server: &Server, room: &str, path: &str) -> String {
    within(try_room_file(server, room, path))
        .await
        .unwrap_or_else(|| panic!("the server has no {path} in {room}"))
}

pub type RawSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a raw WebSocket to `url` (with `Authorization: Bearer` if `bearer` is given). A refused
/// upgrade comes back as its HTTP status and JSON body.
pub async fn ws_connect(url: &str, bearer: Option<&str>) -> Result<RawSocket, (u16, Value)> {
    use tokio_tungstenite::tungstenite::Error;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = url.into_client_request().expect("ws request");
    if let Some(token) = bearer {
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
    }
    match within(tokio_tungstenite::connect_async(req)).await {
        Ok((ws, _)) => Ok(ws),
        Err(Error::Http(res)) => {
            let body = res
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Err((res.status().as_u16(), body))
        }
        Err(e) => panic!("websocket to {url} failed without an HTTP answer: {e}"),
    }
}

/// The status and `code` of a refusal (`(101, "")` when the upgrade was accepted).
pub async fn ws_outcome(url: &str, bearer: Option<&str>) -> (u16, String) {
    match ws_connect(url, bearer).await {
        Ok(_) => (101, String::new()),
        Err((status, body)) => (status, body["code"].as_str().unwrap_or("").to_owned()),
    }
}

/// The status and `code` of an HTTP answer (`code` empty on success).
pub async fn http_outcome(req: reqwest::RequestBuilder) -> (u16, String) {
    let (status, body) = call(req).await;
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

// ---------------------------------------------------------------------------------------------
// Times

/// Formats milliseconds since the epoch as RFC 3339 (`2026-11-24T10:00:00.000Z`).
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

/// Parses an RFC 3339 time (`Z` or `±hh:mm`, any fraction) into milliseconds since the epoch.
pub fn parse_rfc3339(s: &str) -> i64 {
    let bad = || panic!("not an RFC 3339 time: {s:?}");
    let num = |r: std::ops::Range<usize>| -> i64 {
        s.get(r).and_then(|x| x.parse().ok()).unwrap_or_else(bad)
    };
    if s.len() < 20 {
        bad();
    }
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let (hh, mm, ss) = (num(11..13), num(14..16), num(17..19));
    let mut rest = &s[19..];
    let mut frac_ms = 0;
    if let Some(f) = rest.strip_prefix('.') {
        let digits = f.bytes().take_while(u8::is_ascii_digit).count();
        let padded = format!("{:0<3}", &f[..digits.min(3)]);
        frac_ms = padded.parse().unwrap_or_else(|_| bad());
        rest = &f[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o[1..3].parse::<i64>().unwrap_or_else(|_| bad()) * 60
                + o[4..6].parse::<i64>().unwrap_or_else(|_| bad()))
        }
        _ => bad(),
    };
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + hh * 3600 + mm * 60 + ss - offset_min * 60) * 1000) + frac_ms
}

// ---------------------------------------------------------------------------------------------
// Clients and documents

/// Options that reconnect quickly, for tests.
pub fn fast_reconnect() -> ClientOptions {
    ClientOptions {
        reconnect_min: Duration::from_millis(20),
        reconnect_max: Duration::from_millis(200),
        ..ClientOptions::default()
    }
}

/// A Rust peer connected to `room` with a write token, synced.
pub async fn peer(server: &Server, room: &str) -> Client {
    peer_with(server, room, &server.token(room, "write")).await
}

/// A Rust peer connected to `room` with `token`, synced.
pub async fn peer_with(server: &Server, room: &str, token: &str) -> Client {
    let client = Client::connect(
        server.ws_url_with(room, token),
        Doc::new(),
        fast_reconnect(),
    );
    within(client.synced()).await;
    client
}

/// Fails the test if `fut` takes longer than `PATIENCE`.
pub async fn within<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, fut)
        .await
        .expect("timed out waiting")
}

/// Polls `cond` until it holds (or fails the test after `PATIENCE`).
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Polls the async `cond` until it holds (or fails the test after `PATIENCE`).
pub async fn eventually_async<F: std::future::Future<Output = bool>>(
    what: &str,
    mut cond: impl FnMut() -> F,
) {
    let start = std::time::Instant::now();
    while !cond().await {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The text of `files[path]` in a client's document ("" if absent).
pub fn file_text(doc: &Doc, path: &str) -> String {
    protocol::schema::read_file(doc, path).unwrap_or_default()
}

/// Every file of a document, path to text.
pub fn files_of(doc: &Doc) -> std::collections::BTreeMap<String, String> {
    protocol::schema::file_contents(doc)
}

/// Appends `s` to `files[path]`, creating the file if needed.
pub fn append(doc: &Doc, path: &str, s: &str) {
    let files = protocol::schema::files(doc);
    let mut txn = doc.transact_mut();
    let text = match protocol::schema::file_text(&txn, &files, path) {
        Some(t) => t,
        None => yrs::Map::insert(&files, &mut txn, path, yrs::TextPrelim::new("")),
    };
    let len = yrs::Text::len(&text, &txn);
    yrs::Text::insert(&text, &mut txn, len, s);
}

/// Reads (and discards) frames from a raw WebSocket until the server's Close frame; returns its
/// code, or how the connection ended without one.
#[allow(dead_code)]
pub async fn read_until_close<S>(
    ws: &mut tokio_tungstenite::WebSocketStream<S>,
) -> Result<u16, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    loop {
        match ws.next().await {
            Some(Ok(WsMessage::Close(Some(frame)))) => return Ok(u16::from(frame.code)),
            Some(Ok(WsMessage::Close(None))) => return Err("close frame without a code".into()),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("connection failed before a close frame: {e}")),
            None => return Err("connection ended without a close frame".into()),
        }
    }
}

/// One gauge from the server's `/metrics` page.
pub async fn metric(server: &Server, name: &str) -> u64 {
    let text = reqwest::get(server.http("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
}

/// Polls the server's gauge `name` until it equals `want` (or fails after `PATIENCE`).
pub async fn metric_reaches(server: &Server, name: &str, want: u64) {
    let start = std::time::Instant::now();
    loop {
        let got = metric(server, name).await;
        if got == want {
            return;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "{name} stuck at {got}, wanted {want}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creates the empty file `path` on `creator` and waits until every other replica has it: the
/// others then type into the same `Y.Text` (concurrent creations of one map key would race, and
/// the last writer would win).
pub async fn create_file(creator: &Doc, others: &[&Doc], path: &str) {
    append(creator, path, "");
    for doc in others {
        eventually("the new file on every replica", || {
            protocol::schema::list_files(doc).len() == 1
        })
        .await;
    }
}
