//! Tests of the response cache: what the key covers, TTL, LRU bounds.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::{Message, StopReason, Tool, Usage};

fn tool(name: &str, edits: bool) -> Tool {
    Tool {
        name: name.into(),
        description: format!("the {name} tool"),
        input_schema: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        edits,
        eager_input_streaming: false,
    }
}

fn request() -> Request {
    Request {
        system: vec![SystemBlock::Text("You are a peer.".into())],
        messages: vec![
            Message::user(vec![Block::Text("What does main do?".into())]),
            Message::assistant(vec![Block::Text("It starts the server.".into())]),
            Message::user(vec![Block::Text("And then?".into())]),
        ],
        tools: vec![tool("read_file", false)],
        cache_tools: false,
        max_tokens: 1000,
        temperature: Some(0.5),
        stop_sequences: Vec::new(),
    }
}

fn answer(text: &str) -> CachedAnswer {
    CachedAnswer {
        model: "claude-haiku-5-5".into(),
        provider: ProviderKind::Anthropic,
        events: vec![
            Event::MessageStart {
                model: None,
                usage: None,
            },
            Event::TextDelta {
                index: 0,
                text: text.into(),
            },
            Event::BlockStop { index: 0 },
            Event::MessageDelta {
                stop_reason: Some(StopReason::EndTurn),
                usage: Usage::default(),
            },
            Event::MessageStop,
        ],
    }
}

fn key_of(i: usize) -> CacheKey {
    ResponseCache::key(&request(), &format!("v{i}"), None)
}

#[test]
fn the_key_covers_what_changes_the_answer() {
    let base = ResponseCache::key(&request(), "v1", None);
    assert_eq!(
        base,
        ResponseCache::key(&request(), "v1", None),
        "deterministic"
    );

    type Change = fn(&mut Request);
    let cases: &[(&str, Change)] = &[
        ("message text", |r| {
            r.messages[2].content[0] = Block::Text("And after?".into())
        }),
        ("extra message", |r| {
            r.messages.push(Message::assistant(vec![]))
        }),
        ("role", |r| r.messages[1].role = crate::Role::User),
        ("system", |r| {
            r.system[0] = SystemBlock::Text("You are terse.".into())
        }),
        ("tool added", |r| r.tools.push(tool("search", false))),
        ("tool schema", |r| {
            r.tools[0].input_schema = json!({"type": "object"})
        }),
        ("tool description", |r| {
            r.tools[0].description = "reads".into()
        }),
        ("temperature", |r| r.temperature = Some(0.7)),
        ("temperature unset", |r| r.temperature = None),
        ("max_tokens", |r| r.max_tokens = 2000),
        ("stop sequence", |r| r.stop_sequences.push("END".into())),
    ];
    for (name, change) in cases {
        let mut r = request();
        change(&mut r);
        assert_ne!(
            ResponseCache::key(&r, "v1", None),
            base,
            "{name} must change the key"
        );
    }

    assert_ne!(
        ResponseCache::key(&request(), "v2", None),
        base,
        "doc version"
    );
    assert_ne!(
        ResponseCache::key(&request(), "v1", Some("claude-opus-5-5")),
        base,
        "override"
    );
    assert_ne!(
        ResponseCache::key(&request(), "v1", Some("a")),
        ResponseCache::key(&request(), "v1", Some("b")),
        "override name"
    );
    // Length prefixes: moving bytes between the version and the override is a change.
    assert_ne!(
        ResponseCache::key(&request(), "v1a", Some("b")),
        ResponseCache::key(&request(), "v1", Some("ab")),
    );
    assert_ne!(
        ResponseCache::key(&request(), "", Some("")),
        ResponseCache::key(&request(), "", None),
    );
}

#[test]
fn cache_points_and_schema_key_order_do_not_change_the_key() {
    let base = ResponseCache::key(&request(), "v1", None);
    let mut r = request();
    r.cache_tools = true;
    r.system.push(SystemBlock::CachePoint);
    r.messages[0].content.push(Block::CachePoint);
    r.messages[2].content.insert(0, Block::CachePoint);
    assert_eq!(r.cache_points(), 4);
    assert_eq!(ResponseCache::key(&r, "v1", None), base);

    let mut a = request();
    a.tools[0].input_schema = json!({"type": "object", "required": ["path"], "title": "t"});
    let mut b = request();
    b.tools[0].input_schema = json!({"title": "t", "required": ["path"], "type": "object"});
    assert_eq!(
        ResponseCache::key(&a, "v1", None),
        ResponseCache::key(&b, "v1", None)
    );
}

#[test]
fn answers_calling_a_tool_are_not_stored() {
    let text = crate::Event::TextDelta {
        index: 0,
        text: "hi".into(),
    };
    let call = crate::Event::ToolUseStart {
        index: 1,
        id: "t".into(),
        name: "str_replace".into(),
    };
    assert!(ResponseCache::storable(&[
        text.clone(),
        crate::Event::MessageStop
    ]));
    assert!(!ResponseCache::storable(&[text, call]));
}

