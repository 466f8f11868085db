//! The test harness: starts the real `tandem` binary on port 0 in a temp data dir, reads its
//! `listening on` line, and connects real clients to it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use protocol::client::{Client, ClientOptions};
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

/// A running `tandem serve` process.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    args: Vec<String>,
}

impl Server {
    /// Starts a server on a fresh port with `data_dir` and extra flags.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        Self::start_on(
            data_dir,
            "127.0.0.1:0",
            extra.iter().map(|s| s.to_string()).collect(),
        )
    }

    fn start_on(data_dir: &Path, listen: &str, args: Vec<String>) -> Server {
        Self::try_start_on(data_dir, listen, args).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_start_on(data_dir: &Path, listen: &str, args: Vec<String>) -> Result<Server, String> {
        let mut child = Command::new(tandem_bin())
            .arg("serve")
            .arg("--listen")
            .arg(listen)
            .arg("--data-dir")
            .arg(data_dir)
            .args(&args)
            .env(
                "TANDEM_LOG",
                std::env::var("TANDEM_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn tandem: {e}"))?;
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
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Server {
            child: Some(child),
            addr,
            data_dir: data_dir.to_owned(),
            args,
        })
    }

    pub fn ws_url(&self, room: &str) -> String {
        format!("ws://{}/sync/{room}", self.addr)
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
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

    /// Starts the server again on the same address and data dir (after terminate/kill9), so
    /// reconnecting clients find it.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        let listen = self.addr.to_string();
        let mut last = String::new();
        for _ in 0..100 {
            match Self::try_start_on(&self.data_dir, &listen, self.args.clone()) {
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

fn send_signal(pid: i32, sig: i32) {
    #[allow(unsafe_code)]
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Options that reconnect quickly, for tests.
pub fn fast_reconnect() -> ClientOptions {
    ClientOptions {
        reconnect_min: Duration::from_millis(20),
        reconnect_max: Duration::from_millis(200),
        ..ClientOptions::default()
    }
}

/// A Rust peer connected to `room`, synced.
pub async fn peer(server: &Server, room: &str) -> Client {
    let client = Client::connect(server.ws_url(room), Doc::new(), fast_reconnect());
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

/// The text of `files[path]` in a client's document ("" if absent).
pub fn file_text(doc: &Doc, path: &str) -> String {
    protocol::schema::read_file(doc, path).unwrap_or_default()
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
