//! The mock's shared state: scenarios, the scripted-response queue, the rules and the log of
//! recorded requests, used by the HTTP handlers and by [`super::MockHandle`] alike.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::MockConfig;
use super::conversation::Conversation;
use super::rules::Rules;
use super::scenario::{self, Line, ScriptedResponse};

/// Which wire format a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    Anthropic,
    Bedrock,
}

/// A model request as the mock received it (valid or not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub api: Api,
    pub path: String,
    /// The body's `model` (Anthropic) or the decoded path's model id (Bedrock).
    pub model: Option<String>,
    /// Lowercase names; `x-api-key` and `authorization` cut to their first 8 characters.
    pub headers: BTreeMap<String, String>,
    /// The JSON body, or the raw text when it is not JSON.
    pub body: Value,
}

impl RecordedRequest {
    pub fn new(
        api: Api,
        path: &str,
        model: Option<String>,
        headers: &HeaderMap,
        body: Value,
    ) -> Self {
        let mut recorded = BTreeMap::<String, String>::new();
        for (name, value) in headers {
            let mut value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            if name == "x-api-key" || name == "authorization" {
                value = value.chars().take(8).collect();
            }
            recorded
                .entry(name.as_str().to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
        Self {
            api,
            path: path.to_owned(),
            model,
            headers: recorded,
            body,
        }
    }
}

pub(crate) struct Shared {
    scenarios: HashMap<String, Vec<Line>>,
    pub api_keys: Vec<String>,
    queue: Mutex<VecDeque<ScriptedResponse>>,
    rules: Mutex<Rules>,
    requests: Mutex<Vec<RecordedRequest>>,
    messages: AtomicU64,
    tool_ids: AtomicU64,
}

/// A poisoned lock only means a panic elsewhere; the data (a queue, a log) is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub fn new(config: MockConfig) -> std::io::Result<Self> {
        Ok(Self {
            scenarios: scenario::load(config.scenarios_dir.as_deref())?,
            api_keys: config.api_keys,
            queue: Mutex::default(),
            rules: Mutex::new(config.rules.unwrap_or_default()),
            requests: Mutex::default(),
            messages: AtomicU64::new(1),
            tool_ids: AtomicU64::new(1),
        })
    }

    pub fn push(&self, response: ScriptedResponse) {
        lock(&self.queue).push_back(response);
    }

    /// Checks a response can be served (the scenario exists, the lines parse) before queueing.
    pub fn check(&self, response: &ScriptedResponse) -> Result<(), String> {
        self.resolve(response).map(drop)
    }

    pub fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.requests).clear();
    }

    pub fn set_rules(&self, rules: Rules) {
        *lock(&self.rules) = rules;
    }

    /// A fresh number for ids (`msg_mock_N`, `req_mock_N`).
    pub fn next_message_no(&self) -> u64 {
        self.messages.fetch_add(1, Ordering::Relaxed)
    }

    /// The scenario answering a request: the next queued response, else the first matching
    /// rule, else the `text` scenario.
    pub fn reply_lines(
        &self,
        conversation: &Conversation,
        message_no: u64,
    ) -> Result<Vec<Line>, String> {
        let queued = lock(&self.queue).pop_front();
        if let Some(response) = queued {
            return self.resolve(&response);
        }
        let rules = lock(&self.rules);
        if let Some(rule) = rules.find(conversation) {
            let first_tool_id = self
                .tool_ids
                .fetch_add(rule.tool_count(), Ordering::Relaxed);
            return Ok(rule.render(conversation, message_no, first_tool_id));
        }
        drop(rules);
        self.resolve(&ScriptedResponse::Scenario("text".into()))
    }

    fn resolve(&self, response: &ScriptedResponse) -> Result<Vec<Line>, String> {
        match response {
            ScriptedResponse::Scenario(name) => self
                .scenarios
                .get(name)
                .cloned()
                .ok_or_else(|| format!("unknown scenario {name:?}")),
            ScriptedResponse::Lines(values) => scenario::parse_lines(values),
        }
    }
}
