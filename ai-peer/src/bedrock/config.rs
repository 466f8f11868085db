//! The `[ai.bedrock]` settings: where and as whom the Bedrock provider calls, and its timeouts.

use std::fmt;
use std::time::Duration;

use aws_sdk_bedrockruntime::config::{Credentials, StalledStreamProtectionConfig};
use serde::Deserialize;

use crate::AiError;

/// How to reach Bedrock. Every field is optional; durations are humantime strings ("10s").
#[derive(Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BedrockConfig {
    /// AWS region. Default: none, meaning the standard chain's region (`AWS_REGION`, the
    /// profile, IMDS), and `us-east-1` when the chain has none.
    pub region: Option<String>,
    /// Named profile of the shared AWS config files. Default: none (`AWS_PROFILE` or `default`).
    pub profile: Option<String>,
    /// Endpoint override, e.g. `http://127.0.0.1:PORT` for `claude-mock`. Default: none (the
    /// region's `https://bedrock-runtime.{region}.amazonaws.com`).
    pub endpoint_url: Option<String>,
    /// Static credentials; `access_key_id` and `secret_access_key` go together. Default: none,
    /// meaning the standard chain (environment, profile, web identity, ECS, IMDS).
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Session token of temporary static credentials. Default: none.
    pub session_token: Option<String>,
    /// Longest wait for a TCP (and TLS) connection. Default `10s`.
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub connect_timeout: Duration,
    /// Longest wait from sending the request to the response headers. Default `60s`.
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub first_byte_timeout: Duration,
    /// The SDK's stalled-stream protection: a response that delivers no byte for this long is
    /// failed. `0s` turns the protection off. Default `30s`.
    #[serde(deserialize_with = "crate::duration::deserialize")]
    pub stalled_stream_grace: Duration,
}

impl Default for BedrockConfig {
    fn default() -> Self {
        Self {
            region: None,
            profile: None,
            endpoint_url: None,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(60),
            stalled_stream_grace: Duration::from_secs(30),
        }
    }
}

/// Region used when neither the settings nor the standard chain name one.
pub(crate) const FALLBACK_REGION: &str = "us-east-1";

impl BedrockConfig {
    /// The static credentials, when configured; `None` selects the standard chain.
    pub(crate) fn static_credentials(&self) -> Result<Option<Credentials>, AiError> {
        match (&self.access_key_id, &self.secret_access_key) {
            (Some(id), Some(secret)) => Ok(Some(Credentials::new(
                id,
                secret,
                self.session_token.clone(),
                None,
                "tandem-config",
            ))),
            (None, None) if self.session_token.is_none() => Ok(None),
            _ => Err(AiError::Config(
                "bedrock: access_key_id and secret_access_key must be set together \
                 (session_token only with both)"
                    .into(),
            )),
        }
    }

    /// The SDK's stalled-stream protection for these settings.
    pub(crate) fn stalled_stream_protection(&self) -> StalledStreamProtectionConfig {
        if self.stalled_stream_grace.is_zero() {
            StalledStreamProtectionConfig::disabled()
        } else {
            StalledStreamProtectionConfig::enabled()
                .grace_period(self.stalled_stream_grace)
                .build()
        }
    }

    /// Rejects settings the SDK would only trip over at the first call.
    pub(crate) fn validate(&self) -> Result<(), AiError> {
        if let Some(url) = &self.endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(AiError::Config(format!(
                "bedrock.endpoint_url {url:?}: must start with http:// or https://"
            )));
        }
        for (name, value) in [
            ("connect_timeout", self.connect_timeout),
            ("first_byte_timeout", self.first_byte_timeout),
        ] {
            if value.is_zero() {
                return Err(AiError::Config(format!("bedrock.{name} must be positive")));
            }
        }
        self.static_credentials().map(drop)
    }
}

