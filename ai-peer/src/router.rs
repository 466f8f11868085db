//! TODO(router)
