//! What a token grants: a room or room prefix, a permission level, and who holds it.

use std::fmt;
use std::str::FromStr;

/// Permission levels; each includes the ones before it, so they compare with `>=`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Perm {
    /// See, follow, be present.
    Read,
    /// Also edit.
    Write,
    /// Also mint, revoke, delete, audit.
    Admin,
}

impl Perm {
    pub fn as_str(self) -> &'static str {
        match self {
            Perm::Read => "read",
            Perm::Write => "write",
            Perm::Admin => "admin",
        }
    }
}

impl fmt::Display for Perm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission {0:?} (expected read, write or admin)")]
pub struct ParsePermError(String);

impl FromStr for Perm {
    type Err = ParsePermError;

    fn from_str(s: &str) -> Result<Perm, ParsePermError> {
        match s {
            "read" => Ok(Perm::Read),
            "write" => Ok(Perm::Write),
            "admin" => Ok(Perm::Admin),
            _ => Err(ParsePermError(s.to_owned())),
        }
    }
}

/// The claims of a Tandem token (docs/api.md, "Tokens").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    /// A room name, or a prefix ending in `*` (`*` alone is every room).
    pub room: String,
    pub perm: Perm,
    #[serde(default)]
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Seconds since the epoch; the token is refused from this second on.
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
}

impl Claims {
    /// Whether the token's `room` names `room`, exactly or as a `prefix*`.
    pub fn covers(&self, room: &str) -> bool {
        match self.room.strip_suffix('*') {
            Some(prefix) => room.starts_with(prefix),
            None => self.room == room,
        }
    }

    /// Whether every room `pattern` can match is covered, so a token for `pattern` minted from this
    /// one grants nothing this one does not.
    pub fn covers_pattern(&self, pattern: &str) -> bool {
        match (self.room.strip_suffix('*'), pattern.strip_suffix('*')) {
            (Some(mine), Some(theirs)) => theirs.starts_with(mine),
            (Some(mine), None) => pattern.starts_with(mine),
            // A single room cannot cover a family of rooms.
            (None, Some(_)) => false,
            (None, None) => self.room == pattern,
        }
    }

    pub fn allows(&self, room: &str, need: Perm) -> bool {
        self.perm >= need && self.covers(room)
    }

    /// Who to record in the audit log for this token.
    pub fn actor(&self) -> String {
        if !self.sub.is_empty() {
            return self.sub.clone();
        }
        match (&self.name, &self.jti) {
            (Some(name), _) if !name.is_empty() => name.clone(),
            (_, Some(jti)) if !jti.is_empty() => jti.clone(),
            _ => "unknown".to_owned(),
        }
    }
}

/// A room name, or a prefix of room-name characters followed by `*` (`*` alone: every room).
pub fn valid_room_pattern(p: &str) -> bool {
    match p.strip_suffix('*') {
        Some(prefix) => prefix.is_empty() || protocol::valid_room_name(prefix),
        None => protocol::valid_room_name(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(room: &str, perm: Perm) -> Claims {
        Claims {
            room: room.to_owned(),
            perm,
            sub: String::new(),
            name: None,
            tenant: None,
            exp: 0,
            jti: None,
            iat: None,
        }
    }

    #[test]
    fn covers_table() {
        let table = [
            ("notes", "notes", true),
            ("notes", "notes2", false),
            ("notes", "note", false),
            ("notes", "Notes", false),
            ("team-*", "team-a", true),
            ("team-*", "team-", true),
            ("team-*", "team", false),
            ("team-*", "teams-a", false),
            ("team-*", "x-team-a", false),
            ("*", "anything", true),
            ("*", "a", true),
        ];
        for (pattern, room, want) in table {
            let c = claims(pattern, Perm::Read);
            assert_eq!(c.covers(room), want, "{pattern} covers {room}");
        }
    }

    #[test]
    fn covers_pattern_table() {
        let table = [
            // narrower or equal: allowed
            ("*", "*", true),
            ("*", "team-*", true),
            ("*", "notes", true),
            ("team-*", "team-*", true),
            ("team-*", "team-a*", true),
            ("team-*", "team-a", true),
            ("notes", "notes", true),
            // wider or elsewhere: refused
            ("team-*", "*", false),
            ("team-*", "tea*", false),
            ("team-*", "other-*", false),
            ("team-*", "other", false),
            ("notes", "notes*", false),
            ("notes", "*", false),
            ("notes", "notes2", false),
        ];
        for (mine, pattern, want) in table {
            let c = claims(mine, Perm::Admin);
            assert_eq!(
                c.covers_pattern(pattern),
                want,
                "{mine} covers pattern {pattern}"
            );
        }
    }

    #[test]
    fn perms_order_and_allow() {
        assert!(Perm::Read < Perm::Write && Perm::Write < Perm::Admin);
        let c = claims("team-*", Perm::Write);
        assert!(c.allows("team-a", Perm::Read));
        assert!(c.allows("team-a", Perm::Write));
        assert!(!c.allows("team-a", Perm::Admin));
        assert!(!c.allows("other", Perm::Read));
        let admin = claims("*", Perm::Admin);
        assert!(admin.allows("x", Perm::Admin));
    }

    #[test]
    fn perm_text_forms() {
        for p in [Perm::Read, Perm::Write, Perm::Admin] {
            assert_eq!(p.to_string().parse::<Perm>(), Ok(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
            assert_eq!(
                <Perm as clap::ValueEnum>::from_str(p.as_str(), false),
                Ok(p)
            );
        }
        assert!("Admin".parse::<Perm>().is_err());
        assert!("owner".parse::<Perm>().is_err());
        assert!(serde_json::from_str::<Perm>("\"owner\"").is_err());
    }

    #[test]
    fn actor_fallbacks() {
        let mut c = claims("r", Perm::Read);
        assert_eq!(c.actor(), "unknown");
        c.jti = Some("j1".into());
        assert_eq!(c.actor(), "j1");
        c.name = Some("Ada".into());
        assert_eq!(c.actor(), "Ada");
        c.sub = "user-1".into();
        assert_eq!(c.actor(), "user-1");
    }

    #[test]
    fn room_patterns() {
        for ok in ["notes", "a", "team-*", "*", "a.b_c-d*", &"x".repeat(128)] {
            assert!(valid_room_pattern(ok), "{ok:?} should be valid");
        }
        let long_prefix = format!("{}*", "x".repeat(129));
        for bad in [
            "",
            "**",
            "a**",
            "*a",
            "a*b",
            "te am*",
            "a/b",
            "ä*",
            "a*/",
            &long_prefix,
            &"x".repeat(129),
        ] {
            assert!(!valid_room_pattern(bad), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn serde_shape() {
        let c: Claims =
            serde_json::from_str(r#"{"room":"r","perm":"write","exp":5,"extra":1}"#).unwrap();
        assert_eq!(c.sub, "");
        assert_eq!(c.perm, Perm::Write);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"room": "r", "perm": "write", "sub": "", "exp": 5})
        );
    }
}
