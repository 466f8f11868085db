//! `tandem runner`: the runner as its own gRPC service, for deployments that keep untrusted code
//! off the sync servers (`tandem serve --runner-url http://ADDR`).

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use crate::config::{load_file, resolve_runner};

#[derive(Debug, clap::Args)]
pub struct RunnerArgs {
    /// Address to serve gRPC on (port 0 picks a free port). Keep it on a private network: the
    /// service has no authentication of its own.
    #[arg(long, env = "TANDEM_RUNNER_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// A TOML file whose `[runner]` table holds the runner settings (the same file `tandem serve`
    /// reads; its other keys are checked but unused here).
    #[arg(long, env = "TANDEM_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: runner::Settings,
}

pub async fn run(args: RunnerArgs) -> anyhow::Result<()> {
    let file = match &args.config {
        Some(path) => load_file(path)?.runner,
        None => runner::Settings::default(),
    };
    let config = resolve_runner(file, args.settings)?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let shutdown = CancellationToken::new();
    crate::cli::spawn_signal_handler(shutdown.clone())?;
    // The same machine-readable line as `tandem serve` (signals are caught by now).
    println!("listening on http://{}", listener.local_addr()?);
    runner::server::run(config, listener, shutdown).await?;
    tracing::info!("runner stopped");
    Ok(())
}
