//! The `tandem` command line: `serve` (and, later, more subcommands), signal handling and logging.

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::ServeArgs;

#[derive(Debug, Parser)]
#[command(
    name = "tandem",
    version,
    about = "Real-time collaboration engine for pair programming with an AI"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the sync server.
    Serve(ServeArgs),
    /// Load-test a server over the y-websocket protocol; prints a JSON report.
    Bench(crate::bench::BenchArgs),
    /// Mint a capability token; prints the token, then the room link.
    Token(crate::token_cmd::TokenArgs),
}

/// Entry point of the binary.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TANDEM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Bench(args) => crate::bench::run(args).await,
            Command::Token(args) => crate::token_cmd::run(args).await,
        }
    })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.resolve()?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    // One machine-readable line that scripts and tests wait for.
    println!("listening on http://{}", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone())?;
    crate::server::run(config, listener, shutdown).await?;
    Ok(())
}

fn spawn_signal_handler(shutdown: CancellationToken) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = int.recv() => tracing::info!("SIGINT"),
        }
        shutdown.cancel();
    });
    Ok(())
}
