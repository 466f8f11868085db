//! The gateway: one call in, one stream of events out, with the response cache, the router, the
//! key pool, retries and fallbacks in between, and every call's usage and cost recorded.
//!
//! A call walks its route's targets (model x provider) in order. On each target it takes the
//! least-loaded key, opens the stream and reads ahead to the first content event; a failure
//! before that point is invisible to the caller, so it is retried (same target: 429 honouring
//! `retry-after`, 5xx and transport errors with backoff) or moved on (529 overloaded, a long
//! `retry-after`, exhausted keys: next target; context overflow: a larger model). After the
//! first content event the stream is the caller's: an error ends it, after what was received.

mod attempt;
mod metered;
mod shape;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::time::Instant;

use self::attempt::Step;
pub use self::metered::Answer;
use crate::cache::{CacheKey, ResponseCache};
use crate::context::tokens;
use crate::keypool::KeyPool;
use crate::models::ModelSpec;
use crate::retry::RetrySettings;
use crate::router::{Route, RouteInput, Router, Target};
use crate::usage::Ledger;
use crate::{AiError, Block, ErrorKind, Provider, ProviderKind, Request, Role};

/// One model call, with what the gateway needs to route, cache and account for it.
#[derive(Debug, Clone)]
pub struct Call {
    pub request: Request,
    pub room: String,
    pub tenant: String,
    /// The version of the room the request was built from (e.g. a hash of its state vector).
    /// With it, an answer that calls no tool is cached for that version.
    pub doc_version: Option<String>,
    /// Files the request is about (the router sends multi-file work to the strong model).
    pub files_in_scope: usize,
    /// This call retries an edit that failed to apply (the router escalates it).
    pub failed_edit_retry: bool,
    /// An explicit model (our registry name), bypassing the router's choice.
    pub model: Option<String>,
}

impl Call {
    pub fn new(request: Request, room: impl Into<String>, tenant: impl Into<String>) -> Self {
        Self {
            request,
            room: room.into(),
            tenant: tenant.into(),
            doc_version: None,
            files_in_scope: 0,
            failed_edit_retry: false,
            model: None,
        }
    }
}

/// What the gateway is built from.
pub struct Parts {
    pub router: Router,
    pub keys: KeyPool,
    /// The provider behind each key id of the pool.
    pub providers: HashMap<String, Arc<dyn Provider>>,
    pub cache: ResponseCache,
    pub retry: RetrySettings,
    pub ledger: Arc<Ledger>,
}

/// Routes, retries, caches and accounts for model calls. Cheap to share behind an `Arc`.
pub struct Gateway {
    router: Router,
    keys: KeyPool,
    providers: HashMap<String, Arc<dyn Provider>>,
    cache: Arc<ResponseCache>,
    retry: RetrySettings,
    ledger: Arc<Ledger>,
}

