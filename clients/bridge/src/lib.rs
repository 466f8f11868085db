//! tandem-bridge: gives an editor (Neovim, VS Code, anything that can run a process) a seat in a
//! Tandem room, speaking newline-delimited JSON over stdio (PROTOCOL.md). The edit exchange is
//! sans-IO (`buffer`, `session`): offsets in the editor's unit, the editor's buffer stamped with
//! its change counter, so a remote edit computed against a stale buffer is never applied and is
//! re-derived instead. `run` is the shell: the room connection, the feeds, the stdio loop.

pub mod buffer;
pub mod chat_feed;
pub mod config;
pub mod error;
pub mod joined;
pub mod lines;
pub mod link;
pub mod presence;
pub mod run;
pub mod run_feed;
pub mod session;
pub mod units;
pub mod wire;

pub use buffer::{Buffer, BufferError, Change, RemoteEdit};
pub use config::Config;
pub use error::BridgeError;
pub use run::run;
pub use units::Units;

/// Exit status when the editor speaks a protocol version this bridge does not.
pub const EXIT_UNSUPPORTED: i32 = 2;

/// The process entry shared by `tandem-bridge` and `tandem bridge`: stdio, logs on stderr,
/// SIGTERM/SIGINT as a clean leave. Returns the exit status.
pub async fn main_with(config: Config) -> i32 {
    let shutdown = tokio_util::sync::CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        signal.cancel();
    });
    match run(config, tokio::io::stdin(), tokio::io::stdout(), shutdown).await {
        Ok(()) => 0,
        Err(BridgeError::UnsupportedProtocol(_)) => EXIT_UNSUPPORTED,
        Err(e) => {
            tracing::error!(error = %e, "bridge stopped");
            1
        }
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}
