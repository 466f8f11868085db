//! Tests of the streaming diff: it always reaches `new`, respects budgets and lookahead, and
//! touches few characters.

use proptest::prelude::*;

use super::*;

/// Applies every piece to a copy of the text; returns it and the chars changed.
fn drain(plan: &mut Plan, text: &mut String, budget: usize) -> usize {
    let mut changed = 0;
    let mut left = budget;
    loop {
        let (o, n) = plan.applied();
        let Some(piece) = plan.next_piece(left) else {
            break;
        };
        match piece.tag {
            Tag::Keep => {}
            Tag::Insert => {
                let s = &plan.new_text()[piece.range.clone()];
                text.insert_str(n, s);
                left -= s.chars().count();
                changed += s.chars().count();
            }
            Tag::Delete => {
                let s = &plan.old()[piece.range.clone()];
                assert_eq!(piece.range.start, o);
                text.replace_range(n..n + s.len(), "");
                left -= s.chars().count();
                changed += s.chars().count();
            }
        }
        let (o, n) = plan.applied();
        assert_eq!(
            *text,
            format!("{}{}", &plan.new_text()[..n], &plan.old()[o..])
        );
    }
    changed
}

fn stream(old: &str, new: &str, chunk: usize, budget: usize, lookahead: usize) -> usize {
    let mut plan = Plan::new(old.to_owned(), lookahead);
    let mut text = old.to_owned();
    let mut changed = 0;
    let chars: Vec<char> = new.chars().collect();
    for piece in chars.chunks(chunk.max(1)) {
        plan.push(&piece.iter().collect::<String>());
        changed += drain(&mut plan, &mut text, budget);
        let arrived = plan.new_text().chars().count();
        let applied = plan.new_text()[..plan.applied().1].chars().count();
        assert!(
            applied + lookahead <= arrived || applied == 0,
            "committed inside the lookahead"
        );
    }
    plan.finish();
    while !plan.is_complete() {
        let before = plan.pending();
        changed += drain(&mut plan, &mut text, budget);
        assert!(plan.pending() < before || plan.is_complete());
    }
    assert_eq!(text, new);
    changed
}

#[test]
fn small_edits_touch_only_what_changed() {
    let old = "fn main() {\n    println!(\"hello world\");\n}\n";
    let new = "fn main() {\n    println!(\"hello brave world\");\n}\n";
    for chunk in [1, 3, 7, 100] {
        for budget in [1, 4, 1000] {
            assert_eq!(
                stream(old, new, chunk, budget, 8),
                6,
                "chunk {chunk} budget {budget}"
            );
        }
    }
}

#[test]
fn deleting_a_large_block_keeps_the_rest() {
    let kept: String = (0..40).map(|i| format!("kept line {i}\n")).collect();
    let gone: String = (0..60).map(|i| format!("gone line {i}\n")).collect();
    let old = format!("head\n{gone}{kept}");
    let new = format!("head\n// note\n{kept}");
    let changed = stream(&old, &new, 5, 50, 32);
    // The kept lines are never deleted and retyped; only "gone" (less what it shares with the
    // note) changes.
    let gone = gone.chars().count();
    assert!(changed <= gone + 8 && changed >= gone - 8, "{changed}");
}

#[test]
fn streaming_a_large_range_stays_cheap() {
    let old: String = (0..800)
        .map(|i| format!("    let value_{i} = compute({i});\n"))
        .collect();
    let new = old
        .replace("compute(100)", "compute(100, extra)")
        .replace("    let value_500 = compute(500);\n", "");
    let t = std::time::Instant::now();
    let changed = stream(&old, &new, 4, 64, 32);
    assert_eq!(changed, 7 + "    let value_500 = compute(500);\n".len());
    assert!(t.elapsed().as_secs_f32() < 5.0, "took {:?}", t.elapsed());
}

#[test]
fn pending_counts_settled_changes_only() {
    let mut plan = Plan::new("abc".into(), 4);
    plan.push("xyzabc");
    assert!(plan.pending() <= 2, "only the first 2 chars are settled");
    plan.finish();
    assert_eq!(plan.pending(), 3);
    assert!(!plan.is_complete());
    let mut text = "abc".to_owned();
    drain(&mut plan, &mut text, 10);
    assert!(plan.is_complete());
    assert_eq!(text, "xyzabc");
}

#[test]
fn multibyte_pieces_split_on_chars() {
    assert_eq!(stream("中文😀abc", "中😀😀文abc🌍", 1, 1, 2), 4);
    assert_eq!(stream("", "新しい😀", 2, 1, 0), 4);
    assert_eq!(stream("古い😀", "", 1, 1, 3), 3);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn any_stream_reaches_new(
        old in "[ab\n😀中]{0,40}",
        new in "[abc\n😀中]{0,40}",
        chunk in 1usize..6,
        budget in 1usize..5,
        lookahead in 0usize..6,
    ) {
        let changed = stream(&old, &new, chunk, budget, lookahead);
        prop_assert!(changed <= old.chars().count() + new.chars().count());
    }
}
