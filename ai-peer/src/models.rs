//! The model registry: ids on each provider, context window, prices and capabilities.
//!
//! Everything here comes from configuration (`[[ai.models]]`); `defaults()` is only the table
//! used when the configuration names none, written from the published prices of late 2026.

use serde::{Deserialize, Serialize};

use crate::ProviderKind;

/// What a model is for, as the router sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Short questions, explanations, small edits.
    Fast,
    /// Multi-file work, long context, retries after a failed edit.
    Strong,
    /// Rare escalation.
    Top,
}

/// Prices in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub input: f64,
    pub output: f64,
    /// A prompt-cache write (5-minute TTL).
    pub cache_write: f64,
    pub cache_read: f64,
    /// Some models charge more for long prompts: above `threshold_tokens` of prompt (input and
    /// cache tokens together), every price is multiplied by `multiplier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_context: Option<LongContextPrice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongContextPrice {
    pub threshold_tokens: u64,
    pub multiplier: f64,
}

/// What a model accepts; requests are shaped to fit (e.g. no forced tool choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Capabilities {
    /// Accepts `tool_choice` `any` / `tool` (Sonnet 5.5 does not).
    pub forced_tool_choice: bool,
    /// Accepts `temperature` (deprecated on the 5 family: left out of requests).
    pub temperature: bool,
    /// Supports fine-grained tool input streaming (`eager_input_streaming`).
    pub eager_input_streaming: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self {
            forced_tool_choice: true,
            temperature: true,
            eager_input_streaming: true,
        }
    }
}

/// One model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Our name for it, used in config, overrides and usage records (e.g. `claude-sonnet-5-5`).
    pub name: String,
    pub tier: Tier,
    /// Its id on the Anthropic API; `None` when it is not served there.
    #[serde(default)]
    pub anthropic_id: Option<String>,
    /// Its Bedrock inference-profile id (`us.anthropic.…`, `global.anthropic.…`).
    #[serde(default)]
    pub bedrock_id: Option<String>,
    /// Context window in tokens (prompt and output together).
    pub context_window: u64,
    /// Most output tokens one call may ask for.
    pub max_output: u32,
    pub prices: Prices,
    /// Average characters per token of its tokenizer, for local estimates (tokenizers differ:
    /// the 4.7+ and 5.5 tokenizers need about 30% more tokens for the same text).
    pub chars_per_token: f64,
    #[serde(default)]
    pub capabilities: Capabilities,
}

impl ModelSpec {
    /// The model's id on `provider`, if that provider serves it.
    pub fn id_on(&self, provider: ProviderKind) -> Option<&str> {
        match provider {
            ProviderKind::Anthropic => self.anthropic_id.as_deref(),
            ProviderKind::Bedrock => self.bedrock_id.as_deref(),
        }
    }
}

/// Standard prompt-cache multipliers on the input price: write 1.25x, read 0.1x.
fn prices(input: f64, output: f64) -> Prices {
    Prices {
        input,
        output,
        cache_write: input * 1.25,
        cache_read: input * 0.1,
        long_context: None,
    }
}

/// The built-in registry: current Claude models (late 2026), cheapest first.
pub fn defaults() -> Vec<ModelSpec> {
    let five = Capabilities {
        forced_tool_choice: true,
        temperature: false,
        eager_input_streaming: true,
    };
    vec![
        ModelSpec {
            name: "claude-haiku-5-5".into(),
            tier: Tier::Fast,
            anthropic_id: Some("claude-haiku-5-5".into()),
            bedrock_id: Some("global.anthropic.claude-haiku-5-5".into()),
            context_window: 200_000,
            max_output: 64_000,
            prices: Prices {
                long_context: Some(LongContextPrice {
                    threshold_tokens: 100_000,
                    multiplier: 5.0,
                }),
                ..prices(0.10, 0.50)
            },
            chars_per_token: 2.7,
            capabilities: five,
        },
        ModelSpec {
            name: "claude-haiku-4-5".into(),
            tier: Tier::Fast,
            anthropic_id: Some("claude-haiku-4-5-20251001".into()),
            bedrock_id: Some("us.anthropic.claude-haiku-4-5-20251001-v1:0".into()),
            context_window: 200_000,
            max_output: 64_000,
            prices: prices(1.0, 5.0),
            chars_per_token: 3.5,
            capabilities: Capabilities::default(),
        },
        ModelSpec {
            name: "claude-sonnet-5-5".into(),
            tier: Tier::Strong,
            anthropic_id: Some("claude-sonnet-5-5".into()),
            bedrock_id: Some("us.anthropic.claude-sonnet-5-5".into()),
            context_window: 1_000_000,
            max_output: 64_000,
            // Cache reads were cut to $0.10 on 2026-10-07.
            prices: Prices {
                cache_read: 0.10,
                ..prices(2.0, 10.0)
            },
            chars_per_token: 2.7,
            capabilities: Capabilities {
                forced_tool_choice: false,
                ..five
            },
        },
        ModelSpec {
            name: "claude-sonnet-4-6".into(),
            tier: Tier::Strong,
            anthropic_id: Some("claude-sonnet-4-6".into()),
            bedrock_id: Some("us.anthropic.claude-sonnet-4-6".into()),
            context_window: 200_000,
            max_output: 64_000,
            prices: prices(3.0, 15.0),
            chars_per_token: 3.5,
            capabilities: Capabilities::default(),
        },
        ModelSpec {
            name: "claude-opus-5-5".into(),
            tier: Tier::Top,
            anthropic_id: Some("claude-opus-5-5".into()),
            bedrock_id: Some("global.anthropic.claude-opus-5-5".into()),
            context_window: 1_000_000,
            max_output: 128_000,
            prices: prices(4.0, 20.0),
            chars_per_token: 2.7,
            capabilities: five,
        },
    ]
}

/// The models a gateway knows, by name.
#[derive(Debug, Clone)]
pub struct Registry {
    models: Vec<ModelSpec>,
}

impl Registry {
    pub fn new(models: Vec<ModelSpec>) -> Self {
        Self { models }
    }

    pub fn get(&self, name: &str) -> Option<&ModelSpec> {
        self.models.iter().find(|m| m.name == name)
    }

    pub fn all(&self) -> &[ModelSpec] {
        &self.models
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new(defaults())
    }
}
