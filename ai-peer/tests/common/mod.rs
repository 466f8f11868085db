//! Shared test plumbing: a `claude-mock` on a loopback port, its control API, gateways and
//! providers pointed at it, and the events a scenario file promises.

#![allow(dead_code)]

use std::path::PathBuf;

use ai_peer::anthropic::{AnthropicConfig, AnthropicProvider};
use ai_peer::bedrock::{BedrockConfig, BedrockProvider};
use ai_peer::config::AiSettings;
use ai_peer::mock::{self, MockConfig, MockHandle};
use ai_peer::{AiError, ErrorKind, Event, Provider, StopReason, Usage};
use futures_util::StreamExt;
use serde_json::{Value, json};

pub const API_KEY: &str = "sk-ant-test-0123456789";
/// A second key the mock accepts (its first 8 characters differ, so recordings tell them apart).
pub const API_KEY_2: &str = "sk-two-test-9876543210";

pub async fn start_mock() -> MockHandle {
    mock::start(MockConfig {
        api_keys: vec![API_KEY.into(), API_KEY_2.into()],
        ..MockConfig::default()
    })
    .await
    .expect("start claude-mock")
}

/// Queues responses on the mock through its HTTP control API.
pub async fn script(mock: &MockHandle, responses: Value) {
    let url = format!("{}/_mock/script", mock.url());
    let r = reqwest::Client::new()
        .post(url)
        .json(&json!({ "responses": responses }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "script: {}", r.status());
}

/// The requests the mock has recorded, through its HTTP control API.
pub async fn recorded(mock: &MockHandle) -> Vec<Value> {
    let url = format!("{}/_mock/requests", mock.url());
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

pub fn anthropic_config(mock: &MockHandle) -> AnthropicConfig {
    toml::from_str(&format!("base_url = \"{}\"", mock.url())).unwrap()
}

pub fn bedrock_config(mock: &MockHandle) -> BedrockConfig {
    toml::from_str(&format!(
        "region = \"us-east-1\"\nendpoint_url = \"{}\"\naccess_key_id = \"AKIDTEST\"\nsecret_access_key = \"secret\"\n",
        mock.url()
    ))
    .unwrap()
}

pub fn anthropic(mock: &MockHandle) -> AnthropicProvider {
    let config = anthropic_config(mock);
    let http = ai_peer::anthropic::http_client(&config).unwrap();
    AnthropicProvider::new(config, API_KEY.into(), http)
}

pub async fn bedrock(mock: &MockHandle) -> BedrockProvider {
    BedrockProvider::new(bedrock_config(mock)).await.unwrap()
}

/// Gateway settings with both providers on the mock; `extra` is appended TOML.
pub fn settings(mock: &MockHandle, extra: &str) -> AiSettings {
    let url = mock.url();
    let toml = format!(
        "[[anthropic.keys]]\nid = \"anthropic-1\"\nkey = \"{API_KEY}\"\n[anthropic.client]\nbase_url = \"{url}\"\n\
         [[bedrock.accounts]]\nid = \"bedrock-1\"\n[bedrock.accounts.client]\nregion = \"us-east-1\"\n\
         endpoint_url = \"{url}\"\naccess_key_id = \"AKIDTEST\"\nsecret_access_key = \"secret\"\n{extra}"
    );
    toml::from_str(&toml).unwrap_or_else(|e| panic!("settings: {e}\n{toml}"))
}

/// What a stream produced, comparable across providers: events, then the error that ended
/// it (by kind), or the error that refused the call.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Refused {
        kind: Option<ErrorKind>,
        retry_after: Option<std::time::Duration>,
    },
    Streamed {
        events: Vec<Event>,
        end: End,
    },
}

#[derive(Debug, PartialEq)]
pub enum End {
    Complete,
    MidStream(ErrorKind),
    Disconnected,
    Other(String),
}

/// Runs one call through a provider; `MessageStart` is normalized (providers legitimately
/// differ there: Bedrock reports no model and no usage until the end).
pub async fn run(provider: &dyn Provider, request: &ai_peer::Request, model: &str) -> Outcome {
    let mut stream = match provider.open(request, model).await {
        Ok(s) => s,
        Err(e) => {
            return Outcome::Refused {
                kind: e.kind(),
                retry_after: e.retry_after(),
            };
        }
    };
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(Event::MessageStart { .. }) => events.push(Event::MessageStart {
                model: None,
                usage: None,
            }),
            Ok(e) => events.push(e),
            Err(AiError::MidStream { kind, .. }) => {
                return Outcome::Streamed {
                    events,
                    end: End::MidStream(kind),
                };
            }
            Err(AiError::Disconnected) => {
                return Outcome::Streamed {
                    events,
                    end: End::Disconnected,
                };
            }
            Err(e) => {
                return Outcome::Streamed {
                    events,
                    end: End::Other(e.to_string()),
                };
            }
        }
    }
    Outcome::Streamed {
        events,
        end: End::Complete,
    }
}

