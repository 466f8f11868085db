//! Incremental decoding of a tool call's JSON input as it streams in (`input_json_delta`
//! fragments), so the top-level string fields (`new_str`) can be used before the call ends.

/// Something learned about a top-level string field of the input object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldEvent {
    /// The field's string value began.
    Start { key: String },
    /// More of its decoded text.
    Chunk { key: String, text: String },
    /// Its closing quote arrived: the value is complete.
    End { key: String },
}

/// Scans fragments of a JSON object. Only top-level string values produce events; other values
/// are skipped and only seen in [`InputStream::finish`]. Text is emitted as soon as it is
/// decoded: at most an incomplete escape (or the first half of a surrogate pair) is held back.
#[derive(Debug, Default)]
pub struct InputStream {
    all: String,
    state: State,
}

#[derive(Debug, Default)]
enum State {
    #[default]
    BeforeObject,
    /// After `{` or `,`: a key or `}`.
    KeyOrEnd,
    Key {
        key: String,
        dec: Unescape,
    },
    Colon {
        key: String,
    },
    Value {
        key: String,
    },
    Str {
        key: String,
        dec: Unescape,
    },
    /// Inside a non-string value: `depth` open brackets, maybe inside a nested string.
    Skip {
        depth: u32,
        in_str: bool,
        escaped: bool,
    },
    AfterValue,
    Done,
    /// Not JSON we understand: stay quiet and let `finish` report it.
    Broken,
}

impl InputStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Consumes one fragment; returns what it revealed.
    pub fn push(&mut self, fragment: &str) -> Vec<FieldEvent> {
        self.all.push_str(fragment);
        let mut events = Vec::new();
        let mut text = String::new();
        for c in fragment.chars() {
            self.scan(c, &mut text, &mut events);
        }
        if let State::Str { key, .. } = &self.state
            && !text.is_empty()
        {
            events.push(FieldEvent::Chunk {
                key: key.clone(),
                text,
            });
        }
        events
    }

    /// The whole input, parsed (an empty input is `{}`).
    pub fn finish(self) -> Result<serde_json::Value, String> {
        if self.all.trim().is_empty() {
            return Ok(serde_json::Value::Object(serde_json::Map::new()));
        }
        serde_json::from_str(&self.all).map_err(|e| e.to_string())
    }

    fn scan(&mut self, c: char, text: &mut String, events: &mut Vec<FieldEvent>) {
        let state = std::mem::take(&mut self.state);
        self.state = match state {
            State::BeforeObject if c.is_whitespace() => State::BeforeObject,
            State::BeforeObject if c == '{' => State::KeyOrEnd,
            State::KeyOrEnd if c.is_whitespace() => State::KeyOrEnd,
            State::KeyOrEnd if c == '"' => State::Key {
                key: String::new(),
                dec: Unescape::default(),
            },
            State::KeyOrEnd if c == '}' => State::Done,
            State::Key { mut key, mut dec } => {
                if dec.feed(c, &mut key) {
                    State::Colon { key }
                } else {
                    State::Key { key, dec }
                }
            }
            State::Colon { key } if c.is_whitespace() => State::Colon { key },
            State::Colon { key } if c == ':' => State::Value { key },
            State::Value { key } if c.is_whitespace() => State::Value { key },
            State::Value { key } if c == '"' => {
                events.push(FieldEvent::Start { key: key.clone() });
                State::Str {
                    key,
                    dec: Unescape::default(),
                }
            }
            State::Value { .. } if c == '{' || c == '[' => State::Skip {
                depth: 1,
                in_str: false,
                escaped: false,
            },
            State::Value { .. } if c == ',' || c == '}' || c == ']' || c == ':' => State::Broken,
            State::Value { .. } => State::Skip {
                depth: 0,
                in_str: false,
                escaped: false,
            },
            State::Str { key, mut dec } => {
                if dec.feed(c, text) {
                    if !text.is_empty() {
                        events.push(FieldEvent::Chunk {
                            key: key.clone(),
                            text: std::mem::take(text),
                        });
                    }
                    events.push(FieldEvent::End { key });
                    State::AfterValue
                } else {
                    State::Str { key, dec }
                }
            }
            State::Skip {
                depth,
                in_str,
                escaped,
            } => skip(depth, in_str, escaped, c),
            State::AfterValue if c.is_whitespace() => State::AfterValue,
            State::AfterValue if c == ',' => State::KeyOrEnd,
            State::AfterValue if c == '}' => State::Done,
            State::Done => State::Done,
            _ => State::Broken,
        };
    }
}

