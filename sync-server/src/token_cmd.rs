//! `tandem token`: mints a capability token offline with the server's secret (from the same
//! config, environment or data dir as `tandem serve`) and records the mint in the audit log.

use crate::access::{Grant, issue};
use crate::auth::{Perm, Secret, valid_room_pattern};
use crate::config::ServeArgs;
use crate::store::SqliteStore;

/// Who the audit log names for tokens minted on the command line.
const CLI_ACTOR: &str = "cli";

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Room name, or a prefix ending in `*` ("*" is every room).
    #[arg(long)]
    pub room: String,
    #[arg(long, value_enum)]
    pub perm: Perm,
    /// Lifetime, e.g. "24h", "30d" (default: the link_ttl setting).
    #[arg(long)]
    pub ttl: Option<String>,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Who holds it (the audit log's actor for what it does).
    #[arg(long)]
    pub sub: Option<String>,
    #[arg(long)]
    pub tenant: Option<String>,
    /// The server's settings (secret, data dir, public URL), as for `tandem serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

pub async fn run(args: TokenArgs) -> anyhow::Result<()> {
    if !valid_room_pattern(&args.room) {
        anyhow::bail!("--room must be a room name or a prefix ending in '*'");
    }
    let config = args.serve.resolve()?;
    let ttl = match &args.ttl {
        Some(s) => humantime::parse_duration(s).map_err(|e| anyhow::anyhow!("--ttl {s:?}: {e}"))?,
        None => config.link_ttl,
    };
    anyhow::ensure!(!ttl.is_zero(), "--ttl must be positive");
    let secret = match &config.secret {
        Some(s) => Secret::from_config(&s.0)?,
        None => Secret::load_or_generate(&config.data_dir).await?.0,
    };
    let store = SqliteStore::open_in_dir(&config.data_dir).await?;
    let grant = Grant {
        room: args.room.clone(),
        perm: args.perm,
        sub: args.sub.unwrap_or_default(),
        name: args.name,
        tenant: args.tenant,
        ttl,
        not_after: None,
    };
    let issued = issue(&secret, &store, &grant, CLI_ACTOR).await;
    crate::store::Store::close(&store).await;
    let (token, _) = issued?;
    let base = config
        .public_url
        .unwrap_or_else(|| format!("http://{}", config.listen));
    println!("{token}");
    match args.room.strip_suffix('*') {
        // A pattern names no single room: show where any of its rooms opens.
        Some(prefix) => println!("{base}/r/{prefix}<name>#token={token}"),
        None => println!("{base}/r/{}#token={token}", args.room),
    }
    Ok(())
}
