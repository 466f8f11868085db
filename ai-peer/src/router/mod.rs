//! Chooses the model for one request and the order of (model, provider) pairs to try: rules
//! first (an override, a retry after a failed edit, a prompt too long for the fast model),
//! then a difficulty score. Pure: no IO, no clock.

mod score;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::models::{ModelSpec, Registry, Tier};
use crate::{AiError, ProviderKind};

pub use score::{
    EASY_WORDS, HARD_WORDS, LONG_PROMPT, MULTI_FILE_EDIT, PER_EXTRA_FILE, SHORT_QUESTION,
};

/// `[ai.router]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouterSettings {
    /// The fast tier's model. Default `claude-haiku-5-5`.
    pub fast: String,
    /// The strong tier's model. Default `claude-sonnet-5-5`.
    pub strong: String,
    /// The providers to use, in order of preference. Default `["bedrock", "anthropic"]`. A
    /// provider missing from the list is not used, even when it has keys (so one can be
    /// switched off without removing its keys).
    pub providers: Vec<ProviderKind>,
    /// A request whose last user text has fewer characters than this is a short question.
    /// Default 400.
    pub short_chars: usize,
    /// A prompt above this many tokens counts as long. Default 40 000.
    pub long_context_tokens: u64,
    /// Edit tools with this many files in scope or more make a multi-file edit. Default 2.
    pub multi_file: usize,
    /// The score from which the strong model is chosen. Default 3.
    pub strong_score: i32,
    /// Per model, the models to try after it (each on every provider), in order. Default: none
    /// written. The fast model without an entry falls back to the strong model; write
    /// `"<fast model>" = []` to turn that off.
    pub fallbacks: BTreeMap<String, Vec<String>>,
}

impl Default for RouterSettings {
    fn default() -> Self {
        Self {
            fast: "claude-haiku-5-5".into(),
            strong: "claude-sonnet-5-5".into(),
            providers: vec![ProviderKind::Bedrock, ProviderKind::Anthropic],
            short_chars: 400,
            long_context_tokens: 40_000,
            multi_file: 2,
            strong_score: 3,
            fallbacks: BTreeMap::new(),
        }
    }
}

/// What the router looks at in a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteInput<'a> {
    /// The text of the last user message.
    pub last_user_text: &'a str,
    pub estimated_prompt_tokens: u64,
    pub max_output_tokens: u32,
    /// Documents the request covers.
    pub files_in_scope: usize,
    pub offers_edit_tools: bool,
    /// The previous attempt's edit could not be applied.
    pub failed_edit_retry: bool,
    /// A model name the caller insists on.
    pub override_model: Option<&'a str>,
}

/// One model on one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The registry name (not the provider's id).
    pub model: String,
    pub provider: ProviderKind,
}

/// Why a model was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Override,
    FailedEditRetry,
    TooLongForFast,
    Score,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Override => "override",
            Self::FailedEditRetry => "failed_edit_retry",
            Self::TooLongForFast => "too_long_for_fast",
            Self::Score => "score",
        })
    }
}

/// The router's decision. `targets[0]` is the chosen model on its preferred provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub tier: Tier,
    pub model: String,
    pub reason: Reason,
    /// The difficulty score, computed for every request so decisions can be compared in logs.
    pub score: i32,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone)]
pub struct Router {
    settings: RouterSettings,
    registry: Registry,
    fast: ModelSpec,
    strong: ModelSpec,
    /// `settings.fallbacks` with the fast model's default filled in.
    fallbacks: BTreeMap<String, Vec<String>>,
}

