//! A client that never reads is closed with 4408 while the others keep their latency.
