//! `tandem serve` configuration: flags, then `TANDEM_*` environment variables, then an optional TOML
//! file, then defaults — resolved once into a `Config` that is passed explicitly everywhere.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// When an update is made durable relative to fanning it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// Persist (commit) before an update is sent to anyone.
    Strict,
    /// Fan out at once; group-commit within `commit_interval` (at most 50 ms of loss on a crash;
    /// clients still holding those edits resend them through the handshake on reconnect).
    Batched,
}

/// Whether `tandem serve` hosts Claude as a peer in its rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AiPeerMode {
    /// The agent runs inside the server and connects to its own listener like any client.
    InProcess,
    /// No agent here (none at all, or a separate `tandem ai`).
    Off,
}

/// Shortest accepted HS256 secret (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

/// Longest allowed group-commit window in batched mode: the documented loss window.
pub const MAX_COMMIT_INTERVAL: Duration = Duration::from_millis(50);

/// The resolved configuration of `tandem serve`.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub durability: Durability,
    /// Group-commit window in batched mode (clamped to `MAX_COMMIT_INTERVAL`).
    pub commit_interval: Duration,
    /// Largest WebSocket message accepted; larger ones close the socket with 4413.
    pub max_message_bytes: usize,
    /// Frames queued for one connection; a client that lets it fill is closed with 4408.
    pub outbound_queue: usize,
    /// Commands queued for one room; senders wait when it is full (backpressure to their socket).
    pub room_inbox: usize,
    /// Updates queued for the storage writer; rooms wait when it is full.
    pub persist_queue: usize,
    /// A room with no connections is flushed and unloaded after this long.
    pub room_idle: Duration,
    /// Server pings this often; a connection silent for `dead_after` is closed.
    pub ping_interval: Duration,
    pub dead_after: Duration,
    /// A room's log is compacted into a snapshot past this many updates or bytes.
    pub compact_after_updates: u64,
    pub compact_after_bytes: u64,
    /// Snapshots kept per room by compaction.
    pub keep_snapshots: usize,
    /// Per-connection socket read buffer.
    pub read_buffer_bytes: usize,
    /// Broadcasts in a room gather for this long per member (up to `fanout_window_max`) before
    /// going out as one write per member: immediate in small rooms, batched in crowded ones.
    pub fanout_window_per_member: Duration,
    pub fanout_window_max: Duration,
    /// HS256 signing secret; `None` means local mode (a generated secret in the data dir).
    pub secret: Option<SecretString>,
    /// JWKS file path or http(s) URL for RS256 tokens from an external identity provider.
    pub jwks: Option<String>,
    /// The `aud` and `iss` that RS256 tokens must carry (None: `aud` must be absent, any `iss`).
    pub jwt_audience: Option<String>,
    pub jwt_issuer: Option<String>,
    /// Base URL of links handed out (default `http://<listen address>`).
    pub public_url: Option<String>,
    /// Lifetime of the tokens in links made by `POST /api/rooms` and local mode.
    pub link_ttl: Duration,
    /// Lifetime of the read-only keys in preview URLs (`POST /api/rooms/{room}/preview`).
    pub preview_ttl: Duration,
    /// The built web client served at `/`, `/r/{room}` and `/assets/`: the setting, else
    /// `DEFAULT_WEB_DIR` when that directory exists; `None` answers those pages with 503.
    pub web_dir: Option<PathBuf>,
    /// How long compaction keeps older snapshots for point-in-time restore, and at most one per
    /// `history_spacing` of them.
    pub history_retention: Duration,
    pub history_spacing: Duration,
    /// Where `POST /api/rooms/{room}/runs` sends code: a runner in this process or a separate one.
    pub runner: RunnerSetup,
    /// How long `GET /api/live?after=` waits for a change before answering with the same state.
    pub live_poll_timeout: Duration,
    /// How long `POST .../turns/{turn}/reject` waits for the AI peer to carry the rejection out.
    pub reject_timeout: Duration,
    /// Whether Claude joins rooms from this process.
    pub ai_peer: AiPeerMode,
    /// The `[ai]` table: providers, models, and the agent's settings (`[ai.peer]`).
    pub ai: ai_peer::config::AiSettings,
}

