//! TODO(retry)
