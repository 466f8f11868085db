//! TODO(anthropic)