/// The runner a server uses.
#[derive(Debug, Clone)]
pub enum RunnerSetup {
    /// Hosted in this process (the default of `tandem serve`), reached through a gRPC client
    /// over in-memory connections.
    InProcess(Box<runner::config::Config>),
    /// A separate `tandem runner` at this URL (`--runner-url`).
    Remote(String),
    /// No runner: runs are refused with 503. Only a `Config` built in code (`Config::default`)
    /// has this; the command line always resolves to one of the others.
    Off,
}

/// A secret from the configuration: never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretString(pub String);

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(..)")
    }
}

impl std::str::FromStr for SecretString {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SecretString(s.to_owned()))
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            data_dir: PathBuf::from("./tandem-data"),
            durability: Durability::Batched,
            commit_interval: Duration::from_millis(20),
            max_message_bytes: 16 << 20,
            outbound_queue: 1024,
            room_inbox: 1024,
            persist_queue: 16 * 1024,
            room_idle: Duration::from_secs(30),
            ping_interval: Duration::from_secs(15),
            dead_after: Duration::from_secs(45),
            compact_after_updates: 1000,
            compact_after_bytes: 4 << 20,
            keep_snapshots: 1,
            read_buffer_bytes: 512,
            fanout_window_per_member: Duration::from_micros(20),
            fanout_window_max: Duration::from_millis(10),
            secret: None,
            jwks: None,
            jwt_audience: None,
            jwt_issuer: None,
            public_url: None,
            link_ttl: Duration::from_secs(30 * 24 * 3600),
            preview_ttl: Duration::from_secs(3600),
            web_dir: None,
            history_retention: Duration::from_secs(7 * 24 * 3600),
            history_spacing: Duration::from_secs(5 * 60),
            runner: RunnerSetup::Off,
            live_poll_timeout: Duration::from_secs(25),
            reject_timeout: Duration::from_secs(10),
            ai_peer: AiPeerMode::InProcess,
            ai: ai_peer::config::AiSettings::default(),
        }
    }
}

/// Flags of `tandem serve`: the config file plus every setting.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below (snake_case keys).
    #[arg(long, env = "TANDEM_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: Settings,
}