impl Gateway {
    pub fn new(parts: Parts) -> Result<Self, AiError> {
        for state in parts.keys.snapshot() {
            if !parts.providers.contains_key(&state.id) {
                return Err(AiError::Config(format!(
                    "key {:?} has no provider",
                    state.id
                )));
            }
        }
        Ok(Self {
            router: parts.router,
            keys: parts.keys,
            providers: parts.providers,
            cache: Arc::new(parts.cache),
            retry: parts.retry,
            ledger: parts.ledger,
        })
    }

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    pub fn keys(&self) -> &KeyPool {
        &self.keys
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Which model would serve `call`, and where, without calling anything.
    pub fn plan(&self, call: &Call) -> Result<Route, AiError> {
        let available: Vec<ProviderKind> = [ProviderKind::Anthropic, ProviderKind::Bedrock]
            .into_iter()
            .filter(|p| self.keys.has_keys(*p))
            .collect();
        let estimate = self.estimate_for_routing(&call.request);
        let last_user = last_user_text(&call.request);
        let input = RouteInput {
            last_user_text: &last_user,
            estimated_prompt_tokens: estimate,
            max_output_tokens: call.request.max_tokens,
            files_in_scope: call.files_in_scope,
            offers_edit_tools: call.request.offers_edit_tools(),
            failed_edit_retry: call.failed_edit_retry,
            override_model: call.model.as_deref(),
        };
        self.router.route(&input, &available)
    }

    /// Starts `call`: an answer streaming events, or the last error when no target could serve it.
    pub async fn stream(&self, call: Call) -> Result<Answer, AiError> {
        let started = Instant::now();
        let cache_key = self.cache_key(&call);
        if let Some(key) = &cache_key
            && let Some(hit) = self.cache.get(key)
        {
            let spec = self.spec_of(&hit.model);
            return Ok(Answer::replay(&call, hit, spec, &self.ledger));
        }
        let route = self.plan(&call)?;
        tracing::debug!(model = %route.model, reason = %route.reason, score = route.score, "route");
        let mut providers: Vec<ProviderKind> = route.targets.iter().map(|t| t.provider).collect();
        providers.dedup();
        let mut targets: VecDeque<Target> = route.targets.into();
        let mut tried: Vec<Target> = Vec::new();
        let mut last_error: Option<AiError> = None;
        while let Some(target) = targets.pop_front() {
            if tried.contains(&target) {
                continue;
            }
            tried.push(target.clone());
            let Some(spec) = self.router.registry().get(&target.model).cloned() else {
                continue;
            };
            let Some(model_id) = spec.id_on(target.provider).map(str::to_owned) else {
                continue;
            };
            let request = shape::for_model(&call.request, &spec);
            let estimate = tokens::estimate_request(&request, &spec);
            let needed = estimate + u64::from(request.max_tokens);
            if needed > spec.context_window {
                self.queue_larger(&spec, needed, &providers, target.provider, &mut targets);
                last_error = Some(overflow(&spec, needed));
                continue;
            }
            match self.attempt(&target, &model_id, &request, estimate).await {
                Ok(opened) => {
                    let cache = cache_key.map(|k| (self.cache.clone(), k));
                    return Ok(Answer::live(
                        &call,
                        &spec,
                        opened,
                        started,
                        cache,
                        &self.ledger,
                    ));
                }
                Err(Step::Next(e)) => {
                    tracing::info!(model = %target.model, provider = target.provider.as_str(), error = %e, "falling back");
                    last_error = Some(merge_exhausted(last_error, e));
                }
                Err(Step::Overflow(e)) => {
                    // Our estimate fitted but the provider counted more: only a larger window helps.
                    let needed = needed.max(spec.context_window + 1);
                    self.queue_larger(&spec, needed, &providers, target.provider, &mut targets);
                    last_error = Some(e);
                }
                Err(Step::Fatal(e)) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| AiError::Config("no provider can serve the route".into())))
    }

    fn cache_key(&self, call: &Call) -> Option<CacheKey> {
        let version = call.doc_version.as_deref()?;
        self.cache
            .enabled()
            .then(|| ResponseCache::key(&call.request, version, call.model.as_deref()))
    }

    fn spec_of(&self, model: &str) -> Option<ModelSpec> {
        self.router.registry().get(model).cloned()
    }

    /// A larger-context model goes to the front, on the provider that overflowed first, then
    /// on the route's other providers.
    fn queue_larger(
        &self,
        spec: &ModelSpec,
        needed: u64,
        route_providers: &[ProviderKind],
        provider: ProviderKind,
        targets: &mut VecDeque<Target>,
    ) {
        if let Some(bigger) = self.router.larger_context(&spec.name, needed) {
            let mut providers = vec![provider, other(provider)];
            providers.retain(|p| route_providers.contains(p) && bigger.id_on(*p).is_some());
            for p in providers.into_iter().rev() {
                targets.push_front(Target {
                    model: bigger.name.clone(),
                    provider: p,
                });
            }
        }
    }

    /// The most conservative estimate over the registry, so routing never underestimates.
    fn estimate_for_routing(&self, request: &Request) -> u64 {
        self.router
            .registry()
            .all()
            .iter()
            .map(|spec| tokens::estimate_request(request, spec))
            .max()
            .unwrap_or(0)
    }
}

fn other(p: ProviderKind) -> ProviderKind {
    match p {
        ProviderKind::Anthropic => ProviderKind::Bedrock,
        ProviderKind::Bedrock => ProviderKind::Anthropic,
    }
}

fn overflow(spec: &ModelSpec, needed: u64) -> AiError {
    AiError::Provider {
        kind: ErrorKind::ContextOverflow,
        status: None,
        retry_after: None,
        message: format!(
            "about {needed} tokens do not fit {} ({} tokens)",
            spec.name, spec.context_window
        ),
    }
}

/// When every target was out of keys, the caller learns the soonest moment one frees up.
fn merge_exhausted(previous: Option<AiError>, next: AiError) -> AiError {
    match (previous, next) {
        (Some(AiError::Exhausted { retry_after: a }), AiError::Exhausted { retry_after: b }) => {
            AiError::Exhausted {
                retry_after: a.min(b),
            }
        }
        (_, next) => next,
    }
}

fn last_user_text(request: &Request) -> String {
    request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User && m.content.iter().any(|b| matches!(b, Block::Text(_))))
        .map(|m| {
            m.content
                .iter()
                .filter_map(|b| {
                    if let Block::Text(t) = b {
                        Some(t.as_str())
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}
