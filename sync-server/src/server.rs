//! `run(config, listener, shutdown)`: wires storage, rooms and HTTP together, serves until the
//! shutdown token fires, then stops in order — stop accepting, close sockets (1001), flush every
//! room, drain the storage writer.

use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::App;
use crate::config::{Config, Durability};
use crate::error::ServerError;
use crate::room::Rooms;
use crate::room::persist::Persister;
use crate::store::{SqliteStore, Store};

/// Serves on `listener` until `shutdown` is cancelled; returns once every room is flushed.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_dir(&config.data_dir).await?);
    let config = Arc::new(config);
    let addr = listener.local_addr()?;
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
    let rooms = Rooms::new(&config, store, persister, tasks.clone(), shutdown.clone());
    let app = Arc::new(App::new(
        config.clone(),
        rooms,
        shutdown.clone(),
        tasks.clone(),
        addr,
    ));
    tracing::info!(%addr, data_dir = %config.data_dir.display(), durability = ?config.durability, "serving");

    // Nagle plus delayed ACKs would add tens of milliseconds to small frames.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "set_nodelay failed");
        }
    });
    let router = crate::http::router(app.clone());
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await?;

    tracing::info!("shutting down: closing connections and flushing rooms");
    tasks.close();
    tasks.wait().await;
    // Last owner of the storage writer's queue: once dropped, the writer commits and closes.
    drop(app);
    storage_tasks.close();
    storage_tasks.wait().await;
    tracing::info!("shutdown complete");
    Ok(())
}
