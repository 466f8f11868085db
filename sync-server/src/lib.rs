//! The Tandem sync server: rooms over the y-websocket protocol, durable storage, the HTTP API and
//! the `tandem` command line. `server::run` is the one entry point tests and the binary share.

pub mod access;
pub mod ai_cmd;
pub mod app;
pub mod ask_cmd;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod connection;
pub mod error;
pub mod http;
pub mod room;
pub mod runner_cmd;
pub mod runs;
pub mod server;
pub mod store;
pub mod token_cmd;
pub mod ws;

pub use config::Config;
pub use server::run;
