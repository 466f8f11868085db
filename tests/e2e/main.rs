//! Tandem's end-to-end suite: real `tandem` processes, real sockets, real clients.

mod bad_input;
mod durability;
mod harness;
mod http;
mod interop;
mod keepalive;
mod random;
mod rooms;
mod slow;
mod sync;
