//! `run(config, listener, shutdown)`: wires storage, rooms, the runner, the in-process AI peer and
//! HTTP together, serves until the shutdown token fires, then stops in order — tell the AI peer to
//! leave, stop accepting, close sockets (1001), let runs record their end, flush every room, drain
//! the storage writer, stop the runner.

use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::{Access, Grant, issue};
use crate::app::App;
use crate::auth::{Expect, Perm, Secret, Verifier};
use crate::config::{AiPeerMode, Config, Durability, RunnerSetup};
use crate::error::ServerError;
use crate::room::Rooms;
use crate::room::persist::Persister;
use crate::runs::{RunnerClient, Runs};
use crate::store::{SqliteStore, Store};

/// How long shutdown waits for runs to write their final status (they stop at once; this only
/// bounds the room edits that record it).
const RUNS_DRAIN: Duration = Duration::from_secs(10);
/// How long shutdown waits for an in-process runner to kill its jobs and remove their cgroups.
const RUNNER_STOP: Duration = Duration::from_secs(15);

/// Serves on `listener` until `shutdown` is cancelled; returns once every room is flushed.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_dir(&config.data_dir).await?);
    let config = Arc::new(config);
    let addr = listener.local_addr()?;
    let access = Arc::new(access(&config, &*store, addr).await?);
    let commit_interval = match config.durability {
        Durability::Strict => std::time::Duration::ZERO,
        Durability::Batched => config.commit_interval,
    };
    let storage_tasks = TaskTracker::new();
    let persister = Persister::spawn(
        store.clone(),
        config.persist_queue,
        commit_interval,
        &storage_tasks,
    );
    let tasks = TaskTracker::new();
    // Rooms stop after the shutdown signal, once runs have written their final status into them.
    let rooms_stop = CancellationToken::new();
    let rooms = Rooms::new(&config, store, persister, tasks.clone(), rooms_stop.clone());
    let (runner_client, in_process) = start_runner(&config.runner, &shutdown)?;
    let runs = Runs::new(runner_client, rooms.clone(), shutdown.clone());
    if config.secret.is_none() {
        local_mode(&config, &access, &rooms).await?;
    }
    let app = Arc::new(App::new(
        config.clone(),
        rooms,
        access,
        runs.clone(),
        shutdown.clone(),
        tasks.clone(),
        addr,
    ));
    tracing::info!(%addr, data_dir = %config.data_dir.display(), durability = ?config.durability, "serving");
    if config.ai_peer == AiPeerMode::InProcess {
        start_ai_peer(&config, &app.access, &app.rooms, addr, &shutdown, &tasks).await?;
    }

    // Nagle plus delayed ACKs would add tens of milliseconds to small frames.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "set_nodelay failed");
        }
    });
    // The peer's address: the start page's room creation is for this machine only.
    let router = crate::http::router(app.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await?;

    tracing::info!("shutting down: ending runs, closing connections and flushing rooms");
    runs.drain(RUNS_DRAIN).await;
    rooms_stop.cancel();
    tasks.close();
    tasks.wait().await;
    // Runs that outlived the drain end now that rooms refuse edits.
    runs.stopped().await;
    // Last owners of the storage writer's queue: once dropped, the writer commits and closes.
    drop(app);
    drop(runs);
    storage_tasks.close();
    storage_tasks.wait().await;
    if let Some(runner) = in_process
        && tokio::time::timeout(RUNNER_STOP, runner.stopped())
            .await
            .is_err()
    {
        tracing::warn!("in-process runner did not stop in time");
    }
    tracing::info!("shutdown complete");
    Ok(())
}

/// The runner runs go to: a client for it, and the in-process runner to wait for at shutdown
/// (which stops with `shutdown`).
fn start_runner(
    setup: &RunnerSetup,
    shutdown: &CancellationToken,
) -> Result<(Option<RunnerClient>, Option<runner::server::InProcess>), ServerError> {
    Ok(match setup {
        RunnerSetup::InProcess(config) => {
            let runner = runner::server::in_process((**config).clone(), shutdown.clone())?;
            (Some(runner.client.clone()), Some(runner))
        }
        RunnerSetup::Remote(url) => {
            tracing::info!(url, "runs go to a separate runner");
            (Some(runner::server::connect(url)?), None)
        }
        RunnerSetup::Off => {
            tracing::warn!("no runner: runs are refused");
            (None, None)
        }
    })
}