/// One char of a skipped value.
fn skip(depth: u32, in_str: bool, escaped: bool, c: char) -> State {
    let (depth, in_str, escaped) = match (in_str, escaped, c) {
        (true, true, _) => (depth, true, false),
        (true, false, '\\') => (depth, true, true),
        (true, false, '"') => (depth, false, false),
        (true, false, _) => (depth, true, false),
        (false, _, '"') => (depth, true, false),
        (false, _, '{' | '[') => (depth + 1, false, false),
        (false, _, '}' | ']') if depth > 0 => {
            if depth == 1 {
                return State::AfterValue;
            }
            (depth - 1, false, false)
        }
        // A scalar (number, true, false, null) ends at the next delimiter.
        (false, _, ',') if depth == 0 => return State::KeyOrEnd,
        (false, _, '}') if depth == 0 => return State::Done,
        (false, _, c) if depth == 0 && c.is_whitespace() => return State::AfterValue,
        (false, _, _) => (depth, false, false),
    };
    State::Skip {
        depth,
        in_str,
        escaped,
    }
}

/// Decoding of a JSON string body, one char at a time, across fragment boundaries.
#[derive(Debug, Default, Clone, Copy)]
enum Unescape {
    #[default]
    Plain,
    Backslash,
    /// `\u` and `n` hex digits so far.
    Hex {
        n: u8,
        value: u32,
        high: Option<u32>,
    },
    /// A high surrogate was decoded; a `\uXXXX` low surrogate should follow.
    High(u32),
    HighBackslash(u32),
}

impl Unescape {
    /// Decodes `c` into `out`; true when `c` is the closing quote.
    fn feed(&mut self, c: char, out: &mut String) -> bool {
        match *self {
            Self::Plain => match c {
                '"' => return true,
                '\\' => *self = Self::Backslash,
                c => out.push(c),
            },
            Self::Backslash => {
                *self = Self::Plain;
                match c {
                    'u' => {
                        *self = Self::Hex {
                            n: 0,
                            value: 0,
                            high: None,
                        }
                    }
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    // `"`, `\`, `/`, and (leniently) anything else stands for itself.
                    c => out.push(c),
                }
            }
            Self::Hex { n, value, high } => {
                let Some(d) = c.to_digit(16) else {
                    // Not an escape after all: keep what we can and go on.
                    if high.is_some() {
                        out.push(char::REPLACEMENT_CHARACTER);
                    }
                    *self = Self::Plain;
                    return self.feed(c, out);
                };
                let value = value * 16 + d;
                if n < 3 {
                    *self = Self::Hex {
                        n: n + 1,
                        value,
                        high,
                    };
                    return false;
                }
                *self = Self::Plain;
                match (high, value) {
                    (Some(h), 0xDC00..=0xDFFF) => {
                        let code = 0x10000 + ((h - 0xD800) << 10) + (value - 0xDC00);
                        out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                    }
                    (high, value) => {
                        if high.is_some() {
                            out.push(char::REPLACEMENT_CHARACTER);
                        }
                        if (0xD800..0xDC00).contains(&value) {
                            *self = Self::High(value);
                        } else {
                            out.push(char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER));
                        }
                    }
                }
            }
            Self::High(h) => {
                if c == '\\' {
                    *self = Self::HighBackslash(h);
                } else {
                    out.push(char::REPLACEMENT_CHARACTER);
                    *self = Self::Plain;
                    return self.feed(c, out);
                }
            }
            Self::HighBackslash(h) => {
                if c == 'u' {
                    *self = Self::Hex {
                        n: 0,
                        value: 0,
                        high: Some(h),
                    };
                } else {
                    out.push(char::REPLACEMENT_CHARACTER);
                    *self = Self::Backslash;
                    return self.feed(c, out);
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests;
