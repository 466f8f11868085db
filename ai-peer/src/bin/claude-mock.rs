//! `claude-mock`: the local server speaking the Anthropic and Bedrock wire formats, as a
//! process for end-to-end tests. Its first stdout line is `claude-mock listening on
//! http://ADDR`, so a harness can read the port; SIGINT or SIGTERM stops it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use ai_peer::mock::{MockConfig, Rules, serve};
use clap::Parser;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "claude-mock",
    about = "A local mock of the Claude APIs (Anthropic and Bedrock)"
)]
struct Args {
    /// The address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// A directory of `*.jsonl` scenarios adding to or overriding the built-in ones.
    #[arg(long)]
    scenarios: Option<PathBuf>,
    /// A rules JSON file (`{"rules": [...]}`) answering requests when no script is queued.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// An accepted `x-api-key` (repeatable); without any, every key is accepted.
    #[arg(long = "api-key")]
    api_keys: Vec<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("claude-mock: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let rules = match &args.rules {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Some(Rules::from_json(&text)?)
        }
        None => None,
    };
    let config = MockConfig {
        scenarios_dir: args.scenarios,
        rules,
        api_keys: args.api_keys,
    };
    config.check()?;
    let listener = TcpListener::bind(&args.listen).await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "claude-mock listening on http://{}",
        listener.local_addr()?
    )?;
    stdout.flush()?;
    drop(stdout);

    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    serve(config, listener, shutdown).await?;
    Ok(())
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return shutdown.cancel();
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    shutdown.cancel();
}
