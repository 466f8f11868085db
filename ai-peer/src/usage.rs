//! TODO(usage)
