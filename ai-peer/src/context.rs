//! TODO(context)
