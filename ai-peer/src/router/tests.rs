//! Routing decisions, table-driven over the default registry and a few custom ones.

use super::*;
use crate::models::defaults;
use ProviderKind::{Anthropic as A, Bedrock as B};

const HAIKU: &str = "claude-haiku-5-5";
const HAIKU4: &str = "claude-haiku-4-5";
const SONNET: &str = "claude-sonnet-5-5";
const SONNET4: &str = "claude-sonnet-4-6";
const OPUS: &str = "claude-opus-5-5";
const BOTH: &[ProviderKind] = &[A, B];

fn ask(text: &str) -> RouteInput<'_> {
    RouteInput {
        last_user_text: text,
        estimated_prompt_tokens: 3_000,
        max_output_tokens: 4_000,
        files_in_scope: 1,
        ..RouteInput::default()
    }
}

fn edit(text: &str, files: usize) -> RouteInput<'_> {
    RouteInput {
        files_in_scope: files,
        offers_edit_tools: true,
        ..ask(text)
    }
}

/// The default registry with the fast model served only on the Anthropic API.
fn haiku_anthropic_only() -> Registry {
    let mut models = defaults();
    for m in models.iter_mut().filter(|m| m.name == HAIKU) {
        m.bedrock_id = None;
    }
    Registry::new(models)
}

/// The model, reason and targets, or the error kind ("invalid", "config").
type Expected = Result<(&'static str, Reason, Targets), &'static str>;
type Targets = &'static [(&'static str, ProviderKind)];

struct Case {
    name: &'static str,
    settings: RouterSettings,
    registry: Registry,
    input: RouteInput<'static>,
    available: &'static [ProviderKind],
    expected: Expected,
}

fn case(name: &'static str, input: RouteInput<'static>, expected: Expected) -> Case {
    Case {
        name,
        settings: RouterSettings::default(),
        registry: Registry::default(),
        input,
        available: BOTH,
        expected,
    }
}

const FAST_BOTH: Targets = &[(HAIKU, B), (HAIKU, A), (SONNET, B), (SONNET, A)];
const STRONG_BOTH: Targets = &[(SONNET, B), (SONNET, A)];
const LONG_TEXT: &str = "We keep two copies of the presence state, one in the room actor and \
    one in the session. I would like a design where the room owns it and sessions subscribe to \
    changes, but I am not sure how that interacts with reconnects, the awareness timeout, and \
    the snapshot we send on join. What are the trade-offs, and which parts of the code would \
    need to change first? Please also consider how this affects the tests that rely on the \
    current behaviour, since several of them poke at the session copy directly today.";