/// Every setting, unresolved. One struct reads both the flags (each also from a `TANDEM_*`
/// variable) and the TOML file, so a setting is declared once.
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
// clap names a struct's argument group after it, and the flattened runner settings are a
// `Settings` too.
#[group(id = "ServeSettings")]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "TANDEM_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Where the SQLite database lives.
    #[arg(long, env = "TANDEM_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[arg(long, env = "TANDEM_DURABILITY")]
    pub durability: Option<Durability>,
    #[arg(long, env = "TANDEM_COMMIT_INTERVAL_MS")]
    pub commit_interval_ms: Option<u64>,
    #[arg(long, env = "TANDEM_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    #[arg(long, env = "TANDEM_OUTBOUND_QUEUE")]
    pub outbound_queue: Option<usize>,
    #[arg(long, env = "TANDEM_ROOM_INBOX")]
    pub room_inbox: Option<usize>,
    #[arg(long, env = "TANDEM_PERSIST_QUEUE")]
    pub persist_queue: Option<usize>,
    #[arg(long, env = "TANDEM_ROOM_IDLE_MS")]
    pub room_idle_ms: Option<u64>,
    #[arg(long, env = "TANDEM_PING_INTERVAL_MS")]
    pub ping_interval_ms: Option<u64>,
    #[arg(long, env = "TANDEM_DEAD_AFTER_MS")]
    pub dead_after_ms: Option<u64>,
    #[arg(long, env = "TANDEM_COMPACT_AFTER_UPDATES")]
    pub compact_after_updates: Option<u64>,
    #[arg(long, env = "TANDEM_COMPACT_AFTER_BYTES")]
    pub compact_after_bytes: Option<u64>,
    #[arg(long, env = "TANDEM_KEEP_SNAPSHOTS")]
    pub keep_snapshots: Option<usize>,
    #[arg(long, env = "TANDEM_READ_BUFFER_BYTES")]
    pub read_buffer_bytes: Option<usize>,
    #[arg(long, env = "TANDEM_FANOUT_WINDOW_PER_MEMBER_US")]
    pub fanout_window_per_member_us: Option<u64>,
    #[arg(long, env = "TANDEM_FANOUT_WINDOW_MAX_MS")]
    pub fanout_window_max_ms: Option<u64>,
    /// HS256 token secret (at least 32 bytes). Without one the server runs in local mode.
    #[arg(long, env = "TANDEM_SECRET", hide_env_values = true)]
    pub secret: Option<SecretString>,
    /// JWKS file or http(s) URL whose RSA keys verify RS256 tokens.
    #[arg(long, env = "TANDEM_JWKS")]
    pub jwks: Option<String>,
    /// The `aud` RS256 tokens must carry (your identity provider's client or API id).
    #[arg(long, env = "TANDEM_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// The `iss` RS256 tokens must carry (your identity provider's issuer URL).
    #[arg(long, env = "TANDEM_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// Base URL used in links (e.g. https://tandem.example.com).
    #[arg(long, env = "TANDEM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Lifetime of link tokens, e.g. "30d".
    #[arg(long, env = "TANDEM_LINK_TTL")]
    pub link_ttl: Option<String>,
    /// Lifetime of the keys in preview URLs, e.g. "1h".
    #[arg(long, env = "TANDEM_PREVIEW_TTL")]
    pub preview_ttl: Option<String>,
    /// The built web client (default: ./clients/web/dist when it exists).
    #[arg(long, env = "TANDEM_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// How long older snapshots are kept for point-in-time restore, e.g. "7d".
    #[arg(long, env = "TANDEM_HISTORY_RETENTION")]
    pub history_retention: Option<String>,
    /// Keep at most one older snapshot per this interval, e.g. "5m" ("0s" keeps all).
    #[arg(long, env = "TANDEM_HISTORY_SPACING")]
    pub history_spacing: Option<String>,
    /// A separate runner (`tandem runner`) to send runs to, e.g. http://10.0.0.5:50051. Without
    /// it the runner runs inside this process, with the settings below.
    #[arg(long, env = "TANDEM_RUNNER_URL")]
    pub runner_url: Option<String>,
    /// How long `GET /api/live?after=N` waits for a change in the live rooms, e.g. "25s".
    #[arg(long, env = "TANDEM_LIVE_POLL_TIMEOUT")]
    pub live_poll_timeout: Option<String>,
    /// How long a turn rejection waits for the AI peer to carry it out, e.g. "10s".
    #[arg(long, env = "TANDEM_REJECT_TIMEOUT")]
    pub reject_timeout: Option<String>,
    /// Claude as a peer in rooms: hosted in this process (`in-process`), or `off` (none, or a
    /// separate `tandem ai`).
    #[arg(long, env = "TANDEM_AI_PEER")]
    pub ai_peer: Option<AiPeerMode>,
    /// The in-process runner's settings; in TOML, the `[runner]` table (also read by
    /// `tandem runner --config`).
    #[command(
        flatten,
        next_help_heading = "In-process runner (ignored with --runner-url)"
    )]
    #[serde(default)]
    pub runner: runner::Settings,
    /// Claude's providers, keys, models, routing, cache and budget, and the AI peer's settings
    /// (`[ai.peer]`): the TOML `[ai]` table (also read by `tandem ask` and `tandem ai`).
    #[arg(skip)]
    #[serde(default)]
    pub ai: ai_peer::config::AiSettings,
}

/// The jail helper the runner starts for each run: this very binary's hidden `jail` subcommand,
/// so `tandem` needs no companion executable.
pub fn jail_command() -> Result<Vec<String>, ConfigError> {
    let exe = std::env::current_exe().map_err(|e| {
        ConfigError::Invalid(format!("runner jail: cannot locate this binary: {e}"))
    })?;
    Ok(vec![exe.to_string_lossy().into_owned(), "jail".to_owned()])
}

/// The `[runner]` table (`file`) under the runner flags, resolved.
pub fn resolve_runner(
    file: runner::Settings,
    flags: runner::Settings,
) -> Result<runner::config::Config, ConfigError> {
    file.resolve(flags, jail_command()?)
        .map_err(|e| ConfigError::Invalid(e.to_string()))
}

/// Where `tandem serve` looks for the built web client when `web_dir` is not set (relative to the
/// current directory: the repository root in development).
pub const DEFAULT_WEB_DIR: &str = "clients/web/dist";

