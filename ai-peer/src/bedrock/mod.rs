//! The AWS Bedrock provider: Claude through the Converse streaming API of
//! `aws-sdk-bedrockruntime`, signed with SigV4 from the standard AWS chain or static keys.
//!
//! One attempt per `open`: the SDK's own retries are off, because retrying, key choice and
//! fallback belong to the caller (`retry`, `gateway`).

mod config;
mod convert;
mod document;
mod errors;
#[cfg(all(test, feature = "mock"))]
mod loopback_fixture;
#[cfg(all(test, feature = "mock"))]
mod loopback_tests;
mod stream;

use std::collections::VecDeque;
use std::fmt;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::Region;
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::ConverseStreamOutput;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;

pub use self::config::BedrockConfig;
use self::stream::StreamMapper;
use crate::{AiError, EventStream, Provider, ProviderKind, Request};

/// One AWS identity in one region, calling Bedrock's ConverseStream.
pub struct BedrockProvider {
    client: Client,
    region: String,
}

impl BedrockProvider {
    /// Loads the AWS configuration (region, credentials) with the overrides of `config`.
    /// Nothing is sent: credentials from the chain are resolved at the first call.
    pub async fn new(config: BedrockConfig) -> Result<Self, AiError> {
        config.validate()?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(config.connect_timeout)
                    .read_timeout(config.first_byte_timeout)
                    .build(),
            )
            .stalled_stream_protection(config.stalled_stream_protection());
        if let Some(region) = &config.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &config.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &config.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(credentials) = config.static_credentials()? {
            loader = loader.credentials_provider(credentials);
        }
        let shared = loader.load().await;
        let region = shared
            .region()
            .cloned()
            .unwrap_or_else(|| Region::from_static(config::FALLBACK_REGION));
        let service = aws_sdk_bedrockruntime::config::Builder::from(&shared)
            .region(region.clone())
            .build();
        Ok(Self {
            client: Client::from_conf(service),
            region: region.to_string(),
        })
    }

    /// The region calls go to.
    pub fn region(&self) -> &str {
        &self.region
    }
}

impl fmt::Debug for BedrockProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BedrockProvider")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Provider for BedrockProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Bedrock
    }

    /// `model` is a Bedrock model or inference-profile id (`us.anthropic.claude-sonnet-5-5`).
    async fn open(&self, request: &Request, model: &str) -> Result<EventStream, AiError> {
        let input = convert::to_converse(request)?;
        let output = self
            .client
            .converse_stream()
            .model_id(model)
            .set_messages(Some(input.messages))
            .set_system(input.system)
            .inference_config(input.inference)
            .set_tool_config(input.tools)
            .send()
            .await
            .map_err(errors::send_error)?;
        Ok(events(output.stream))
    }
}

type Receiver = EventReceiver<ConverseStreamOutput, ConverseStreamOutputError>;

/// Each `recv` result is translated and yielded at once; the receiver is not polled again
/// after the last item.
fn events(receiver: Receiver) -> EventStream {
    let state = (receiver, StreamMapper::default(), VecDeque::new());
    Box::pin(futures_util::stream::unfold(
        state,
        |(mut receiver, mut mapper, mut pending)| async move {
            loop {
                if let Some(item) = pending.pop_front() {
                    return Some((item, (receiver, mapper, pending)));
                }
                if mapper.is_finished() {
                    return None;
                }
                let received = receiver.recv().await;
                pending.extend(mapper.step(received));
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn new_puts_the_settings_into_the_client() {
        let provider = BedrockProvider::new(BedrockConfig {
            region: Some("eu-west-1".into()),
            endpoint_url: Some("http://127.0.0.1:9".into()),
            access_key_id: Some("AKIDTEST".into()),
            secret_access_key: Some("secret".into()),
            connect_timeout: Duration::from_secs(2),
            first_byte_timeout: Duration::from_secs(5),
            stalled_stream_grace: Duration::from_secs(7),
            ..BedrockConfig::default()
        })
        .await
        .unwrap();
        assert_eq!(provider.kind(), ProviderKind::Bedrock);
        assert_eq!(provider.region(), "eu-west-1");
        let config = provider.client.config();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(
            config.retry_config().map(|r| r.max_attempts()),
            Some(1),
            "one attempt per open"
        );
        let timeouts = config.timeout_config().unwrap();
        assert_eq!(timeouts.connect_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(timeouts.read_timeout(), Some(Duration::from_secs(5)));
        let protection = config.stalled_stream_protection().unwrap();
        assert_eq!(protection.grace_period(), Duration::from_secs(7));
        assert!(!format!("{provider:?}").contains("AKIDTEST"));
    }

    #[tokio::test]
    async fn new_refuses_half_credentials() {
        let config = BedrockConfig {
            region: Some("us-east-1".into()),
            access_key_id: Some("AKIDTEST".into()),
            ..BedrockConfig::default()
        };
        assert!(matches!(
            BedrockProvider::new(config).await,
            Err(AiError::Config(_))
        ));
    }
}
