//! `tandem-bridge`: an editor's seat in a Tandem room over stdio (see PROTOCOL.md).

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "tandem-bridge",
    version,
    about = "An editor's seat in a Tandem room over stdio JSON lines"
)]
struct Cli {
    #[command(flatten)]
    config: bridge::Config,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    // stdout is the protocol: logs go to stderr only.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TANDEM_BRIDGE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    std::process::exit(bridge::main_with(cli.config).await);
}
