//! Claude for Tandem: the Anthropic API and Bedrock behind one streaming interface, with
//! routing, a key pool, a response cache, a context budget and usage accounting.
//!
//! `Provider` is the interface (`anthropic`, `bedrock`); `gateway::Gateway` puts the rest
//! around it. `mock` is `claude-mock`, the local server that speaks both wire formats.

pub mod agent;
pub mod anthropic;
pub mod bedrock;
pub mod cache;
pub mod config;
pub mod context;
pub mod cost;
mod duration;
pub mod edit;
mod error;
mod event;
pub mod gateway;
pub mod keypool;
#[cfg(feature = "mock")]
pub mod mock;
pub mod models;
mod provider;
mod request;
pub mod retry;
pub mod router;
pub mod usage;

pub use error::{AiError, ErrorKind};
pub use event::{Event, StopReason, Usage};
pub use provider::{EventStream, Provider, ProviderKind};
pub use request::{Block, Message, Request, Role, SystemBlock, Tool};