fn cases() -> Vec<Case> {
    let fallback_chain = RouterSettings {
        fallbacks: BTreeMap::from([(SONNET.to_owned(), vec![OPUS.to_owned(), SONNET4.to_owned()])]),
        ..RouterSettings::default()
    };
    vec![
        case(
            "short question",
            ask("How do I call this?"),
            Ok((HAIKU, Reason::Score, FAST_BOTH)),
        ),
        case(
            "explain",
            ask("explain this function"),
            Ok((HAIKU, Reason::Score, FAST_BOTH)),
        ),
        case(
            "single small edit",
            edit("add a doc comment to this function", 1),
            Ok((HAIKU, Reason::Score, FAST_BOTH)),
        ),
        case(
            "multi-file refactor",
            edit("Refactor the session handling across these modules", 3),
            Ok((SONNET, Reason::Score, STRONG_BOTH)),
        ),
        case(
            "two-file edit",
            edit("Fix the compile error", 2),
            Ok((SONNET, Reason::Score, STRONG_BOTH)),
        ),
        case(
            "long design question over two files",
            RouteInput {
                files_in_scope: 2,
                ..ask(LONG_TEXT)
            },
            Ok((SONNET, Reason::Score, STRONG_BOTH)),
        ),
        case(
            "150k-token prompt with a full output budget",
            RouteInput {
                estimated_prompt_tokens: 150_000,
                max_output_tokens: 64_000,
                ..ask("explain this")
            },
            Ok((SONNET, Reason::TooLongForFast, STRONG_BOTH)),
        ),
        case(
            "150k-token prompt, multi-file refactor",
            RouteInput {
                estimated_prompt_tokens: 150_000,
                ..edit("refactor these", 2)
            },
            Ok((SONNET, Reason::Score, STRONG_BOTH)),
        ),
        case(
            "exactly fills the fast window",
            RouteInput {
                estimated_prompt_tokens: 196_000,
                ..ask("what is this?")
            },
            Ok((HAIKU, Reason::Score, FAST_BOTH)),
        ),
        case(
            "one token over the fast window",
            RouteInput {
                estimated_prompt_tokens: 196_001,
                ..ask("what is this?")
            },
            Ok((SONNET, Reason::TooLongForFast, STRONG_BOTH)),
        ),
        case(
            "failed edit retry",
            RouteInput {
                failed_edit_retry: true,
                ..edit("rename x to y", 1)
            },
            Ok((SONNET, Reason::FailedEditRetry, STRONG_BOTH)),
        ),
        case(
            "override beats every rule",
            RouteInput {
                override_model: Some(OPUS),
                failed_edit_retry: true,
                ..ask("hi")
            },
            Ok((OPUS, Reason::Override, &[(OPUS, B), (OPUS, A)])),
        ),
        case(
            "override to the fast model keeps its fallback",
            RouteInput {
                override_model: Some(HAIKU),
                ..edit("refactor across", 5)
            },
            Ok((HAIKU, Reason::Override, FAST_BOTH)),
        ),
        case(
            "override unknown",
            RouteInput {
                override_model: Some("gpt-9"),
                ..ask("hi")
            },
            Err("invalid"),
        ),
        Case {
            available: &[A],
            ..case(
                "only Anthropic",
                ask("hi"),
                Ok((HAIKU, Reason::Score, &[(HAIKU, A), (SONNET, A)])),
            )
        },
        Case {
            settings: RouterSettings {
                providers: vec![A, B],
                ..RouterSettings::default()
            },
            ..case(
                "Anthropic preferred",
                ask("hi"),
                Ok((
                    HAIKU,
                    Reason::Score,
                    &[(HAIKU, A), (HAIKU, B), (SONNET, A), (SONNET, B)],
                )),
            )
        },
        Case {
            settings: RouterSettings {
                providers: vec![A],
                ..RouterSettings::default()
            },
            ..case(
                "an unlisted provider is not used",
                ask("hi"),
                Ok((HAIKU, Reason::Score, &[(HAIKU, A), (SONNET, A)])),
            )
        },
        Case {
            available: &[],
            ..case("no provider", ask("hi"), Err("config"))
        },
        Case {
            registry: haiku_anthropic_only(),
            ..case(
                "fast model not on Bedrock",
                ask("hi"),
                Ok((
                    HAIKU,
                    Reason::Score,
                    &[(HAIKU, A), (SONNET, B), (SONNET, A)],
                )),
            )
        },
        Case {
            registry: haiku_anthropic_only(),
            available: &[B],
            ..case(
                "no available provider serves the fast model",
                ask("hi"),
                Err("config"),
            )
        },
        Case {
            settings: fallback_chain.clone(),
            ..case(
                "fallback chain",
                edit("migrate the schema", 3),
                Ok((
                    SONNET,
                    Reason::Score,
                    &[
                        (SONNET, B),
                        (SONNET, A),
                        (OPUS, B),
                        (OPUS, A),
                        (SONNET4, B),
                        (SONNET4, A),
                    ],
                )),
            )
        },
        Case {
            settings: fallback_chain,
            ..case(
                "fallback too small for the prompt is skipped",
                RouteInput {
                    estimated_prompt_tokens: 300_000,
                    ..ask("what is this?")
                },
                Ok((
                    SONNET,
                    Reason::TooLongForFast,
                    &[(SONNET, B), (SONNET, A), (OPUS, B), (OPUS, A)],
                )),
            )
        },
        Case {
            settings: RouterSettings {
                fast: HAIKU4.into(),
                ..RouterSettings::default()
            },
            ..case(
                "another fast model falls back to the strong one",
                ask("hi"),
                Ok((
                    HAIKU4,
                    Reason::Score,
                    &[(HAIKU4, B), (HAIKU4, A), (SONNET, B), (SONNET, A)],
                )),
            )
        },
        Case {
            settings: RouterSettings {
                fallbacks: BTreeMap::from([(HAIKU.to_owned(), vec![])]),
                ..RouterSettings::default()
            },
            ..case(
                "fast fallback turned off",
                ask("hi"),
                Ok((HAIKU, Reason::Score, &[(HAIKU, B), (HAIKU, A)])),
            )
        },
        Case {
            settings: RouterSettings {
                strong: SONNET4.into(),
                ..RouterSettings::default()
            },
            ..case(
                "too long for the strong model too: the cheapest larger one",
                RouteInput {
                    estimated_prompt_tokens: 300_000,
                    ..ask("hi")
                },
                Ok((SONNET, Reason::TooLongForFast, STRONG_BOTH)),
            )
        },
        Case {
            settings: RouterSettings {
                strong_score: 100,
                ..RouterSettings::default()
            },
            ..case(
                "threshold from the settings",
                edit("Refactor the session handling across these modules", 3),
                Ok((HAIKU, Reason::Score, FAST_BOTH)),
            )
        },
    ]
}

