//! Live `str_replace` edits between two replicas (a person's and the agent's, exchanging
//! updates like the sync server would) while the person keeps typing: convergence, no lost
//! keystrokes, conflicts, rollback, emoji/CJK in both offset units, and pacing.

mod replicas;

use ai_peer::edit::{EditSettings, FieldEvent, InputStream, LiveEdit, Step, resolve};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use yrs::OffsetKind;

use replicas::session::{action, session};
use replicas::*;

const INITIAL_LINE: &str = "alpha beta 中文 😀 gamma";

fn initial() -> String {
    (1..=30)
        .map(|i| format!("line {i}: {INITIAL_LINE}\n"))
        .collect()
}

#[test]
fn people_typing_around_the_range_keep_every_keystroke() {
    let new = "fn replaced() {\n    let 变量 = \"🎉 done\"; // line 12 alpha\n}\n";
    for (agent_kind, human_kind) in KINDS {
        let (human, agent) = pair(&initial(), agent_kind, human_kind);
        let log = record_agent(&agent);
        let old: String = (11..=14)
            .map(|i| format!("line {i}: {INITIAL_LINE}\n"))
            .collect();
        let r = resolve(&text(&agent), &old, Some(11), &EditSettings::default()).unwrap();
        let mut start16 = units(&text(&agent)[..r.range.start], OffsetKind::Utf16);
        let mut edit = new_edit(&agent, r.range, 8);
        let chunks: Vec<String> = new
            .chars()
            .collect::<Vec<_>>()
            .chunks(3)
            .map(|c| c.iter().collect())
            .collect();
        let mut chunks = chunks.into_iter();
        let mut typed = 0;
        for round in 0.. {
            assert!(round < 2000, "never done");
            match chunks.next() {
                Some(c) => edit.push_new(&c),
                None => edit.finish_input(),
            }
            let before = text(&agent);
            log.lock().unwrap().clear();
            let step = edit.step(&agent, 2).unwrap();
            let txns = std::mem::take(&mut *log.lock().unwrap());
            assert!(step.applied <= 2 && txns.len() <= 1);
            let changed: usize = txns
                .iter()
                .map(|d| changed_chars(&before, agent_kind, d))
                .sum();
            assert_eq!(changed, step.applied);
            if step.done {
                break;
            }
            sync(&agent, &human);
            let (a, b) = range_chars(&edit, &agent);
            let len = text(&human).chars().count();
            let (at, s) = match round % 5 {
                0 => (a, "A"),     // just before the range
                1 => (b, "B🎈"),   // just after it
                2 => (0, "C"),     // far before
                3 => (len, "D"),   // far after
                _ => (a / 2, "E"), // somewhere before
            };
            type_at(&human, at, s);
            typed += humans(s);
            if at <= a {
                start16 += units(s, OffsetKind::Utf16);
            }
            sync(&human, &agent);
            assert_eq!(edit.range_utf16(&agent).unwrap().0, start16);
        }
        sync(&agent, &human);
        let (ta, th) = (text(&agent), text(&human));
        assert_eq!(ta, th, "converged");
        assert_eq!(humans(&ta), typed, "every keystroke survives");
        assert_eq!(between(&edit, &agent), new);
        let plain: String = ta.chars().filter(|&c| !is_human(c)).collect();
        assert_eq!(plain, initial().replace(&old, new));
        // JS clients count UTF-16 units: the range is exactly where `new` sits.
        let at = units(&th[..th.find(new).unwrap()], OffsetKind::Utf16);
        assert_eq!(
            edit.range_utf16(&agent),
            Some((at, at + units(new, OffsetKind::Utf16)))
        );
    }
}

