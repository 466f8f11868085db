//! TODO(gateway)
