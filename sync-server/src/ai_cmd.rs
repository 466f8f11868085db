//! `tandem ai`: Claude as a peer in the rooms of a server running elsewhere (that server runs
//! with `--ai-peer off`) — the same agent `tandem serve` hosts in-process, until Ctrl-C/SIGTERM.

use std::path::PathBuf;
use std::sync::Arc;

use ai_peer::agent::ServerAccess;
use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::config::load_file;

#[derive(Debug, clap::Args)]
pub struct AiArgs {
    /// The sync server's base URL, e.g. http://127.0.0.1:8787.
    #[arg(long)]
    pub server: String,
    /// The agent's token: write access to the rooms it serves (e.g. `tandem token --room '*'
    /// --perm write --sub ai:claude`).
    #[arg(long, env = "TANDEM_AI_TOKEN", hide_env_values = true)]
    pub token: String,
    /// A TOML file whose `[ai]` table configures providers, models and the agent (`[ai.peer]`)
    /// (the file `tandem serve --config` reads). Without one: `ANTHROPIC_API_KEY` and defaults.
    #[arg(long, env = "TANDEM_CONFIG")]
    pub config: Option<PathBuf>,
}

pub async fn run(args: AiArgs) -> anyhow::Result<()> {
    let url = args.server.trim_end_matches('/').to_owned();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        anyhow::bail!("--server {url:?}: want http://HOST:PORT or https://HOST");
    }
    let settings = match &args.config {
        Some(path) => load_file(path)?.ai,
        None => ai_peer::config::AiSettings::default(),
    };
    check_token(&url, &args.token).await?;
    let env = |name: &str| std::env::var(name).ok();
    let gateway = settings.gateway(&env).await.map(Arc::new);
    // Signals are caught before the ready line: whoever waits for it may stop us right after.
    let shutdown = CancellationToken::new();
    crate::cli::spawn_signal_handler(shutdown.clone())?;
    match &gateway {
        Ok(_) => tracing::info!(server = %url, gateway = "ready", "AI peer"),
        Err(e) => {
            tracing::info!(server = %url, gateway = %format!("unavailable: {e}"), "AI peer")
        }
    }
    let server = ServerAccess {
        url,
        token: args.token,
    };
    ai_peer::agent::run(settings.peer, server, gateway, shutdown)
        .await
        .context("AI peer")?;
    tracing::info!("AI peer stopped");
    Ok(())
}

/// Fails fast on a token the server refuses: retrying would not help. A server that cannot be
/// reached yet is only a warning (it may still be starting); the agent keeps trying.
async fn check_token(url: &str, token: &str) -> anyhow::Result<()> {
    let res = reqwest::Client::new()
        .get(format!("{url}/api/live"))
        .bearer_auth(token)
        .send()
        .await;
    match res {
        Ok(res) if res.status().is_success() => Ok(()),
        Ok(res) if matches!(res.status().as_u16(), 401 | 403) => {
            let status = res.status();
            let body = res.text().await.unwrap_or_default();
            anyhow::bail!("the server refused the token ({status}): {body}")
        }
        Ok(res) => {
            tracing::warn!(status = %res.status(), "the server answered the token check with an error");
            Ok(())
        }
        Err(e) => {
            tracing::warn!(error = %e, "the server cannot be reached yet");
            Ok(())
        }
    }
}
