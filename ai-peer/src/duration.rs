//! Durations in settings, written the human way ("500ms", "30s", "10m") in TOML.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// `#[serde(deserialize_with = "crate::duration::deserialize")]` for a `Duration` field.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    humantime::parse_duration(&s).map_err(|e| serde::de::Error::custom(format!("{s:?}: {e}")))
}
