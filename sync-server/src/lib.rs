//! Tandem sync server.
pub mod store;
