//! The Anthropic Messages API provider: one streaming `POST /v1/messages` per `open`.
//!
//! The translation is sans-IO (`body`, `http_error`, `sse`); this file and `stream` are the
//! thin HTTP shell around it.

mod body;
mod config;
mod http_error;
mod sse;
mod stream;

use std::fmt;
use std::time::SystemTime;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};

pub use body::body;
pub use config::{AnthropicConfig, http_client};
pub use http_error::parse_retry_after;
pub use sse::SseMapper;

use http_error::http_error;
use stream::events;

use crate::{AiError, EventStream, Provider, ProviderKind, Request};

/// One Anthropic API key (its HTTP client is shared with the other keys).
pub struct AnthropicProvider {
    config: AnthropicConfig,
    api_key: String,
    http: reqwest::Client,
}

impl AnthropicProvider {
    /// `http` should come from [`http_client`] and be shared by every key.
    pub fn new(config: AnthropicConfig, api_key: String, http: reqwest::Client) -> Self {
        Self {
            config,
            api_key,
            http,
        }
    }

    /// Sends the request and waits for the response headers (at most `first_byte_timeout`).
    async fn send(&self, request: &Request, model: &str) -> Result<reqwest::Response, AiError> {
        let body = serde_json::to_vec(&body(request, model)?)
            .map_err(|e| AiError::Invalid(format!("request body: {e}")))?;
        let mut key = HeaderValue::from_str(&self.api_key).map_err(|_| {
            AiError::Config("the Anthropic API key is not a valid header value".into())
        })?;
        key.set_sensitive(true);
        let url = format!("{}/v1/messages", self.config.base_url.trim_end_matches('/'));
        let mut call = self
            .http
            .post(url)
            .header("x-api-key", key)
            .header("anthropic-version", &self.config.api_version)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "text/event-stream")
            .body(body);
        if !self.config.beta.is_empty() {
            call = call.header("anthropic-beta", self.config.beta.join(","));
        }
        let timeout = self.config.first_byte_timeout;
        match tokio::time::timeout(timeout, call.send()).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(AiError::Transport(error_chain(&e))),
            Err(_) => Err(AiError::Transport(format!(
                "no response headers within {timeout:?}"
            ))),
        }
    }
}

#[async_trait::async_trait]
impl Provider for AnthropicProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Anthropic
    }

    async fn open(&self, request: &Request, model: &str) -> Result<EventStream, AiError> {
        let response = self.send(request, model).await?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            // A body that does not come in time still leaves the status to go by.
            let body = match tokio::time::timeout(self.config.idle_timeout, response.bytes()).await
            {
                Ok(Ok(bytes)) => bytes,
                _ => Default::default(),
            };
            let error = http_error(
                status.as_u16(),
                retry_after.as_deref(),
                &body,
                SystemTime::now(),
            );
            tracing::debug!(%error, "anthropic refused the call");
            return Err(error);
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if let Some(ct) = content_type.filter(|ct| !ct.starts_with("text/event-stream")) {
            return Err(AiError::Malformed(format!(
                "{status} with content-type {ct:?}, not SSE"
            )));
        }
        Ok(events(response.bytes_stream(), self.config.idle_timeout))
    }
}

impl fmt::Debug for AnthropicProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicProvider")
            .field("config", &self.config)
            .field("api_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The error with its causes: reqwest's own text ("error sending request") hides the reason.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests;
