//! Tandem's end-to-end suite: real `tandem` processes, real sockets, real clients.

mod ask;
mod audit;
mod auth;
mod bad_input;
mod claude_mock;
mod durability;
mod harness;
mod history;
mod http;
mod interop;
mod jwks;
mod keepalive;
mod local_mode;
mod node_peer;
mod perms;
mod random;
mod read_only;
mod room_admin;
mod rooms;
mod runs;
mod secrets;
mod slow;
mod sync;
mod token_life;
mod versions;
