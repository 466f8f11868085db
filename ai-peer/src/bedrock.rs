//! TODO(bedrock)
