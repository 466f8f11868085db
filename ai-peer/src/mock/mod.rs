//! `claude-mock`: a local server speaking both Claude wire formats (Anthropic Messages over
//! SSE, Bedrock ConverseStream over event-stream frames), written independently of the
//! crate's providers so it catches their bugs rather than sharing them.
//!
//! Answers come from scenarios written once in Anthropic terms (`scenario`) and translated per
//! API (`sse`, `converse`); tests queue them (`POST /_mock/script` or [`MockHandle::push`]),
//! or scripted [`Rules`] answer like a tiny model. Requests are checked as the real servers do
//! (`validate`) and recorded for inspection.

mod control;
mod conversation;
mod converse;
mod eventstream;
mod plan;
mod rules;
mod scenario;
mod server;
mod sse;
mod state;
mod validate;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use conversation::{Conversation, ToolResult};
pub use converse::translate as translate_converse;
pub use eventstream::{EsFrame, encode_message};
pub use plan::{HttpReply, Reply, Step};
pub use rules::{ReplyItem, Rule, Rules, TextItem, ToolItem, When};
pub use scenario::{BUILTIN, HttpErrorLine, Line, ScriptedResponse, parse_jsonl, parse_lines};
pub use sse::{SseFrame, translate as translate_sse};
pub use state::{Api, RecordedRequest};

use server::App;
use state::Shared;

/// How the mock starts.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MockConfig {
    /// A directory of `*.jsonl` scenarios that add to or override the built-in ones (the file
    /// stem is the name). Default: none.
    pub scenarios_dir: Option<PathBuf>,
    /// Rules answering model requests when the script queue is empty. Default: none (the
    /// `text` scenario answers).
    pub rules: Option<Rules>,
    /// Accepted `x-api-key` values (and Bedrock bearer tokens). Default: empty, any key.
    pub api_keys: Vec<String>,
}

impl MockConfig {
    /// Loads the scenarios once, to report a broken file before the server starts.
    pub fn check(&self) -> std::io::Result<()> {
        scenario::load(self.scenarios_dir.as_deref()).map(drop)
    }
}

/// Serves on `listener` until `shutdown` is cancelled (streams in flight end then too).
pub async fn serve(
    config: MockConfig,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    run(Arc::new(Shared::new(config)?), listener, shutdown).await
}

async fn run(
    shared: Arc<Shared>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let router = server::router(App {
        shared,
        shutdown: shutdown.clone(),
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

/// Starts a mock on `127.0.0.1:0` in this runtime.
pub async fn start(config: MockConfig) -> std::io::Result<MockHandle> {
    let shared = Arc::new(Shared::new(config)?);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run(Arc::clone(&shared), listener, shutdown.clone()));
    Ok(MockHandle {
        addr,
        shared,
        shutdown,
        task: Some(task),
    })
}

/// A running in-process mock, sharing its state with the HTTP control API. Dropping it shuts
/// the server down.
pub struct MockHandle {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl MockHandle {
    /// `http://127.0.0.1:<port>`, the base URL for either provider.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues the response to the next model request. An unknown scenario name or bad lines
    /// are answered as a 500 when the request comes.
    pub fn push(&self, response: ScriptedResponse) {
        self.shared.push(response);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    pub fn clear_requests(&self) {
        self.shared.clear_requests();
    }

    pub fn set_rules(&self, rules: Rules) {
        self.shared.set_rules(rules);
    }

    /// Shuts the server down and waits for it to finish.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.shutdown.cancel();
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for MockHandle {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
