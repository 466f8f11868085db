//! TODO(cache)
