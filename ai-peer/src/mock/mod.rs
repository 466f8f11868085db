//! TODO(mock)
