//! The agent's HTTP calls to the sync server, with its own token: the live-rooms feed, named
//! versions before each turn, and runs. Everything else goes through the room document.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::ServerAccess;
use crate::AiError;

/// How long one request may take, except the live feed's long poll.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The live feed's long poll ends within the server's `live_poll_timeout` (25 s by default).
const LIVE_POLL_TIMEOUT: Duration = Duration::from_secs(90);

/// One room of the live feed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LiveRoom {
    pub room: String,
    pub connections: usize,
}

/// The live feed's answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Live {
    pub generation: u64,
    pub rooms: Vec<LiveRoom>,
}

/// A run the server accepted.
#[derive(Debug, Clone, Deserialize)]
pub struct Accepted {
    pub id: String,
    #[serde(default)]
    pub entry: Option<String>,
}

#[derive(Clone)]
pub struct ServerApi {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl ServerApi {
    pub fn new(access: &ServerAccess) -> Result<ServerApi, AiError> {
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .build()
            .map_err(|e| AiError::Config(format!("http client: {e}")))?;
        Ok(ServerApi {
            base: access.url.trim_end_matches('/').to_owned(),
            token: access.token.clone(),
            http,
        })
    }

    /// `ws://host/sync/{room}?token=...` for the room's WebSocket.
    pub fn sync_url(&self, room: &str) -> String {
        let ws = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            self.base.clone()
        };
        format!("{ws}/sync/{room}?token={}", self.token)
    }

    /// The live rooms; waits for a change when `after` is the current generation.
    pub async fn live(&self, after: Option<u64>) -> Result<Live, AiError> {
        let mut req = self
            .http
            .get(format!("{}/api/live", self.base))
            .bearer_auth(&self.token)
            .timeout(LIVE_POLL_TIMEOUT);
        if let Some(g) = after {
            req = req.query(&[("after", g)]);
        }
        let resp = req.send().await.map_err(transport)?;
        read_json(resp).await
    }

    /// Names a version of the room (its state now).
    pub async fn create_version(&self, room: &str, label: &str) -> Result<(), AiError> {
        let resp = self
            .http
            .post(format!("{}/api/rooms/{room}/versions", self.base))
            .bearer_auth(&self.token)
            .timeout(REQUEST_TIMEOUT)
            .json(&json!({ "label": label }))
            .send()
            .await
            .map_err(transport)?;
        read_json::<serde_json::Value>(resp).await.map(|_| ())
    }

    /// Starts a run of the room's code; its entry appears in the document's `runs`.
    pub async fn start_run(
        &self,
        room: &str,
        entry: Option<&str>,
        stdin: Option<&str>,
    ) -> Result<Accepted, AiError> {
        let mut body = serde_json::Map::new();
        if let Some(e) = entry {
            body.insert("entry".into(), e.into());
        }
        if let Some(s) = stdin {
            body.insert("stdin".into(), s.into());
        }
        let resp = self
            .http
            .post(format!("{}/api/rooms/{room}/runs", self.base))
            .bearer_auth(&self.token)
            .timeout(REQUEST_TIMEOUT)
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        read_json(resp).await
    }
}

fn transport(e: reqwest::Error) -> AiError {
    AiError::Transport(format!("sync server: {e}"))
}

/// The body of a 2xx answer, or the server's error message.
async fn read_json<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T, AiError> {
    let status = resp.status();
    let body = resp.text().await.map_err(transport)?;
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or(body);
        return Err(AiError::Invalid(format!(
            "sync server answered {status}: {message}"
        )));
    }
    serde_json::from_str(&body).map_err(|e| AiError::Malformed(format!("sync server answer: {e}")))
}
