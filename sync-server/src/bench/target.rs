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
            return Ok(Target {
                base: format!("ws://{hostport}"),
                pid: common.server_pid,
                spawned: None,
            });
        }
        if common.pin {
            // The child inherits the affinity of the thread that spawns it.
            sys::pin_current_thread(common.server_cpu)?;
        }
        let spawned = spawn_server(&common.serve_args);
        if common.pin {
            sys::pin_current_thread(common.bench_cpu)?;
        }
        let (spawned, addr) = spawned?;
        Ok(Target {
            base: format!("ws://{addr}"),
            pid: Some(spawned.child.id()),
            spawned: Some(spawned),
        })
    }

    /// The sync URL of `room`.
    pub fn url(&self, room: &str) -> String {
        format!("{}/sync/{room}", self.base)
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

fn spawn_server(extra: &[String]) -> Result<(Spawned, String)> {
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