/// Who the in-process AI peer is, in its token and the audit log.
const AI_PEER_SUB: &str = "ai:claude";

/// Starts Claude as a peer of this server's rooms: it connects to our own listener like any
/// client, with a token of its own (write over every room), and stops as soon as shutdown begins
/// (its child token), while rooms still take edits. The server's tracker waits for it.
async fn start_ai_peer(
    config: &Config,
    access: &Access,
    rooms: &Rooms,
    addr: std::net::SocketAddr,
    shutdown: &CancellationToken,
    tasks: &TaskTracker,
) -> Result<(), ServerError> {
    let settings = config.ai.peer.clone();
    let grant = Grant {
        room: "*".into(),
        perm: Perm::Write,
        sub: AI_PEER_SUB.into(),
        name: Some(settings.name.clone()),
        tenant: None,
        ttl: crate::access::MAX_TTL,
        not_after: None,
    };
    let (token, _) = issue(access.secret(), &**rooms.store(), &grant, "server")
        .await
        .map_err(|e| ServerError::AiPeer(e.to_string()))?;
    let env = |name: &str| std::env::var(name).ok();
    let gateway = config.ai.gateway(&env).await.map(Arc::new);
    match &gateway {
        Ok(_) => tracing::info!(gateway = "ready", "AI peer in-process"),
        Err(e) => tracing::info!(gateway = %format!("unavailable: {e}"), "AI peer in-process"),
    }
    let server = ai_peer::agent::ServerAccess {
        url: format!("http://{}", reachable(addr)),
        token,
    };
    let stop = shutdown.child_token();
    tasks.spawn(async move {
        if let Err(e) = ai_peer::agent::run(settings, server, gateway, stop).await {
            tracing::error!(error = %e, "AI peer stopped");
        }
    });
    Ok(())
}

/// Where this process reaches its own listener: a wildcard address means loopback.
fn reachable(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    std::net::SocketAddr::new(ip, addr.port())
}

/// Token checks for this server: the configured secret, or in local mode the data dir's.
async fn access(
    config: &Config,
    store: &dyn Store,
    addr: std::net::SocketAddr,
) -> Result<Access, ServerError> {
    let secret = match &config.secret {
        Some(s) => Secret::from_config(&s.0)?,
        None => Secret::load_or_generate(&config.data_dir).await?.0,
    };
    let expect = Expect {
        audience: config.jwt_audience.clone(),
        issuer: config.jwt_issuer.clone(),
    };
    let verifier = Verifier::with_expect(&secret, config.jwks.as_deref(), expect).await?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    Ok(Access::new(secret, verifier, store, public_url, config.link_ttl).await?)
}

/// Name of the room whose edit link local mode prints.
const LOCAL_ROOM: &str = "welcome";

/// Local mode (no secret configured): print an admin token and a ready edit link on stdout, for
/// the person at the terminal. Never in the log: stdout here is the console, not the log stream.
async fn local_mode(config: &Config, access: &Access, rooms: &Rooms) -> Result<(), ServerError> {
    let store = rooms.store();
    let grant = |room: &str, perm| Grant {
        room: room.to_owned(),
        perm,
        sub: "local".into(),
        name: None,
        tenant: None,
        ttl: config.link_ttl,
        not_after: None,
    };
    let issued = async {
        let (admin, _) =
            issue(access.secret(), &**store, &grant("*", Perm::Admin), "local").await?;
        let (edit, _) = issue(
            access.secret(),
            &**store,
            &grant(LOCAL_ROOM, Perm::Write),
            "local",
        )
        .await?;
        Ok::<_, crate::access::IssueError>((admin, edit))
    };
    let (admin, edit) = issued
        .await
        .map_err(|e| ServerError::Local(e.to_string()))?;
    println!(
        "local mode: no secret configured; tokens are signed with the secret in {}",
        config.data_dir.join("secret").display()
    );
    println!("admin token: {admin}");
    println!("edit link: {}", access.link(LOCAL_ROOM, &edit));
    tracing::info!("local mode: admin token and edit link printed on stdout");
    Ok(())
}
