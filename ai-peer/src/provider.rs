//! The one streaming interface every model provider implements.

use std::pin::Pin;

use futures_util::Stream;

use crate::{AiError, Event, Request};

/// A provider's answer: typed events, ending after `MessageStop` or with one error.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<Event, AiError>> + Send>>;

/// Which service a provider talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Anthropic,
    Bedrock,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anthropic => "anthropic",
            Self::Bedrock => "bedrock",
        }
    }
}

/// One provider account (an API key, or an AWS identity and region).
///
/// `open` makes exactly one attempt: retries, key choice and fallback belong to the caller
/// (`retry::Retrying` for a single provider, the gateway for a pool), because only the caller
/// knows whether another key or provider could serve the call sooner. An error before any
/// event is returned from `open`; an error after the stream began is the stream's last item.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;

    /// Starts streaming `request` from `model` (the provider's own model id).
    async fn open(&self, request: &Request, model: &str) -> Result<EventStream, AiError>;
}