/// The web client directory: the one configured (even if missing: the pages then say how to build
/// it), else `fallback` if that directory exists.
fn web_dir(configured: Option<PathBuf>, fallback: &Path) -> Option<PathBuf> {
    configured.or_else(|| fallback.is_dir().then(|| fallback.to_owned()))
}

/// Parses a humantime duration setting ("30d", "5m", "0s").
fn duration(name: &str, v: Option<String>, default: Duration) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(default),
        Some(s) => humantime::parse_duration(&s)
            .map_err(|e| ConfigError::Invalid(format!("{name} = {s:?}: {e}"))),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid setting {0}")]
    Invalid(String),
}

impl ServeArgs {
    /// Resolves flags/env over the TOML file over defaults.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => load_file(path)?,
            None => Settings::default(),
        };
        let (flags, d) = (self.settings, Config::default());
        // A setting from the flags/environment, else from the file.
        macro_rules! pick {
            ($field:ident) => {
                flags.$field.or(file.$field)
            };
        }
        let ms = Duration::from_millis;
        let c = Config {
            listen: pick!(listen).unwrap_or(d.listen),
            data_dir: pick!(data_dir).unwrap_or(d.data_dir),
            durability: pick!(durability).unwrap_or(d.durability),
            commit_interval: pick!(commit_interval_ms)
                .map(ms)
                .unwrap_or(d.commit_interval)
                .min(MAX_COMMIT_INTERVAL),
            max_message_bytes: pick!(max_message_bytes).unwrap_or(d.max_message_bytes),
            outbound_queue: pick!(outbound_queue).unwrap_or(d.outbound_queue),
            room_inbox: pick!(room_inbox).unwrap_or(d.room_inbox),
            persist_queue: pick!(persist_queue).unwrap_or(d.persist_queue),
            room_idle: pick!(room_idle_ms).map(ms).unwrap_or(d.room_idle),
            ping_interval: pick!(ping_interval_ms).map(ms).unwrap_or(d.ping_interval),
            dead_after: pick!(dead_after_ms).map(ms).unwrap_or(d.dead_after),
            compact_after_updates: pick!(compact_after_updates).unwrap_or(d.compact_after_updates),
            compact_after_bytes: pick!(compact_after_bytes).unwrap_or(d.compact_after_bytes),
            keep_snapshots: pick!(keep_snapshots).unwrap_or(d.keep_snapshots),
            read_buffer_bytes: pick!(read_buffer_bytes).unwrap_or(d.read_buffer_bytes),
            fanout_window_per_member: pick!(fanout_window_per_member_us)
                .map(Duration::from_micros)
                .unwrap_or(d.fanout_window_per_member),
            fanout_window_max: pick!(fanout_window_max_ms)
                .map(ms)
                .unwrap_or(d.fanout_window_max),
            secret: pick!(secret),
            jwks: pick!(jwks),
            jwt_audience: pick!(jwt_audience),
            jwt_issuer: pick!(jwt_issuer),
            public_url: pick!(public_url).map(|u| u.trim_end_matches('/').to_owned()),
            link_ttl: duration("link_ttl", pick!(link_ttl), d.link_ttl)?,
            preview_ttl: duration("preview_ttl", pick!(preview_ttl), d.preview_ttl)?,
            web_dir: web_dir(pick!(web_dir), Path::new(DEFAULT_WEB_DIR)),
            history_retention: duration(
                "history_retention",
                pick!(history_retention),
                d.history_retention,
            )?,
            history_spacing: duration(
                "history_spacing",
                pick!(history_spacing),
                d.history_spacing,
            )?,
            runner: match pick!(runner_url) {
                Some(url) => RunnerSetup::Remote(url),
                None => {
                    RunnerSetup::InProcess(Box::new(resolve_runner(file.runner, flags.runner)?))
                }
            },
            live_poll_timeout: duration(
                "live_poll_timeout",
                pick!(live_poll_timeout),
                d.live_poll_timeout,
            )?,
            reject_timeout: duration("reject_timeout", pick!(reject_timeout), d.reject_timeout)?,
            ai_peer: pick!(ai_peer).unwrap_or(d.ai_peer),
            ai: file.ai,
        };
        c.validate()?;
        Ok(c)
    }
}

