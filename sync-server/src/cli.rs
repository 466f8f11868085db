//! The `tandem` command line: `serve`, `runner`, `bench`, `token`, `ask`, `ai`, `bridge` and the hidden `jail`
//! helper; signal handling and logging.

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
    /// Run the code runner as its own gRPC service (for `tandem serve --runner-url`).
    Runner(crate::runner_cmd::RunnerArgs),
    /// Ask Claude one question through the configured providers (the `[ai]` settings); the
    /// answer streams to stdout, the call's model, tokens and cost to stderr.
    Ask(crate::ask_cmd::AskArgs),
    /// Run Claude as a peer in the rooms of a separate server (started with `--ai-peer off`);
    /// `tandem serve` hosts the same agent in-process by default.
    Ai(crate::ai_cmd::AiArgs),
    /// An editor's seat in a room over stdio JSON lines (the same program as `tandem-bridge`;
    /// clients/bridge/PROTOCOL.md).
    Bridge(BridgeArgs),
    /// The runner's jail helper: one sandboxed run, its spec read from stdin (started by the
    /// runner, never by hand).
    #[command(hide = true)]
    Jail,
}

#[derive(Debug, clap::Args)]
pub struct BridgeArgs {
    #[command(flatten)]
    config: bridge::Config,
}

/// The hidden subcommand the runner starts for every run (see `config::jail_command`).
pub const JAIL: &str = "jail";

/// Entry point of the binary.
pub fn main() -> anyhow::Result<()> {
    // The jail helper forks to build the sandbox, which is only safe in a single-threaded
    // process: it must start before any runtime, logging or parsing machinery.
    if std::env::args_os().nth(1).is_some_and(|a| a == JAIL) {
        runner::jail::main();
    }
    let cli = Cli::parse();
    if let Command::Jail = cli.command {
        runner::jail::main();
    }
    // The bridge's stderr lands in an editor's message area: only what goes wrong.
    let default_level = match cli.command {
        Command::Bridge(_) => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TANDEM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
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
            Command::Runner(args) => crate::runner_cmd::run(args).await,
            Command::Ask(args) => crate::ask_cmd::run(args).await,
            Command::Ai(args) => crate::ai_cmd::run(args).await,
            Command::Bridge(args) => std::process::exit(bridge::main_with(args.config).await),
            Command::Jail => unreachable!("handled before the runtime starts"),
        }
    })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.resolve()?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone())?;
    // One machine-readable line that scripts and tests wait for (signals are caught by now).
    println!("listening on http://{}", listener.local_addr()?);
    crate::server::run(config, listener, shutdown).await?;
    Ok(())
}

pub(crate) fn spawn_signal_handler(shutdown: CancellationToken) -> std::io::Result<()> {
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
