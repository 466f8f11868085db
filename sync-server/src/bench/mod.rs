//! `tandem bench`: a load generator speaking the y-websocket protocol; prints one JSON report.
//!
//! Scenarios: `fanout` (delivery latency in one busy room), `rooms` (server memory per idle
//! room), `coldload` (a large document to fresh clients), `agent-edit` (the AI peer's edit
//! path: delta to peer, and people's keystrokes while it streams) and `editor` (a keystroke in
//! real Neovim to another client). The bench runs on its own thread
//! and runtime (current-thread by default) so that `--pin` can give it exactly one core.

mod agent;
mod coldload;
mod editor;
mod fanout;
mod procfs;
mod rooms;
mod stats;
mod sys;
mod target;
mod wire;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use target::Target;

/// Arguments of `tandem bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub scenario: Scenario,
}

#[derive(Debug, clap::Subcommand)]
pub enum Scenario {
    /// C clients in one room, W of them typing R edits/s; delivery latency, CPU, losses.
    Fanout(fanout::FanoutArgs),
    /// K rooms of 2 clients that synced and edited once; server RSS per room.
    Rooms(rooms::RoomsArgs),
    /// Replays an editing trace into a room, then times fresh clients fetching the document.
    Coldload(coldload::ColdloadArgs),
    /// The AI peer's streaming edits: tool-input delta to another client, and keystroke latency
    /// idle versus while the agent streams at full pacing speed.
    AgentEdit(agent::AgentEditArgs),
    /// A keystroke typed in real Neovim (the clients/nvim plugin and its bridge) until another
    /// client of the room sees it.
    Editor(editor::EditorArgs),
}

impl Scenario {
    fn common(&self) -> &CommonArgs {
        match self {
            Scenario::Fanout(a) => &a.common,
            Scenario::Rooms(a) => &a.common,
            Scenario::Coldload(a) => &a.common,
            Scenario::AgentEdit(a) => &a.common,
            Scenario::Editor(a) => &a.common,
        }
    }
}

/// Flags every scenario takes.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// The server to load, `ws://HOST:PORT` (required unless --spawn).
    #[arg(long, required_unless_present = "spawn")]
    pub server: Option<String>,
    /// Start a fresh `tandem serve` (this executable) on 127.0.0.1:0 with a temp data dir, per run.
    #[arg(long, conflicts_with = "server")]
    pub spawn: bool,
    /// Pin the spawned server to --server-cpu and the bench to --bench-cpu.
    #[arg(long)]
    pub pin: bool,
    #[arg(long, default_value_t = 0)]
    pub server_cpu: usize,
    #[arg(long, default_value_t = 1)]
    pub bench_cpu: usize,
    /// A write token covering the bench's rooms on --server (e.g. from `tandem token --room '*'
    /// --perm write`); a spawned server gets its own secret and the bench mints one.
    #[arg(
        long,
        env = "TANDEM_BENCH_TOKEN",
        hide_env_values = true,
        conflicts_with = "spawn"
    )]
    pub token: Option<String>,
    /// Pid of an external server, to sample its CPU and RSS.
    #[arg(long, conflicts_with = "spawn")]
    pub server_pid: Option<u32>,
    /// Extra argument for the spawned `tandem serve` (repeatable), e.g. --serve-arg=--read-buffer-bytes=4096.
    #[arg(long = "serve-arg", allow_hyphen_values = true, requires = "spawn")]
    pub serve_args: Vec<String>,
    /// Runtime threads of the bench itself (1: a current-thread runtime).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Repeat the scenario (a fresh server each time with --spawn) and add per-field medians.
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
}

/// Runs the scenario on a dedicated thread and prints its JSON report on stdout.
pub async fn run(args: BenchArgs) -> Result<()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("tandem-bench".into())
        .spawn(move || {
            let _ = tx.send(run_here(&args.scenario));
        })
        .context("starting the bench thread")?;
    let report = rx.await.context("the bench thread died")??;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

fn run_here(scenario: &Scenario) -> Result<Value> {
    let common = scenario.common();
    if let Err(e) = sys::raise_open_files_limit() {
        eprintln!("bench: could not raise the open-files limit: {e}");
    }
    if common.pin {
        sys::pin_current_thread(common.bench_cpu)?;
    }
    let runtime = if common.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(common.threads).enable_all();
        if common.pin {
            let cpu = common.bench_cpu;
            builder.on_thread_start(move || {
                if let Err(e) = sys::pin_current_thread(cpu) {
                    eprintln!("bench: {e:#}");
                }
            });
        }
        builder.build()?
    };
    // block_on polls this future on the current (pinned) thread, which also spawns the servers.
    runtime.block_on(run_all(scenario, common))
}

async fn run_all(scenario: &Scenario, common: &CommonArgs) -> Result<Value> {
    let mut runs = Vec::new();
    for i in 0..common.runs.max(1) {
        let target = Target::open(common)?;
        let mut report = match scenario {
            Scenario::Fanout(a) => fanout::run(a, &target).await?,
            Scenario::Rooms(a) => rooms::run(a, &target).await?,
            Scenario::Coldload(a) => coldload::run(a, &target).await?,
            Scenario::AgentEdit(a) => agent::run(a, &target).await?,
            Scenario::Editor(a) => editor::run(a, &target).await?,
        };
        report["pinning"] = pinning(common, &target);
        eprintln!("bench: run {} of {} done", i + 1, common.runs.max(1));
        drop(target);
        runs.push(report);
        if i + 1 < common.runs {
            // Let the old server's sockets and memory go before the next one starts.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
    if runs.len() == 1 {
        return Ok(runs.swap_remove(0));
    }
    let median = stats::median_json(&runs);
    Ok(json!({ "median": median, "runs": runs }))
}

/// Where the server and the bench were allowed to run.
fn pinning(common: &CommonArgs, target: &Target) -> Value {
    let server = target.proc().and_then(|p| p.cpus_allowed().ok());
    let bench = procfs::Proc::this_thread().cpus_allowed().ok();
    json!({
        "requested": common.pin,
        "server_spawned": target.is_spawned(),
        "server_cpus": server,
        "bench_cpus": bench,
    })
}

/// A room name no earlier run used, so reports never mix with old data.
fn fresh_room(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("bench-{prefix}-{}-{nanos}", std::process::id())
}

/// Load average now, for the report.
fn loadavg_json() -> Value {
    procfs::loadavg().map(|l| json!(l)).unwrap_or(Value::Null)
}