/// The whole path of a `str_replace` call: its input streams in as JSON fragments, `old_str`
/// is resolved the moment it is complete, and `new_str` is applied while it still streams.
#[test]
fn a_streamed_tool_call_edits_while_it_arrives() {
    let (human, agent) = pair(&initial(), OffsetKind::Utf16, OffsetKind::Bytes);
    // Keys in the order the model writes them (a `json!` map would sort them).
    let json = |v: &str| serde_json::to_string(v).unwrap();
    let input = format!(
        r#"{{"path": {}, "old_str": {}, "new_str": {}, "line": 3}}"#,
        json(PATH),
        json("line 3: alpha beta 中文 😀 gamma\nline 4: alpha beta 中文 😀 gama\n"),
        json("line 3: \"quoted\" 🎉\n\tline 4 \\ done\n"),
    );
    let mut stream = InputStream::new();
    let (mut old, mut new) = (String::new(), String::new());
    let mut edit: Option<LiveEdit> = None;
    let (mut applied_before_end, mut input_done) = (0, false);
    let chars: Vec<char> = input.chars().collect();
    for piece in chars.chunks(5) {
        for event in stream.push(&piece.iter().collect::<String>()) {
            match event {
                FieldEvent::Chunk { key, text } if key == "old_str" => old.push_str(&text),
                FieldEvent::End { key } if key == "old_str" => {
                    let r =
                        resolve(&text(&agent), &old, Some(3), &EditSettings::default()).unwrap();
                    assert!(r.fuzzy, "old_str has a typo");
                    edit = Some(new_edit(&agent, r.range, 4));
                }
                FieldEvent::Chunk { key, text } if key == "new_str" => {
                    new.push_str(&text);
                    edit.as_mut().unwrap().push_new(&text);
                }
                FieldEvent::End { key } if key == "new_str" => {
                    edit.as_mut().unwrap().finish_input();
                    input_done = true;
                }
                _ => {}
            }
        }
        if let Some(e) = edit.as_mut() {
            let step = e.step(&agent, 3).unwrap();
            if !input_done {
                applied_before_end += step.applied;
            }
        }
        sync(&agent, &human);
    }
    let args = stream.finish().unwrap();
    assert_eq!(args["new_str"], new.as_str());
    assert_eq!(args["line"], 3);
    assert!(
        applied_before_end > 0,
        "writing began before the input ended"
    );
    let mut edit = edit.unwrap();
    while !edit.step(&agent, 3).unwrap().done {}
    sync(&agent, &human);
    assert_eq!(
        text(&human),
        initial().replace(
            "line 3: alpha beta 中文 😀 gamma\nline 4: alpha beta 中文 😀 gamma\n",
            &new,
        )
    );
}

#[test]
fn typing_inside_the_range_is_a_conflict_with_the_fresh_text() {
    for (agent_kind, human_kind) in KINDS {
        let (human, agent) = pair(&initial(), agent_kind, human_kind);
        let old = "line 5: alpha beta 中文 😀 gamma\nline 6";
        let r = resolve(&text(&agent), old, None, &EditSettings::default()).unwrap();
        let mut edit = new_edit(&agent, r.range, 0);
        edit.push_new("line five: alpha? no: alfa 🌍 中\nline 6");
        edit.finish_input();
        for _ in 0..3 {
            assert!(!edit.step(&agent, 3).unwrap().done);
        }
        sync(&agent, &human);
        let written = between(&edit, &agent);
        let (a, _) = range_chars(&edit, &agent);
        type_at(&human, a + 10, "HUMAN🎈");
        sync(&human, &agent);
        let before = text(&agent);
        let c = edit.step(&agent, 3).unwrap_err();
        let cut = byte_of_char(&written, 10);
        assert_eq!(
            c.fresh,
            format!("{}HUMAN🎈{}", &written[..cut], &written[cut..])
        );
        assert_eq!((c.start_line, c.end_line), (5, 6));
        assert_eq!(text(&agent), before, "nothing applied");
        // Still a conflict later, and the person's text is never rolled back.
        assert!(edit.step(&agent, 3).is_err());
        assert!(!edit.rollback(&agent));
        sync(&agent, &human);
        assert_eq!(text(&agent), text(&human));
        assert_eq!(humans(&text(&human)), 6);
    }
}

#[test]
fn rollback_restores_the_old_text_on_both_replicas() {
    for (agent_kind, human_kind) in KINDS {
        let (human, agent) = pair(&initial(), agent_kind, human_kind);
        let old = "line 20: alpha beta 中文 😀 gamma\n";
        let r = resolve(&text(&agent), old, None, &EditSettings::default()).unwrap();
        let mut edit = new_edit(&agent, r.range, 4);
        edit.push_new("line 20: something else 🎉 entirely\nand more\n");
        for _ in 0..6 {
            edit.step(&agent, 4).unwrap();
            sync(&agent, &human);
            type_at(&human, 0, "Z");
            sync(&human, &agent);
        }
        assert_ne!(text(&agent).replace('Z', ""), initial());
        assert!(edit.rollback(&agent));
        sync(&agent, &human);
        assert_eq!(text(&human), format!("ZZZZZZ{}", initial()));
        assert_eq!(between(&edit, &agent), old);
        assert_eq!(
            edit.step(&agent, 10),
            Ok(Step {
                applied: 0,
                done: true
            })
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: RngSeed::Fixed(0x7a_11_ed_17),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
    #[test]
    fn random_sessions_keep_the_invariants(
        initial in "[a-z0-9 \n中😀]{1,60}",
        ra in 0usize..61,
        span in prop_oneof![1 => Just(0usize), 6 => 1usize..30],
        new in "[a-z0-9 \n中😀]{0,40}",
        chunks in prop::collection::vec(1usize..8, 1..6),
        actions in prop::collection::vec(action(), 10..100),
        agent_bytes in any::<bool>(),
        lookahead in 0usize..8,
        roll_back in any::<bool>(),
    ) {
        let len = initial.chars().count();
        session(&initial, (ra.min(len), (ra + span).min(len)), &new, &chunks, &actions, agent_bytes, lookahead, roll_back);
    }
}
