//! AI settings (the TOML `[ai]` table) and building a gateway from them.
//!
//! Secrets never sit in the settings themselves when avoidable: a key names the environment
//! variable or file that holds it, read through the lookup the binary passes in.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use crate::anthropic::{self, AnthropicConfig, AnthropicProvider};
use crate::bedrock::{BedrockConfig, BedrockProvider};
use crate::cache::{CacheSettings, ResponseCache};
use crate::context::BudgetSettings;
use crate::gateway::{Gateway, Parts};
use crate::keypool::{KeyLimits, KeyPool, KeySpec};
use crate::models::{self, ModelSpec, Registry};
use crate::retry::RetrySettings;
use crate::router::{Router, RouterSettings};
use crate::usage::Ledger;
use crate::{AiError, Provider, ProviderKind};

/// Every AI setting, as written in TOML under `[ai]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AiSettings {
    pub anthropic: AnthropicSettings,
    pub bedrock: BedrockSettings,
    /// Replaces the built-in model table when not empty (`[[ai.models]]`).
    pub models: Vec<ModelSpec>,
    pub router: RouterSettings,
    pub cache: CacheSettings,
    pub retry: RetrySettings,
    pub budget: BudgetSettings,
    /// Usage records kept in full for queries (sums are kept for every call); default 1000.
    pub recent_usage: Option<usize>,
    /// `[ai.peer]`: Claude as a participant in rooms.
    pub peer: crate::agent::AgentSettings,
}

/// `[ai.anthropic]`: the client (`[ai.anthropic.client]`) and its keys (`[[ai.anthropic.keys]]`).
/// With no keys listed, `ANTHROPIC_API_KEY` (when set) is one key named `anthropic`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnthropicSettings {
    pub client: AnthropicConfig,
    pub keys: Vec<AnthropicKey>,
}

/// One Anthropic API key and its limits.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnthropicKey {
    /// Names the key in logs, usage records and metrics (never the key itself).
    pub id: String,
    /// The environment variable holding the key (preferred).
    pub key_env: Option<String>,
    /// A file holding the key.
    pub key_file: Option<PathBuf>,
    /// The key itself (discouraged: settings files get copied around).
    pub key: Option<String>,
    pub limits: KeyLimits,
}

impl std::fmt::Debug for AnthropicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicKey")
            .field("id", &self.id)
            .field("key_env", &self.key_env)
            .field("key_file", &self.key_file)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("limits", &self.limits)
            .finish()
    }
}

/// `[ai.bedrock]`: AWS accounts (`[[ai.bedrock.accounts]]`), each a region and identity with
/// limits. None listed: Bedrock is not used.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BedrockSettings {
    pub accounts: Vec<BedrockAccount>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BedrockAccount {
    pub id: String,
    pub client: BedrockConfig,
    pub limits: KeyLimits,
}

/// Reads an environment variable; the binary passes `std::env::var` (tests pass a map).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl AiSettings {
    /// The models the gateway routes between.
    pub fn registry(&self) -> Registry {
        if self.models.is_empty() {
            Registry::default()
        } else {
            Registry::new(self.models.clone())
        }
    }

    /// Builds the gateway: one provider per key or account, all sharing one HTTP client per
    /// provider kind.
    pub async fn gateway(&self, env: EnvLookup<'_>) -> Result<Gateway, AiError> {
        let mut specs = Vec::new();
        let mut providers: HashMap<String, Arc<dyn Provider>> = HashMap::new();
        let http = anthropic::http_client(&self.anthropic.client)?;
        for key in self.anthropic_keys(env) {
            let (key, secret) = key?;
            let provider =
                AnthropicProvider::new(self.anthropic.client.clone(), secret, http.clone());
            specs.push(KeySpec {
                id: key.id.clone(),
                provider: ProviderKind::Anthropic,
                limits: key.limits,
            });
            providers.insert(key.id, Arc::new(provider));
        }
        for account in &self.bedrock.accounts {
            if account.id.is_empty() {
                return Err(AiError::Config("a bedrock account needs an id".into()));
            }
            let provider = BedrockProvider::new(account.client.clone()).await?;
            specs.push(KeySpec {
                id: account.id.clone(),
                provider: ProviderKind::Bedrock,
                limits: account.limits,
            });
            providers.insert(account.id.clone(), Arc::new(provider));
        }
        if specs.is_empty() {
            return Err(AiError::Config(
                "no AI provider: set ANTHROPIC_API_KEY or list [[ai.anthropic.keys]] / [[ai.bedrock.accounts]]".into(),
            ));
        }
        Gateway::new(Parts {
            router: Router::new(self.router.clone(), self.registry())?,
            keys: KeyPool::new(specs)?,
            providers,
            cache: ResponseCache::new(self.cache.clone()),
            retry: self.retry.clone(),
            ledger: Arc::new(Ledger::new(self.recent_usage.unwrap_or(1000))),
        })
    }

    fn anthropic_keys(&self, env: EnvLookup<'_>) -> Vec<Result<(AnthropicKey, String), AiError>> {
        if self.anthropic.keys.is_empty() {
            return env("ANTHROPIC_API_KEY")
                .filter(|k| !k.is_empty())
                .map(|secret| {
                    let key = AnthropicKey {
                        id: "anthropic".into(),
                        ..AnthropicKey::default()
                    };
                    Ok((key, secret))
                })
                .into_iter()
                .collect();
        }
        self.anthropic
            .keys
            .iter()
            .map(|key| Ok((key.clone(), secret(key, env)?)))
            .collect()
    }
}