// Secrets never reach logs: only whether they are set.
impl fmt::Debug for BedrockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("BedrockConfig")
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("endpoint_url", &self.endpoint_url)
            .field("access_key_id", &redacted(&self.access_key_id))
            .field("secret_access_key", &redacted(&self.secret_access_key))
            .field("session_token", &redacted(&self.session_token))
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("stalled_stream_grace", &self.stalled_stream_grace)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_table_gives_the_defaults() {
        let config: BedrockConfig = toml::from_str("").unwrap();
        assert_eq!(config, BedrockConfig::default());
        assert_eq!(config.connect_timeout, Duration::from_secs(10));
        assert_eq!(config.first_byte_timeout, Duration::from_secs(60));
        assert_eq!(config.stalled_stream_grace, Duration::from_secs(30));
        assert!(config.validate().is_ok());
        assert!(config.static_credentials().unwrap().is_none());
    }

    #[test]
    fn every_field_parses() {
        let config: BedrockConfig = toml::from_str(
            r#"
            region = "eu-west-1"
            profile = "tandem"
            endpoint_url = "http://127.0.0.1:9000"
            access_key_id = "AKIDTEST"
            secret_access_key = "secret"
            session_token = "token"
            connect_timeout = "2s"
            first_byte_timeout = "1m 30s"
            stalled_stream_grace = "500ms"
            "#,
        )
        .unwrap();
        assert_eq!(config.region.as_deref(), Some("eu-west-1"));
        assert_eq!(config.profile.as_deref(), Some("tandem"));
        assert_eq!(
            config.endpoint_url.as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(config.connect_timeout, Duration::from_secs(2));
        assert_eq!(config.first_byte_timeout, Duration::from_secs(90));
        assert_eq!(config.stalled_stream_grace, Duration::from_millis(500));
        let credentials = config.static_credentials().unwrap().unwrap();
        assert_eq!(credentials.access_key_id(), "AKIDTEST");
        assert_eq!(credentials.secret_access_key(), "secret");
        assert_eq!(credentials.session_token(), Some("token"));
        let protection = config.stalled_stream_protection();
        assert!(protection.download_enabled());
        assert_eq!(protection.grace_period(), Duration::from_millis(500));
    }

    #[test]
    fn zero_grace_disables_stalled_stream_protection() {
        let config: BedrockConfig = toml::from_str(r#"stalled_stream_grace = "0s""#).unwrap();
        let protection = config.stalled_stream_protection();
        assert!(!protection.download_enabled() && !protection.upload_enabled());
    }

    #[test]
    fn bad_settings_are_refused() {
        for text in [
            r#"regoin = "us-east-1""#,
            r#"connect_timeout = "soon""#,
            "connect_timeout = 5",
        ] {
            assert!(toml::from_str::<BedrockConfig>(text).is_err(), "{text}");
        }
        let half_credentials = [
            (Some("AKID"), None, None),
            (None, Some("secret"), None),
            (None, None, Some("token")),
            (Some("AKID"), None, Some("token")),
        ];
        for (id, secret, token) in half_credentials {
            let config = BedrockConfig {
                access_key_id: id.map(Into::into),
                secret_access_key: secret.map(Into::into),
                session_token: token.map(Into::into),
                ..BedrockConfig::default()
            };
            assert!(
                matches!(config.validate(), Err(AiError::Config(_))),
                "{id:?} {secret:?}"
            );
        }
        let endpoint = BedrockConfig {
            endpoint_url: Some("127.0.0.1:9".into()),
            ..BedrockConfig::default()
        };
        assert!(matches!(endpoint.validate(), Err(AiError::Config(_))));
        let timeout = BedrockConfig {
            connect_timeout: Duration::ZERO,
            ..BedrockConfig::default()
        };
        assert!(matches!(timeout.validate(), Err(AiError::Config(_))));
    }

    #[test]
    fn debug_hides_secrets() {
        let config = BedrockConfig {
            access_key_id: Some("AKIDVISIBLE".into()),
            secret_access_key: Some("hunter2-secret".into()),
            session_token: Some("session-token-value".into()),
            ..BedrockConfig::default()
        };
        let text = format!("{config:?}");
        for secret in ["AKIDVISIBLE", "hunter2-secret", "session-token-value"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("<redacted>"), "{text}");
    }
}