impl Config {
    fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("max_message_bytes", self.max_message_bytes),
            ("outbound_queue", self.outbound_queue),
            ("room_inbox", self.room_inbox),
            ("persist_queue", self.persist_queue),
            ("keep_snapshots", self.keep_snapshots),
            ("read_buffer_bytes", self.read_buffer_bytes),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(ConfigError::Invalid(format!("{name} must be > 0")));
            }
        }
        if let Some(s) = &self.secret
            && s.0.len() < MIN_SECRET_BYTES
        {
            return Err(ConfigError::Invalid(format!(
                "secret must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        if self.reject_timeout.is_zero() {
            return Err(ConfigError::Invalid("reject_timeout must be > 0".into()));
        }
        if self.link_ttl.is_zero() {
            return Err(ConfigError::Invalid("link_ttl must be > 0".into()));
        }
        if self.preview_ttl.is_zero() {
            return Err(ConfigError::Invalid("preview_ttl must be > 0".into()));
        }
        if self.ping_interval.is_zero() || self.dead_after <= self.ping_interval {
            return Err(ConfigError::Invalid(
                "dead_after_ms must be greater than ping_interval_ms > 0".into(),
            ));
        }
        // The gRPC client is built without TLS: a separate runner belongs on a private network.
        if let RunnerSetup::Remote(url) = &self.runner
            && !url.starts_with("http://")
        {
            return Err(ConfigError::Invalid(format!(
                "runner_url = {url:?}: want http://HOST:PORT"
            )));
        }
        Ok(())
    }
}

/// Reads a TOML settings file (every key checked).
pub fn load_file(path: &Path) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndurability = \"strict\"\noutbound_queue = 7\ncommit_interval_ms = 500\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path),
            settings: Settings {
                outbound_queue: Some(9),
                ..Default::default()
            },
        };
        let c = args.resolve().unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.durability, Durability::Strict);
        assert_eq!(c.outbound_queue, 9);
        assert_eq!(
            c.commit_interval, MAX_COMMIT_INTERVAL,
            "clamped to the loss window"
        );
        assert_eq!(c.data_dir, PathBuf::from("./tandem-data"));
    }

    #[test]
    fn runner_table_and_url() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\n[runner]\nslots = 3\n[runner.max_limits]\nwall_ms = 2000\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path.clone()),
            settings: Settings {
                runner: runner::Settings {
                    per_room: Some(2),
                    ..Default::default()
                },
                ..Default::default()
            },
        };
        let RunnerSetup::InProcess(r) = args.resolve().unwrap().runner else {
            panic!("in-process by default")
        };
        assert_eq!((r.slots, r.per_room, r.max_limits.wall_ms), (3, 2, 2000));
        assert_eq!(
            r.jail.last().map(String::as_str),
            Some("jail"),
            "this binary's helper"
        );

        let remote = |url: &str| ServeArgs {
            config: Some(path.clone()),
            settings: Settings {
                runner_url: Some(url.into()),
                ..Default::default()
            },
        };
        assert!(matches!(
            remote("http://10.0.0.5:50051").resolve().unwrap().runner,
            RunnerSetup::Remote(u) if u == "http://10.0.0.5:50051"
        ));
        assert!(
            matches!(remote("10.0.0.5:50051").resolve(), Err(ConfigError::Invalid(m)) if m.contains("runner_url"))
        );

        std::fs::write(&path, "[runner]\nslotz = 3\n").unwrap();
        assert!(matches!(
            remote("http://x:1").resolve(),
            Err(ConfigError::Parse { .. })
        ));
    }

    #[test]
    fn ai_peer_and_wait_settings() {
        let d = ServeArgs::default().resolve().unwrap();
        assert_eq!(d.ai_peer, AiPeerMode::InProcess);
        assert_eq!(d.live_poll_timeout, Duration::from_secs(25));
        assert_eq!(d.reject_timeout, Duration::from_secs(10));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.toml");
        std::fs::write(
            &path,
            "ai_peer = \"off\"\nlive_poll_timeout = \"2s\"\nreject_timeout = \"3s\"\n[ai.peer]\nname = \"Robo\"\n",
        )
        .unwrap();
        let args = |settings| ServeArgs {
            config: Some(path.clone()),
            settings,
        };
        let c = args(Settings::default()).resolve().unwrap();
        assert_eq!(c.ai_peer, AiPeerMode::Off);
        assert_eq!(c.live_poll_timeout, Duration::from_secs(2));
        assert_eq!(c.reject_timeout, Duration::from_secs(3));
        assert_eq!(c.ai.peer.name, "Robo");
        let c = args(Settings {
            ai_peer: Some(AiPeerMode::InProcess),
            reject_timeout: Some("150ms".into()),
            ..Default::default()
        })
        .resolve()
        .unwrap();
        assert_eq!(c.ai_peer, AiPeerMode::InProcess);
        assert_eq!(c.reject_timeout, Duration::from_millis(150));
        let zero = args(Settings {
            reject_timeout: Some("0s".into()),
            ..Default::default()
        });
        assert!(
            matches!(zero.resolve(), Err(ConfigError::Invalid(m)) if m.contains("reject_timeout"))
        );
    }

    #[test]
    fn preview_ttl_and_web_dir() {
        let d = ServeArgs::default().resolve().unwrap();
        assert_eq!(d.preview_ttl, Duration::from_secs(3600));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.toml");
        std::fs::write(&path, "preview_ttl = \"10m\"\nweb_dir = \"/srv/web\"\n").unwrap();
        let args = |settings| ServeArgs {
            config: Some(path.clone()),
            settings,
        };
        let c = args(Settings::default()).resolve().unwrap();
        assert_eq!(c.preview_ttl, Duration::from_secs(600));
        assert_eq!(c.web_dir, Some(PathBuf::from("/srv/web")));
        let c = args(Settings {
            preview_ttl: Some("90s".into()),
            web_dir: Some("/elsewhere".into()),
            ..Default::default()
        })
        .resolve()
        .unwrap();
        assert_eq!(c.preview_ttl, Duration::from_secs(90));
        assert_eq!(c.web_dir, Some(PathBuf::from("/elsewhere")));
        for bad in ["0s", "soon"] {
            let r = args(Settings {
                preview_ttl: Some(bad.into()),
                ..Default::default()
            })
            .resolve();
            assert!(
                matches!(r, Err(ConfigError::Invalid(m)) if m.contains("preview_ttl")),
                "{bad}"
            );
        }

        // Unset: the fallback when it exists, else none; a configured dir is kept even if missing.
        let missing = dir.path().join("missing");
        assert_eq!(web_dir(None, dir.path()), Some(dir.path().to_owned()));
        assert_eq!(web_dir(None, &missing), None);
        assert_eq!(
            web_dir(Some(missing.clone()), dir.path()),
            Some(missing.clone())
        );
    }

    #[test]
    fn unknown_keys_and_zero_limits_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "listne = \"x\"\n").unwrap();
        let args = ServeArgs {
            config: Some(path),
            ..Default::default()
        };
        assert!(matches!(args.resolve(), Err(ConfigError::Parse { .. })));
        let args = ServeArgs {
            settings: Settings {
                outbound_queue: Some(0),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(matches!(args.resolve(), Err(ConfigError::Invalid(_))));
    }

    #[test]
    fn secrets_are_never_printed_and_must_be_long() {
        let secret = "s3cr3t-".repeat(8);
        let args = ServeArgs {
            settings: Settings {
                secret: Some(SecretString(secret.clone())),
                link_ttl: Some("36h".into()),
                history_spacing: Some("0s".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let c = args.clone().resolve().unwrap();
        assert!(!format!("{c:?}").contains(&secret));
        assert!(!format!("{args:?}").contains(&secret));
        assert_eq!(c.link_ttl, Duration::from_secs(36 * 3600));
        assert_eq!(c.history_spacing, Duration::ZERO);
        assert_eq!(c.history_retention, Duration::from_secs(7 * 24 * 3600));

        let short = ServeArgs {
            settings: Settings {
                secret: Some(SecretString("short".into())),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(matches!(short.resolve(), Err(ConfigError::Invalid(m)) if m.contains("secret")));
        let bad_ttl = ServeArgs {
            settings: Settings {
                link_ttl: Some("soon".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(
            matches!(bad_ttl.resolve(), Err(ConfigError::Invalid(m)) if m.contains("link_ttl"))
        );
    }
}
