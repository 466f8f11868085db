//! Tandem's runner: a tonic gRPC service that runs a room's files in a sandbox and streams output.
//!
//! `server::run` is the service; each job goes through a fresh single-threaded helper process
//! (`jail::main`, exec'd as `tandem jail` or `tandem-jail`) that joins the job's cgroup, drops
//! privileges and builds the jail with hakoniwa. The server owns the wall clock, the output cap
//! and the kill.

pub mod cgroup;
pub mod config;
mod error;
pub mod jail;
pub mod job;
pub mod language;
pub mod limits;
mod pool;
pub mod scheduler;
pub mod server;
mod service;
pub mod status;

pub use config::Settings;
pub use error::RunnerError;
pub use protocol::runner_proto as proto;