impl Router {
    /// Fails with `AiError::Config` when a setting names a model the registry does not know.
    pub fn new(settings: RouterSettings, registry: Registry) -> Result<Self, AiError> {
        let known = |name: &str, setting: &str| {
            registry
                .get(name)
                .cloned()
                .ok_or_else(|| AiError::Config(format!("router.{setting}: unknown model {name:?}")))
        };
        let fast = known(&settings.fast, "fast")?;
        let strong = known(&settings.strong, "strong")?;
        for (model, next) in &settings.fallbacks {
            known(model, "fallbacks")?;
            for name in next {
                known(name, &format!("fallbacks.{model}"))?;
            }
        }
        let mut fallbacks = settings.fallbacks.clone();
        if fast.name != strong.name {
            fallbacks
                .entry(fast.name.clone())
                .or_insert_with(|| vec![strong.name.clone()]);
        }
        Ok(Self {
            settings,
            registry,
            fast,
            strong,
            fallbacks,
        })
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Chooses the model for `input` and the targets to try, on the `available` providers.
    ///
    /// An unknown override is `AiError::Invalid` (the caller's mistake); a chosen model that no
    /// available provider serves is `AiError::Config`.
    pub fn route(
        &self,
        input: &RouteInput<'_>,
        available: &[ProviderKind],
    ) -> Result<Route, AiError> {
        let score = score::score(input, &self.settings);
        let needed = input
            .estimated_prompt_tokens
            .saturating_add(u64::from(input.max_output_tokens));
        let (model, reason) = if let Some(name) = input.override_model {
            let model = self
                .registry
                .get(name)
                .ok_or_else(|| AiError::Invalid(format!("unknown model {name:?}")))?;
            (model, Reason::Override)
        } else if input.failed_edit_retry {
            (
                self.strong_fitting(needed, available),
                Reason::FailedEditRetry,
            )
        } else if needed > self.fast.context_window {
            (
                self.strong_fitting(needed, available),
                Reason::TooLongForFast,
            )
        } else if score >= self.settings.strong_score {
            (self.strong_fitting(needed, available), Reason::Score)
        } else {
            (&self.fast, Reason::Score)
        };

        let targets = self.targets(model, needed, available);
        if targets.first().is_none_or(|t| t.model != model.name) {
            return Err(AiError::Config(format!(
                "no available provider ({available:?}) serves {}",
                model.name
            )));
        }
        Ok(Route {
            tier: model.tier,
            model: model.name.clone(),
            reason,
            score,
            targets,
        })
    }

    /// The cheapest model (by input price) of `model`'s tier or a higher one whose context
    /// window holds `needed_tokens`, other than `model` itself. `None` when there is none or
    /// `model` is unknown.
    pub fn larger_context(&self, model: &str, needed_tokens: u64) -> Option<&ModelSpec> {
        let spec = self.registry.get(model)?;
        self.cheapest_fitting(spec, needed_tokens, None)
    }

    /// The strong model, or when the request does not fit it the cheapest larger model some
    /// available provider serves. If nothing fits, still the strong model: trimming the
    /// context is the context budget's job, not the router's.
    fn strong_fitting(&self, needed: u64, available: &[ProviderKind]) -> &ModelSpec {
        if needed <= self.strong.context_window {
            return &self.strong;
        }
        self.cheapest_fitting(&self.strong, needed, Some(available))
            .unwrap_or(&self.strong)
    }

    fn cheapest_fitting(
        &self,
        model: &ModelSpec,
        needed: u64,
        available: Option<&[ProviderKind]>,
    ) -> Option<&ModelSpec> {
        self.registry
            .all()
            .iter()
            .filter(|m| m.name != model.name && m.tier >= model.tier && m.context_window >= needed)
            .filter(|m| available.is_none_or(|av| av.iter().any(|&p| m.id_on(p).is_some())))
            .min_by(|a, b| a.prices.input.total_cmp(&b.prices.input))
    }

    /// `model` on each provider that serves it, then its fallbacks that fit `needed`, each in
    /// provider order; no pair twice.
    fn targets(&self, model: &ModelSpec, needed: u64, available: &[ProviderKind]) -> Vec<Target> {
        let providers = self.provider_order(available);
        let fallbacks = self.fallbacks.get(&model.name).into_iter().flatten();
        let models = std::iter::once(model).chain(
            fallbacks
                .filter_map(|name| self.registry.get(name))
                .filter(|m| m.context_window >= needed),
        );
        let mut targets: Vec<Target> = Vec::new();
        for m in models {
            for &provider in &providers {
                let duplicate = targets
                    .iter()
                    .any(|t| t.model == m.name && t.provider == provider);
                if m.id_on(provider).is_some() && !duplicate {
                    targets.push(Target {
                        model: m.name.clone(),
                        provider,
                    });
                }
            }
        }
        targets
    }

    /// The listed providers that are available, the preferred ones first.
    fn provider_order(&self, available: &[ProviderKind]) -> Vec<ProviderKind> {
        let mut order: Vec<ProviderKind> = Vec::with_capacity(available.len());
        for &p in self
            .settings
            .providers
            .iter()
            .filter(|p| available.contains(p))
        {
            if !order.contains(&p) {
                order.push(p);
            }
        }
        order
    }
}
