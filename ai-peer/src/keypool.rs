//! TODO(keypool)
