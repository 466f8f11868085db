//! The context budget: what of the room and the conversation goes into a request, estimated
//! per model, most stable first so the provider's prompt cache keeps its prefix (notes §6).
//!
//! `tokens` estimates, `outline` condenses a file to its definitions, `turns` groups the
//! conversation into units that are kept or dropped whole, `docs` renders file views, and
//! `builder` fills the budget in priority order (`input` holds what it takes and reports).

mod builder;
mod docs;
mod input;
pub mod outline;
pub mod tokens;
mod turns;

pub use builder::{DOCS_CACHE_POINT_MIN_TOKENS, build};
pub use input::{BudgetSettings, Built, ContextInput, Cursor, FileDoc, Report};
