//! Starting a runner: detect cgroups, make the runtime dir, serve gRPC on a listener
//! (`tandem runner`) or in memory for a host process (`tandem serve`'s default).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};

use crate::RunnerError;
use crate::cgroup::Cgroups;
use crate::config::Config;
use crate::job::Context;
use crate::pool::Pool;
use crate::proto::runner_client::RunnerClient;
use crate::proto::runner_server::RunnerServer;
use crate::service::RunnerService;

/// Connecting to a separate runner gives up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// HTTP/2 pings on client connections to a separate runner, and how long an answer may take.
const HTTP2_KEEPALIVE: Duration = Duration::from_secs(20);
/// TCP keepalive on the runner's accepted connections.
const TCP_KEEPALIVE: Duration = Duration::from_secs(60);
/// Largest event a client accepts (output chunks are at most `job::READ_CHUNK`).
const MAX_EVENT_BYTES: usize = 1 << 20;

/// In-memory connections queued for the in-process server before it accepts them.
const IN_PROCESS_ACCEPT_QUEUE: usize = 16;
/// Buffer of one in-memory connection, each way.
const IN_PROCESS_PIPE_BYTES: usize = 256 << 10;

/// A runner's shared parts, made once at start.
struct Started {
    service: RunnerService,
    tasks: TaskTracker,
    runtime: RuntimeDir,
    cgroups: Cgroups,
    pool: Arc<Pool>,
}

impl Started {
    /// After the server stopped: stop the warm helpers, wait for every run and cgroup removal,
    /// then remove our parent cgroup and the runtime dir.
    async fn finish(self) {
        let Started {
            service,
            tasks,
            runtime,
            cgroups,
            pool,
        } = self;
        drop(service);
        pool.drain();
        tasks.close();
        tasks.wait().await;
        cgroups.remove_parent();
        drop(runtime);
    }
}

fn start(config: Config, shutdown: &CancellationToken) -> Result<Started, RunnerError> {
    // One parent cgroup per runner instance: several runners may share a host (and a process,
    // in tests), and each sweeps only its own.
    static INSTANCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = INSTANCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let parent = format!("{}-{}-{n}", config.cgroup_parent, std::process::id());
    let cgroups = Cgroups::detect(config.cgroup, &parent)?;
    for stale in cgroups.dead_siblings(&config.cgroup_parent) {
        tracing::warn!("removing cgroup {stale} of a runner that is gone");
        if let Ok(old) = Cgroups::detect(config.cgroup, &stale) {
            old.remove_parent();
        }
    }
    tracing::info!(
        cgroup = %cgroups.mode(),
        slots = config.slots,
        per_room = config.per_room,
        "runner ready (cgroup {})",
        cgroups.mode()
    );
    if cgroups.mode() == crate::cgroup::Mode::None {
        tracing::warn!(
            "runner without cgroups: memory, process and CPU quotas are not enforced (rlimits only)"
        );
    }
    for l in &config.languages {
        if let Err(e) = l.check_installed() {
            tracing::info!("language {} unavailable: {e}", l.name);
        }
    }
    let runtime = RuntimeDir::create()?;
    let tasks = TaskTracker::new();
    let pool = Pool::new(
        config.slots,
        config.jail.clone(),
        cgroups.clone(),
        tasks.clone(),
    );
    let ctx = Context {
        config: Arc::new(config),
        cgroups: cgroups.clone(),
        runtime_dir: runtime.0.clone(),
        cleanup: tasks.clone(),
        pool: pool.clone(),
    };
    let service = RunnerService::new(ctx, tasks.clone(), shutdown.clone());
    Ok(Started {
        service,
        tasks,
        runtime,
        cgroups,
        pool,
    })
}

/// Serves the runner on `listener` until `shutdown`; running jobs are killed (cancelled) and
/// awaited before it returns.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), RunnerError> {
    let s = start(config, &shutdown)?;
    // Nagle would hold each small event back until the client's delayed ACK (40 ms).
    let incoming = TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(TCP_KEEPALIVE));
    let max = s.service.max_request_bytes();
    let result = Server::builder()
        .add_service(RunnerServer::new(s.service.clone()).max_decoding_message_size(max))
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await;
    s.finish().await;
    result.map_err(|e| RunnerError::Io(std::io::Error::other(e)))
}

