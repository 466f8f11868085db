//! Stock npm `yjs` + `y-websocket` clients in Node against the server, beside a Rust peer.