fn secret(key: &AnthropicKey, env: EnvLookup<'_>) -> Result<String, AiError> {
    if key.id.is_empty() {
        return Err(AiError::Config("an anthropic key needs an id".into()));
    }
    let value = match (&key.key_env, &key.key_file, &key.key) {
        (Some(var), None, None) => env(var).ok_or_else(|| {
            AiError::Config(format!(
                "key {}: environment variable {var} is not set",
                key.id
            ))
        })?,
        (None, Some(path), None) => std::fs::read_to_string(path)
            .map_err(|e| AiError::Config(format!("key {}: {}: {e}", key.id, path.display())))?,
        (None, None, Some(value)) => value.clone(),
        _ => {
            return Err(AiError::Config(format!(
                "key {}: give exactly one of key_env, key_file, key",
                key.id
            )));
        }
    };
    let value = value.trim().to_owned();
    if value.is_empty() {
        return Err(AiError::Config(format!("key {} is empty", key.id)));
    }
    Ok(value)
}

/// The built-in model table, for documentation and `tandem` to print.
pub fn default_models() -> Vec<ModelSpec> {
    models::defaults()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> AiSettings {
        toml::from_str(toml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn keys_come_from_the_environment_a_file_or_inline() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "sk-from-file\n").unwrap();
        let settings = parse(&format!(
            "[[anthropic.keys]]\nid = \"a\"\nkey_env = \"MY_KEY\"\nlimits = {{ rpm = 5 }}\n\
             [[anthropic.keys]]\nid = \"b\"\nkey_file = \"{}\"\n\
             [[anthropic.keys]]\nid = \"c\"\nkey = \"sk-inline\"\n",
            file.display()
        ));
        let env = |name: &str| (name == "MY_KEY").then(|| "sk-from-env".to_owned());
        let keys: Vec<(String, String)> = settings
            .anthropic_keys(&env)
            .into_iter()
            .map(|k| k.map(|(k, s)| (k.id, s)).unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                ("a".into(), "sk-from-env".into()),
                ("b".into(), "sk-from-file".into()),
                ("c".into(), "sk-inline".into())
            ]
        );
        assert_eq!(settings.anthropic.keys[0].limits.rpm, Some(5));
        assert!(
            !format!("{settings:?}").contains("sk-inline"),
            "Debug hides inline keys"
        );
    }

    #[test]
    fn bad_keys_are_refused_with_their_name() {
        let cases = [
            (
                "[[anthropic.keys]]\nid = \"a\"\nkey_env = \"UNSET\"\n",
                "UNSET is not set",
            ),
            ("[[anthropic.keys]]\nid = \"a\"\n", "exactly one of"),
            (
                "[[anthropic.keys]]\nid = \"a\"\nkey = \"x\"\nkey_env = \"Y\"\n",
                "exactly one of",
            ),
            ("[[anthropic.keys]]\nkey = \"x\"\n", "needs an id"),
            ("[[anthropic.keys]]\nid = \"a\"\nkey = \"  \"\n", "is empty"),
        ];
        for (toml, want) in cases {
            let error = parse(toml).anthropic_keys(&|_| None).remove(0).unwrap_err();
            assert!(error.to_string().contains(want), "{toml}: {error}");
        }
        assert!(
            toml::from_str::<AiSettings>("[anthropic]\nkeyz = []\n").is_err(),
            "unknown keys refused"
        );
    }

    #[test]
    fn the_default_key_is_anthropic_api_key() {
        let env = |name: &str| (name == "ANTHROPIC_API_KEY").then(|| "sk-default".to_owned());
        let keys = AiSettings::default().anthropic_keys(&env);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].as_ref().unwrap().0.id, "anthropic");
        assert!(AiSettings::default().anthropic_keys(&|_| None).is_empty());
    }

    #[tokio::test]
    async fn no_provider_at_all_is_a_clear_error() {
        let error = AiSettings::default()
            .gateway(&|_| None)
            .await
            .err()
            .expect("refused");
        assert!(error.to_string().contains("ANTHROPIC_API_KEY"), "{error}");
    }
}
