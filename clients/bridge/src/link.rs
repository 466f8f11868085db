//! Where to connect: a room link (`http://host/r/{room}#token=...`, what the web page shares) or
//! a sync URL, room and token, resolved to the WebSocket URL and the HTTP API's base.

use base64::Engine;

use crate::BridgeError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http(s)://host[:port]` (the API's base, for runs).
    pub http: String,
    pub room: String,
    pub token: String,
}

impl Target {
    /// `ws(s)://host/sync/{room}?token=...`.
    pub fn sync_url(&self) -> String {
        let ws = if let Some(rest) = self.http.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            format!("ws://{}", self.http.trim_start_matches("http://"))
        };
        let mut url = url::Url::parse(&ws).expect("an origin parsed before");
        url.path_segments_mut()
            .expect("ws URLs have paths")
            .extend(["sync", &self.room]);
        url.query_pairs_mut().append_pair("token", &self.token);
        url.into()
    }

    /// The token's claims, read without checking (the server checks; we only adapt).
    pub fn read_only(&self) -> bool {
        claims(&self.token).is_some_and(|c| c["perm"] == "read")
    }

    /// The `name` claim, if the link carries one.
    pub fn name(&self) -> Option<String> {
        claims(&self.token).and_then(|c| c["name"].as_str().map(str::to_owned))
    }
}

/// `http://host:port/r/{room}#token=...` (other fragment parameters allowed).
pub fn parse_link(link: &str) -> Result<Target, BridgeError> {
    let bad = |why: &str| BridgeError::BadLink(why.to_owned());
    let url = url::Url::parse(link.trim()).map_err(|_| bad("not a URL"))?;
    let http = origin(&url)?;
    let mut segments = url.path_segments().ok_or_else(|| bad("no path"))?;
    let room = match (segments.next(), segments.next()) {
        (Some("r"), Some(room)) if !room.is_empty() => decode(room),
        _ => return Err(bad("the path is not /r/{room}")),
    };
    let fragment = url.fragment().unwrap_or("");
    let token = url::form_urlencoded::parse(fragment.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("no #token= in the link"))?;
    Ok(Target { http, room, token })
}

/// `ws://host:port/sync` (or the server's base URL) with a room and token.
pub fn parse_parts(url: &str, room: &str, token: &str) -> Result<Target, BridgeError> {
    let bad = |why: &str| BridgeError::BadLink(why.to_owned());
    let parsed = url::Url::parse(url.trim()).map_err(|_| bad("not a URL"))?;
    if room.is_empty() || token.is_empty() {
        return Err(bad("room and token are required"));
    }
    Ok(Target {
        http: origin(&parsed)?,
        room: room.to_owned(),
        token: token.to_owned(),
    })
}

fn origin(url: &url::Url) -> Result<String, BridgeError> {
    let scheme = match url.scheme() {
        "http" | "ws" => "http",
        "https" | "wss" => "https",
        other => return Err(BridgeError::BadLink(format!("scheme {other}"))),
    };
    let host = url
        .host_str()
        .ok_or_else(|| BridgeError::BadLink("no host".into()))?;
    Ok(match url.port() {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    })
}

fn decode(s: &str) -> String {
    percent_decode(s).unwrap_or_else(|| s.to_owned())
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

fn claims(token: &str) -> Option<serde_json::Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: &str) -> String {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", b.encode("{}"), b.encode(claims))
    }

    #[test]
    fn links_resolve_to_sync_urls() {
        let t = token(r#"{"room":"demo","perm":"read","name":"Ada"}"#);
        let target =
            parse_link(&format!("http://127.0.0.1:8787/r/my%20room#token={t}&x=1")).unwrap();
        assert_eq!(target.http, "http://127.0.0.1:8787");
        assert_eq!(target.room, "my room");
        assert!(target.read_only());
        assert_eq!(target.name().as_deref(), Some("Ada"));
        assert_eq!(
            target.sync_url(),
            format!("ws://127.0.0.1:8787/sync/my%20room?token={t}")
        );
        let secure = parse_link(&format!("https://tandem.dev/r/a#token={t}")).unwrap();
        assert!(secure.sync_url().starts_with("wss://tandem.dev/sync/a?"));
        for bad in [
            "nonsense",
            "http://h/x/a#token=t",
            "http://h/r/a",
            "ftp://h/r/a#token=t",
        ] {
            assert!(parse_link(bad).is_err(), "{bad}");
        }
        let parts = parse_parts("ws://h:1/sync", "r", &token(r#"{"perm":"write"}"#)).unwrap();
        assert_eq!(parts.http, "http://h:1");
        assert!(!parts.read_only());
    }
}
