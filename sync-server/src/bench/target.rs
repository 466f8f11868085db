//! The server under test: one given by `--server`, or a `tandem serve` child started from this
//! very executable on 127.0.0.1:0 with a temporary data dir (`--spawn`), optionally pinned.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::CommonArgs;
use super::procfs::Proc;
use super::sys;

/// How long a spawned server may take to print its `listening on` line.
const START_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Target {
    /// `ws://HOST:PORT`
    base: String,
    /// Sent as `?token=` on every connection.
    token: String,
    pid: Option<u32>,
    spawned: Option<Spawned>,
}

struct Spawned {
    child: Child,
    _data_dir: tempfile::TempDir,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // The data dir is thrown away, so there is nothing to flush: stop at once.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Target {
    /// Connects to `--server`, or spawns a fresh server (pinned to `--server-cpu` with `--pin`).
    pub fn open(common: &CommonArgs) -> Result<Target> {
        if !common.spawn {
            let server = common
                .server
                .as_deref()
                .context("give --server ws://HOST:PORT or --spawn")?;
            let hostport = server
                .trim_start_matches("ws://")
                .trim_start_matches("http://")
                .trim_end_matches('/');
            if hostport.contains("://") || hostport.contains('/') {
                bail!("--server must look like ws://HOST:PORT, not {server}");
            }
            let token = common
                .token
                .clone()
                .context("give --token (a write token for the bench's rooms) with --server")?;
            return Ok(Target {
                base: format!("ws://{hostport}"),
                token,
                pid: common.server_pid,
                spawned: None,
            });
        }
        if common.pin {
            // The child inherits the affinity of the thread that spawns it.
            sys::pin_current_thread(common.server_cpu)?;
        }
        let secret = bench_secret();
        let spawned = spawn_server(&common.serve_args, &secret);
        if common.pin {
            sys::pin_current_thread(common.bench_cpu)?;
        }
        let (spawned, addr) = spawned?;
        Ok(Target {
            base: format!("ws://{addr}"),
            token: bench_token(&secret)?,
            pid: Some(spawned.child.id()),
            spawned: Some(spawned),
        })
    }

    /// The sync URL of `room`.
    pub fn url(&self, room: &str) -> String {
        format!("{}/sync/{room}?token={}", self.base, self.token)
    }

    /// The room link an editor joins (`http://HOST:PORT/r/{room}#token=...`).
    pub fn link(&self, room: &str) -> String {
        let http = self.base.replacen("ws://", "http://", 1);
        format!("{http}/r/{room}#token={}", self.token)
    }

    /// The server process, when known (`--spawn` or `--server-pid`).
    pub fn proc(&self) -> Option<Proc> {
        self.pid.map(Proc::pid)
    }

    /// The server process, or an error naming the flags that provide it.
    pub fn require_proc(&self) -> Result<Proc> {
        self.proc()
            .context("this scenario reads the server's /proc: use --spawn or --server-pid")
    }

    pub fn is_spawned(&self) -> bool {
        self.spawned.is_some()
    }
}

/// A throwaway secret for a spawned server (hex, so it is a plain flag value).
fn bench_secret() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..64)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

/// A write token for every room of a spawned server, for as long as a bench can run.
fn bench_token(secret: &str) -> Result<String> {
    let secret = crate::auth::Secret::from_config(secret)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let claims = crate::auth::Claims {
        room: "*".into(),
        perm: crate::auth::Perm::Write,
        sub: "bench".into(),
        name: None,
        tenant: None,
        exp: now + 7 * 24 * 3600,
        jti: None,
        iat: Some(now),
    };
    Ok(crate::auth::mint(&secret, &claims)?)
}

fn spawn_server(extra: &[String], secret: &str) -> Result<(Spawned, String)> {
    let exe = std::env::current_exe().context("locating the tandem executable")?;
    let data_dir = tempfile::Builder::new()
        .prefix("tandem-bench-")
        .tempdir()
        .context("creating a temporary data dir")?;
    let log = std::env::var("TANDEM_LOG").unwrap_or_else(|_| "warn".into());
    let mut child = Command::new(exe)
        .arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data_dir.path())
        .args(extra)
        // The bench plays every participant itself; `--serve-arg=--ai-peer=in-process` overrides.
        .env("TANDEM_AI_PEER", "off")
        .env("TANDEM_SECRET", secret)
        .env("TANDEM_LOG", log)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("spawning tandem serve")?;
    let stdout = child.stdout.take().context("no stdout from tandem serve")?;
    let spawned = Spawned {
        child,
        _data_dir: data_dir,
    };
    // Read the first line on a thread (so a silent child cannot hang us), then keep draining.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("tandem-serve-stdout".into())
        .spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        })
        .context("starting the stdout reader")?;
    let line = match rx.recv_timeout(START_TIMEOUT) {
        Ok(Some(Ok(line))) => line,
        Ok(_) => bail!("tandem serve exited before listening"),
        Err(_) => bail!("tandem serve did not print its address within {START_TIMEOUT:?}"),
    };
    let addr = line
        .strip_prefix("listening on http://")
        .with_context(|| format!("unexpected first line from tandem serve: {line}"))?
        .trim()
        .to_owned();
    Ok((spawned, addr))
}