pub fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.jsonl"))
}

/// The outcome a scenario file promises, derived from its Anthropic events independently of
/// both providers' code.
pub fn expected(name: &str) -> Outcome {
    let text = std::fs::read_to_string(scenario_path(name)).unwrap();
    let mut events = Vec::new();
    let mut usage = Usage::default();
    let mut open_blocks = std::collections::HashSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        if let Some(directive) = v["mock"].as_str() {
            match directive {
                "http_error" => {
                    let status = v["status"].as_u64().unwrap();
                    let kind = match status {
                        429 => ErrorKind::RateLimited,
                        529 => ErrorKind::Overloaded,
                        500..=599 => ErrorKind::Server,
                        401 | 403 => ErrorKind::Auth,
                        _ => ErrorKind::InvalidRequest,
                    };
                    let retry_after = v["headers"]["retry-after"]
                        .as_str()
                        .map(|s| std::time::Duration::from_secs(s.parse().unwrap()));
                    return Outcome::Refused {
                        kind: Some(kind),
                        retry_after,
                    };
                }
                "drop" => {
                    return Outcome::Streamed {
                        events,
                        end: End::Disconnected,
                    };
                }
                _ => continue,
            }
        }
        let index = v["index"].as_u64().unwrap_or(0) as u32;
        match v["type"].as_str().unwrap() {
            "message_start" => {
                usage = usage_of(&v["message"]["usage"], Usage::default());
                events.push(Event::MessageStart {
                    model: None,
                    usage: None,
                });
            }
            "content_block_start" => match v["content_block"]["type"].as_str().unwrap() {
                "text" => {
                    open_blocks.insert(index);
                }
                "tool_use" => {
                    open_blocks.insert(index);
                    events.push(Event::ToolUseStart {
                        index,
                        id: v["content_block"]["id"].as_str().unwrap().into(),
                        name: v["content_block"]["name"].as_str().unwrap().into(),
                    });
                }
                _ => {}
            },
            "content_block_delta" => match v["delta"]["type"].as_str().unwrap() {
                "text_delta" if !v["delta"]["text"].as_str().unwrap().is_empty() => {
                    events.push(Event::TextDelta {
                        index,
                        text: v["delta"]["text"].as_str().unwrap().into(),
                    });
                }
                "input_json_delta" if !v["delta"]["partial_json"].as_str().unwrap().is_empty() => {
                    events.push(Event::ToolInputDelta {
                        index,
                        partial_json: v["delta"]["partial_json"].as_str().unwrap().into(),
                    });
                }
                _ => {}
            },
            "content_block_stop" if open_blocks.contains(&index) => {
                events.push(Event::BlockStop { index })
            }
            "message_delta" => {
                usage = usage_of(&v["usage"], usage);
                events.push(Event::MessageDelta {
                    stop_reason: v["delta"]["stop_reason"].as_str().map(StopReason::parse),
                    usage,
                });
            }
            "message_stop" => {
                events.push(Event::MessageStop);
                return Outcome::Streamed {
                    events,
                    end: End::Complete,
                };
            }
            "error" => {
                let kind = match v["error"]["type"].as_str().unwrap() {
                    "overloaded_error" => ErrorKind::Overloaded,
                    "rate_limit_error" => ErrorKind::RateLimited,
                    "api_error" => ErrorKind::Server,
                    "invalid_request_error" => ErrorKind::InvalidRequest,
                    _ => ErrorKind::Other,
                };
                return Outcome::Streamed {
                    events,
                    end: End::MidStream(kind),
                };
            }
            _ => {}
        }
    }
    Outcome::Streamed {
        events,
        end: End::Disconnected,
    }
}

fn usage_of(v: &Value, base: Usage) -> Usage {
    let field = |name: &str, old: u64| v[name].as_u64().unwrap_or(old);
    Usage {
        input_tokens: field("input_tokens", base.input_tokens),
        output_tokens: field("output_tokens", base.output_tokens),
        cache_write_tokens: field("cache_creation_input_tokens", base.cache_write_tokens),
        cache_read_tokens: field("cache_read_input_tokens", base.cache_read_tokens),
    }
}