/// A client for a runner at `url` (e.g. `http://10.0.0.5:50051`). Connects lazily, so a runner
/// that starts later (or restarts) is reached on the next call.
pub fn connect(url: &str) -> Result<RunnerClient<Channel>, RunnerError> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|e| RunnerError::Config(format!("runner url {url:?}: {e}")))?
        .tcp_nodelay(true)
        .connect_timeout(CONNECT_TIMEOUT)
        // A runner host that silently drops packets must not hold a run's stream forever.
        .http2_keep_alive_interval(HTTP2_KEEPALIVE)
        .keep_alive_timeout(HTTP2_KEEPALIVE)
        .keep_alive_while_idle(true);
    let client = RunnerClient::new(endpoint.connect_lazy())
        .max_encoding_message_size(usize::MAX)
        .max_decoding_message_size(MAX_EVENT_BYTES);
    Ok(client)
}

/// A runner living in this process, reached through an ordinary gRPC client over in-memory
/// connections (so the host uses exactly the path a remote runner would).
pub struct InProcess {
    pub client: RunnerClient<Channel>,
    done: tokio::task::JoinHandle<()>,
}

impl InProcess {
    /// Waits until the runner has stopped (after `shutdown` was cancelled).
    pub async fn stopped(self) {
        let _ = self.done.await;
    }
}

pub fn in_process(config: Config, shutdown: CancellationToken) -> Result<InProcess, RunnerError> {
    let s = start(config, &shutdown)?;
    let (conn_tx, conn_rx) = mpsc::channel(IN_PROCESS_ACCEPT_QUEUE);
    let incoming = ReceiverStream::new(conn_rx);
    let done = tokio::spawn(async move {
        let max = s.service.max_request_bytes();
        let served = Server::builder()
            .add_service(RunnerServer::new(s.service.clone()).max_decoding_message_size(max))
            .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::error!("in-process runner stopped: {e}");
        }
        s.finish().await;
    });
    let channel = Endpoint::from_static("http://runner.in-process").connect_with_connector_lazy(
        tower::service_fn(move |_| {
            let conn_tx = conn_tx.clone();
            async move {
                let (client, server) = tokio::io::duplex(IN_PROCESS_PIPE_BYTES);
                conn_tx
                    .send(Ok::<_, std::io::Error>(server))
                    .await
                    .map_err(|_| std::io::Error::other("in-process runner stopped"))?;
                Ok::<_, std::io::Error>(TokioIo::new(client))
            }
        }),
    );
    let client = RunnerClient::new(channel)
        .max_encoding_message_size(usize::MAX)
        .max_decoding_message_size(MAX_EVENT_BYTES);
    Ok(InProcess { client, done })
}

/// The runner's scratch dir: empty `work`, `root` and `mnt` mount points (each helper mounts its own
/// private tmpfs over them) and the helpers' report files. Removed when dropped.
struct RuntimeDir(PathBuf);

/// Runtime dirs are named `tandem-runner-<pid>-<random>`.
const RUNTIME_PREFIX: &str = "tandem-runner-";

impl RuntimeDir {
    fn create() -> Result<Self, RunnerError> {
        use std::os::unix::fs::PermissionsExt;
        let tmp = std::env::temp_dir();
        sweep_dead(&tmp);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{RUNTIME_PREFIX}{}-", std::process::id()))
            .tempdir_in(&tmp)?
            .keep();
        // The sandbox user must reach the mount points (after it drops root, the helper still
        // walks this path).
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
        for sub in ["work", "root", "mnt"] {
            std::fs::create_dir(dir.join(sub))?;
        }
        Ok(RuntimeDir(dir))
    }
}

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Removes the runtime dirs of runners that are gone (killed before they could clean up).
fn sweep_dead(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(RUNTIME_PREFIX))
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