#[test]
fn routes() {
    let cases = cases();
    assert!(cases.len() >= 12);
    for c in cases {
        let router = Router::new(c.settings, c.registry).expect(c.name);
        let got = router.route(&c.input, c.available);
        match (c.expected, got) {
            (Ok((model, reason, targets)), Ok(route)) => {
                let want: Vec<Target> = targets
                    .iter()
                    .map(|&(m, provider)| Target {
                        model: m.to_owned(),
                        provider,
                    })
                    .collect();
                let tier = router.registry().get(model).map(|m| m.tier);
                assert_eq!(
                    (
                        route.model.as_str(),
                        route.reason,
                        &route.targets,
                        Some(route.tier)
                    ),
                    (model, reason, &want, tier),
                    "{} (score {})",
                    c.name,
                    route.score
                );
            }
            (Err("invalid"), Err(AiError::Invalid(_)))
            | (Err("config"), Err(AiError::Config(_))) => {}
            (expected, got) => panic!("{}: expected {expected:?}, got {got:?}", c.name),
        }
    }
}

#[test]
fn scores_use_the_documented_weights() {
    let settings = RouterSettings::default();
    let router = Router::new(settings, Registry::default()).expect("router");
    let cases = [
        (ask("explain this function"), SHORT_QUESTION + EASY_WORDS),
        (
            edit("Refactor the session handling across these modules", 3),
            2 * PER_EXTRA_FILE + MULTI_FILE_EDIT + HARD_WORDS,
        ),
        (
            RouteInput {
                estimated_prompt_tokens: 40_001,
                ..ask("hi")
            },
            LONG_PROMPT + SHORT_QUESTION,
        ),
        (
            RouteInput {
                estimated_prompt_tokens: 40_000,
                ..ask("hi")
            },
            SHORT_QUESTION,
        ),
        (
            RouteInput {
                files_in_scope: 4,
                ..ask(LONG_TEXT)
            },
            3 * PER_EXTRA_FILE + HARD_WORDS,
        ),
        (
            RouteInput {
                files_in_scope: 0,
                ..ask("")
            },
            SHORT_QUESTION,
        ),
    ];
    for (input, expected) in cases {
        let route = router.route(&input, BOTH).expect("route");
        assert_eq!(route.score, expected, "{:?}", input.last_user_text);
    }
}

#[test]
fn new_rejects_unknown_models() {
    let bad = [
        RouterSettings {
            fast: "nope".into(),
            ..RouterSettings::default()
        },
        RouterSettings {
            strong: "nope".into(),
            ..RouterSettings::default()
        },
        RouterSettings {
            fallbacks: BTreeMap::from([("nope".to_owned(), vec![])]),
            ..RouterSettings::default()
        },
        RouterSettings {
            fallbacks: BTreeMap::from([(
                HAIKU.to_owned(),
                vec![SONNET.to_owned(), "nope".to_owned()],
            )]),
            ..RouterSettings::default()
        },
    ];
    for settings in bad {
        let err = Router::new(settings.clone(), Registry::default()).expect_err("unknown model");
        assert!(
            matches!(&err, AiError::Config(m) if m.contains("nope")),
            "{settings:?}: {err}"
        );
    }
}

#[test]
fn larger_context_picks_the_cheapest_that_fits() {
    let router = Router::new(RouterSettings::default(), Registry::default()).expect("router");
    let cases = [
        (HAIKU, 150_000, Some(HAIKU4)), // same tier, cheaper than any strong model
        (HAIKU, 300_000, Some(SONNET)),
        (SONNET4, 300_000, Some(SONNET)),
        (SONNET, 300_000, Some(OPUS)), // never itself
        (SONNET, 2_000_000, None),
        (OPUS, 500_000, None), // nothing of its tier or above but itself
        ("nope", 1, None),
    ];
    for (model, needed, expected) in cases {
        let got = router
            .larger_context(model, needed)
            .map(|m| m.name.as_str());
        assert_eq!(got, expected, "{model} at {needed}");
    }
}

#[test]
fn settings_from_toml() {
    let settings: RouterSettings = toml::from_str(
        r#"
        fast = "claude-haiku-4-5"
        providers = ["anthropic"]
        strong_score = 4
        [fallbacks]
        "claude-haiku-4-5" = ["claude-sonnet-4-6", "claude-sonnet-5-5"]
        "#,
    )
    .expect("settings");
    assert_eq!(settings.fast, HAIKU4);
    assert_eq!(settings.strong, SONNET);
    assert_eq!(settings.providers, vec![A]);
    assert_eq!((settings.short_chars, settings.strong_score), (400, 4));
    assert_eq!(
        settings.fallbacks[HAIKU4],
        vec![SONNET4.to_owned(), SONNET.to_owned()]
    );
    assert!(toml::from_str::<RouterSettings>("fastest = \"x\"").is_err());
    assert_eq!(
        toml::from_str::<RouterSettings>("").expect("empty"),
        RouterSettings::default()
    );
}

#[test]
fn reasons_display_as_snake_case() {
    let shown: Vec<String> = [
        Reason::Override,
        Reason::FailedEditRetry,
        Reason::TooLongForFast,
        Reason::Score,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        shown,
        [
            "override",
            "failed_edit_retry",
            "too_long_for_fast",
            "score"
        ]
    );
}
