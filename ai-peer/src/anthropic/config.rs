//! Settings of the Anthropic provider and the HTTP client its keys share.

use std::time::Duration;

use serde::Deserialize;

use crate::AiError;

/// The `[ai.anthropic]` settings. Durations are humantime strings ("10s", "1m").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnthropicConfig {
    /// Where the Messages API lives (a local mock in tests). Default "https://api.anthropic.com".
    pub base_url: String,
    /// The `anthropic-version` header. Default "2023-06-01".
    pub api_version: String,
    /// Beta features, sent comma-joined as `anthropic-beta` when not empty. Default none.
    pub beta: Vec<String>,
    /// Longest wait for the TCP (and TLS) connection. Default "10s".
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub connect_timeout: Duration,
    /// Longest wait for the response headers, connecting included. Default "60s".
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub first_byte_timeout: Duration,
    /// Longest silence between two SSE events once the answer streams; past it the stream
    /// ends with `Disconnected`. Default "60s".
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub idle_timeout: Duration,
}

impl Default for AnthropicConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.anthropic.com".to_owned(),
            api_version: "2023-06-01".to_owned(),
            beta: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

impl AnthropicConfig {
    /// Rejects settings that would make every call fail in a confusing way.
    pub fn validate(&self) -> Result<(), AiError> {
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            return Err(AiError::Config(format!(
                "anthropic.base_url = {:?}: not an http(s) URL",
                self.base_url
            )));
        }
        let timeouts = [
            ("connect_timeout", self.connect_timeout),
            ("first_byte_timeout", self.first_byte_timeout),
            ("idle_timeout", self.idle_timeout),
        ];
        match timeouts.iter().find(|(_, d)| d.is_zero()) {
            Some((name, _)) => Err(AiError::Config(format!("anthropic.{name} must not be 0"))),
            None => Ok(()),
        }
    }
}

/// The client every Anthropic key shares, so connections (and TLS sessions) are pooled.
pub fn http_client(cfg: &AnthropicConfig) -> Result<reqwest::Client, AiError> {
    cfg.validate()?;
    reqwest::Client::builder()
        .use_rustls_tls()
        // Deltas are small writes; Nagle would hold them back.
        .tcp_nodelay(true)
        .connect_timeout(cfg.connect_timeout)
        .tcp_keepalive(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(32)
        .build()
        .map_err(|e| AiError::Config(format!("anthropic HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_missing_fields() {
        let cfg: AnthropicConfig =
            toml::from_str("idle_timeout = \"2m\"\nbeta = [\"a\", \"b\"]").expect("parses");
        assert_eq!(cfg.idle_timeout, Duration::from_secs(120));
        assert_eq!(cfg.beta, ["a", "b"]);
        assert_eq!(cfg.base_url, "https://api.anthropic.com");
        assert_eq!(cfg.api_version, "2023-06-01");
        assert_eq!(cfg.connect_timeout, Duration::from_secs(10));
        assert_eq!(cfg.first_byte_timeout, Duration::from_secs(60));
        assert_eq!(
            toml::from_str::<AnthropicConfig>("").expect("empty"),
            AnthropicConfig::default()
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(toml::from_str::<AnthropicConfig>("colour = \"red\"").is_err());
        assert!(toml::from_str::<AnthropicConfig>("idle_timeout = \"soon\"").is_err());
        let zero: AnthropicConfig = toml::from_str("idle_timeout = \"0s\"").expect("parses");
        assert!(
            matches!(http_client(&zero), Err(AiError::Config(m)) if m.contains("idle_timeout"))
        );
        let ftp = AnthropicConfig {
            base_url: "ftp://x".into(),
            ..AnthropicConfig::default()
        };
        assert!(matches!(ftp.validate(), Err(AiError::Config(_))));
        assert!(http_client(&AnthropicConfig::default()).is_ok());
    }
}
