//! `tandem ask`: one question to Claude through the gateway, with the same `[ai]` settings the
//! AI peer uses — a quick check that keys, providers and routing work.

use std::io::Write;
use std::path::PathBuf;

use ai_peer::gateway::Call;
use ai_peer::{Event, Request, SystemBlock};
use anyhow::Context;
use futures_util::StreamExt;

use crate::config::load_file;

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The question.
    pub prompt: String,
    /// A TOML file whose `[ai]` table configures providers, keys and models (the file
    /// `tandem serve --config` reads). Without one: `ANTHROPIC_API_KEY` and the defaults.
    #[arg(long, env = "TANDEM_CONFIG")]
    pub config: Option<PathBuf>,
    /// A model by its registry name (e.g. claude-sonnet-5-5), instead of the router's choice.
    #[arg(long)]
    pub model: Option<String>,
    /// A system prompt.
    #[arg(long)]
    pub system: Option<String>,
    #[arg(long, default_value_t = 1024)]
    pub max_tokens: u32,
    /// Print every event as a JSON line instead of the text.
    #[arg(long)]
    pub events: bool,
}

pub async fn run(args: AskArgs) -> anyhow::Result<()> {
    let settings = match &args.config {
        Some(path) => load_file(path)?.ai,
        None => ai_peer::config::AiSettings::default(),
    };
    let env = |name: &str| std::env::var(name).ok();
    let gateway = settings.gateway(&env).await.context("AI settings")?;
    let mut request = Request::user(args.prompt, args.max_tokens);
    request.system = args.system.into_iter().map(SystemBlock::Text).collect();
    let mut call = Call::new(request, "cli", "cli");
    call.model = args.model;
    let mut answer = gateway.stream(call).await.context("model call")?;
    let mut out = std::io::stdout().lock();
    let mut failure = None;
    while let Some(item) = answer.next().await {
        match item {
            Ok(event) if args.events => writeln!(out, "{}", serde_json::to_string(&event)?)?,
            Ok(Event::TextDelta { text, .. }) => write!(out, "{text}")?,
            Ok(Event::ToolUseStart { name, .. }) => write!(out, "\n[tool call: {name}] ")?,
            Ok(Event::ToolInputDelta { partial_json, .. }) => write!(out, "{partial_json}")?,
            Ok(_) => {}
            Err(e) => failure = Some(e),
        }
        out.flush()?;
    }
    if !args.events {
        writeln!(out)?;
    }
    if let Some(r) = answer.record() {
        eprintln!(
            "model {} via {} (key {}): {} input, {} output, {} cache write, {} cache read tokens; ${:.6}; first token {} ms, total {} ms",
            r.model,
            r.provider.as_str(),
            r.key_id.as_deref().unwrap_or("-"),
            r.usage.input_tokens,
            r.usage.output_tokens,
            r.usage.cache_write_tokens,
            r.usage.cache_read_tokens,
            r.cost_usd,
            r.first_token.map_or(0, |d| d.as_millis()),
            r.total.as_millis(),
        );
    }
    match failure {
        Some(e) => Err(anyhow::Error::new(e).context("the answer broke off")),
        None => Ok(()),
    }
}
