//! Scenario scripts: JSONL written once in Anthropic terms (stream events exactly as the API
//! sends them, plus `mock` directives), the built-in set, and the scripted-response queue items.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

/// One line of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// An Anthropic stream event (an object with a string `type`), sent as is on the Anthropic
    /// API and translated for Bedrock.
    Event(Value),
    /// `{"mock":"http_error",...}`: the whole response is this error (first and only line).
    HttpError(HttpErrorLine),
    /// `{"mock":"sleep","ms":N}`: pause before the next line.
    Sleep(Duration),
    /// `{"mock":"drop"}`: abort the connection here.
    Drop,
}

/// An error answered instead of a stream, in Anthropic terms.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpErrorLine {
    pub status: u16,
    /// Extra headers (e.g. `retry-after`), lowercase names.
    pub headers: Vec<(String, String)>,
    /// Anthropic `error.type`, e.g. `rate_limit_error`.
    pub error_type: String,
    pub message: String,
}

/// A response queued for the next model request.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptedResponse {
    /// A scenario by name (built-in or from the scenarios directory).
    Scenario(String),
    /// Scenario lines given inline (JSON values, as in a scenario file).
    Lines(Vec<Value>),
}

impl ScriptedResponse {
    /// Reads one item of `POST /_mock/script`'s `responses`: a name or `{"lines": [...]}`.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(name) => Ok(Self::Scenario(name.clone())),
            Value::Object(map) if map.len() == 1 => match map.get("lines") {
                Some(Value::Array(lines)) => Ok(Self::Lines(lines.clone())),
                _ => Err("expected {\"lines\": [...]}".into()),
            },
            _ => Err("expected a scenario name or {\"lines\": [...]}".into()),
        }
    }
}

/// The scenarios shipped with the crate, by name (also in `ai-peer/scenarios/`).
pub const BUILTIN: &[(&str, &str)] = &[
    ("text", include_str!("../../scenarios/text.jsonl")),
    ("tool_call", include_str!("../../scenarios/tool_call.jsonl")),
    (
        "multi_block",
        include_str!("../../scenarios/multi_block.jsonl"),
    ),
    ("pings", include_str!("../../scenarios/pings.jsonl")),
    (
        "rate_limited",
        include_str!("../../scenarios/rate_limited.jsonl"),
    ),
    (
        "overloaded",
        include_str!("../../scenarios/overloaded.jsonl"),
    ),
    (
        "mid_stream_error",
        include_str!("../../scenarios/mid_stream_error.jsonl"),
    ),
    ("dropped", include_str!("../../scenarios/dropped.jsonl")),
    ("slow", include_str!("../../scenarios/slow.jsonl")),
    (
        "unknown_events",
        include_str!("../../scenarios/unknown_events.jsonl"),
    ),
];

/// The built-in scenarios, overridden and extended by the `*.jsonl` files of `dir` (the file
/// stem is the name). Every scenario is parsed and translated once here, so a broken file is
/// reported at start-up rather than on a request.
pub fn load(dir: Option<&Path>) -> std::io::Result<HashMap<String, Vec<Line>>> {
    let invalid = |name: &str, e: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("scenario {name}: {e}"),
        )
    };
    let mut scenarios = HashMap::new();
    for (name, text) in BUILTIN {
        scenarios.insert(
            (*name).to_owned(),
            parse_jsonl(text).map_err(|e| invalid(name, e))?,
        );
    }
    if let Some(dir) = dir {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let (Some(stem), Some("jsonl")) = (
                path.file_stem().and_then(|s| s.to_str()),
                path.extension().and_then(|s| s.to_str()),
            ) else {
                continue;
            };
            let text = std::fs::read_to_string(&path)?;
            scenarios.insert(
                stem.to_owned(),
                parse_jsonl(&text).map_err(|e| invalid(stem, e))?,
            );
        }
    }
    Ok(scenarios)
}

/// A built-in scenario by name, parsed (for the translators' tests).
#[cfg(test)]
pub(crate) fn builtin(name: &str) -> Option<Vec<Line>> {
    let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
    parse_jsonl(text).ok()
}

/// Parses a scenario file: one JSON value per non-blank line.
pub fn parse_jsonl(text: &str) -> Result<Vec<Line>, String> {
    let values = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1)))
        .collect::<Result<Vec<Value>, String>>()?;
    parse_lines(&values)
}

/// Parses scenario lines and checks that they translate to both wire formats.
pub fn parse_lines(values: &[Value]) -> Result<Vec<Line>, String> {
    let lines = values
        .iter()
        .enumerate()
        .map(|(i, v)| parse_line(v).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(i) = lines
        .iter()
        .skip(1)
        .position(|l| matches!(l, Line::HttpError(_)))
    {
        return Err(format!("line {}: http_error must be the first line", i + 2));
    }
    if matches!(lines.first(), Some(Line::HttpError(_))) && lines.len() > 1 {
        return Err("line 2: nothing may follow an http_error (it is the whole response)".into());
    }
    super::converse::translate(&lines)?;
    Ok(lines)
}

fn parse_line(value: &Value) -> Result<Line, String> {
    let Value::Object(map) = value else {
        return Err("expected a JSON object".into());
    };
    let Some(directive) = map.get("mock") else {
        return match map.get("type") {
            Some(Value::String(_)) => Ok(Line::Event(value.clone())),
            _ => Err("an event needs a string `type` (or a `mock` directive)".into()),
        };
    };
    match directive.as_str() {
        Some("sleep") => match map.get("ms").and_then(Value::as_u64) {
            Some(ms) => Ok(Line::Sleep(Duration::from_millis(ms))),
            None => Err("sleep needs `ms`, a non-negative integer".into()),
        },
        Some("drop") => Ok(Line::Drop),
        Some("http_error") => parse_http_error(map).map(Line::HttpError),
        _ => Err(format!(
            "unknown directive {directive} (http_error, sleep, drop)"
        )),
    }
}

fn parse_http_error(map: &Map<String, Value>) -> Result<HttpErrorLine, String> {
    let status = map
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (400..=599).contains(s))
        .ok_or("http_error needs `status` between 400 and 599")?;
    let mut headers = Vec::new();
    match map.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (name, value) in h {
                let value = value
                    .as_str()
                    .ok_or("http_error `headers` values must be strings")?;
                headers.push((name.to_ascii_lowercase(), value.to_owned()));
            }
        }
        Some(_) => return Err("http_error `headers` must be an object".into()),
    }
    let error = map
        .get("error")
        .ok_or("http_error needs `error: {type, message}`")?;
    let field = |key: &str| {
        error
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(format!("http_error `error.{key}` must be a string"))
    };
    Ok(HttpErrorLine {
        status,
        headers,
        error_type: field("type")?,
        message: field("message")?,
    })
}

#[cfg(test)]
#[path = "scenario_tests.rs"]
mod tests;