#[test]
fn same_request_and_version_hits() {
    let cache = ResponseCache::new(CacheSettings::default());
    assert!(cache.is_empty());
    let key = ResponseCache::key(&request(), "v1", None);
    assert!(cache.get(&key).is_none());
    cache.insert(key, answer("It listens."));
    assert_eq!(cache.len(), 1);

    let hit = cache
        .get(&ResponseCache::key(&request(), "v1", None))
        .expect("hit");
    assert_eq!(*hit, answer("It listens."));
    assert!(
        cache
            .get(&ResponseCache::key(&request(), "v2", None))
            .is_none()
    );

    // Replacing an entry keeps one entry and serves the new answer.
    cache.insert(key, answer("It serves."));
    assert_eq!(cache.len(), 1);
    assert_eq!(*cache.get(&key).expect("hit"), answer("It serves."));
}

#[test]
fn disabled_cache_stores_nothing() {
    let cache = ResponseCache::new(CacheSettings {
        enabled: false,
        ..CacheSettings::default()
    });
    cache.insert(key_of(0), answer("x"));
    assert!(cache.is_empty());
    assert!(cache.get(&key_of(0)).is_none());
}

#[tokio::test(start_paused = true)]
async fn entries_expire_after_the_ttl() {
    let ttl = Duration::from_secs(600);
    let cache = ResponseCache::new(CacheSettings {
        ttl,
        ..CacheSettings::default()
    });
    cache.insert(key_of(0), answer("a"));
    tokio::time::advance(Duration::from_secs(300)).await;
    cache.insert(key_of(1), answer("b"));

    tokio::time::advance(Duration::from_secs(299)).await;
    assert!(
        cache.get(&key_of(0)).is_some(),
        "a hit does not extend the TTL"
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(
        cache.get(&key_of(0)).is_none(),
        "expired at exactly the TTL"
    );
    assert_eq!(cache.len(), 1, "the expired entry was removed");
    assert!(cache.get(&key_of(1)).is_some());
    tokio::time::advance(Duration::from_secs(300)).await;
    assert!(cache.get(&key_of(1)).is_none());
    assert!(cache.is_empty());
}

#[test]
fn least_recently_used_entries_go_first_by_count() {
    let cache = ResponseCache::new(CacheSettings {
        max_entries: 3,
        ..CacheSettings::default()
    });
    for i in 0..3 {
        cache.insert(key_of(i), answer("x"));
    }
    assert!(
        cache.get(&key_of(0)).is_some(),
        "0 is now the most recently used"
    );
    cache.insert(key_of(3), answer("x"));
    assert_eq!(cache.len(), 3);
    let present: Vec<bool> = (0..4).map(|i| cache.get(&key_of(i)).is_some()).collect();
    assert_eq!(present, [true, false, true, true]);
}

#[test]
fn least_recently_used_entries_go_first_by_bytes() {
    let small = answer("x").size_estimate();
    let big = answer(&"y".repeat(small)).size_estimate();
    // Room for three small answers, or one big and one small.
    let cache = ResponseCache::new(CacheSettings {
        max_bytes: small * 3,
        ..CacheSettings::default()
    });
    assert!(
        big + small <= small * 3 && big + 2 * small > small * 3,
        "sizes as planned"
    );
    for i in 0..3 {
        cache.insert(key_of(i), answer("x"));
    }
    assert!(cache.get(&key_of(0)).is_some());
    cache.insert(key_of(9), answer(&"y".repeat(small)));
    let present: Vec<bool> = [0, 1, 2, 9]
        .iter()
        .map(|&i| cache.get(&key_of(i)).is_some())
        .collect();
    assert_eq!(
        present,
        [true, false, false, true],
        "1 and 2 were least recently used"
    );

    // An answer larger than the whole budget is not stored, and evicts nothing.
    cache.insert(key_of(10), answer(&"z".repeat(small * 4)));
    assert!(cache.get(&key_of(10)).is_none());
    assert_eq!(cache.len(), 2);
}

#[test]
fn size_estimate_grows_with_the_text() {
    let a = answer("short").size_estimate();
    let b = answer(&"long".repeat(100)).size_estimate();
    assert_eq!(b - a, 400 - 5);
}

#[test]
fn settings_parse_with_defaults_and_humantime() -> anyhow::Result<()> {
    let s: CacheSettings = toml::from_str("ttl = \"90s\"\nmax_entries = 5")?;
    assert_eq!(
        s,
        CacheSettings {
            ttl: Duration::from_secs(90),
            max_entries: 5,
            ..CacheSettings::default()
        }
    );
    assert!(toml::from_str::<CacheSettings>("ttl = \"soon\"").is_err());
    assert!(toml::from_str::<CacheSettings>("size = 1").is_err());
    Ok(())
}
