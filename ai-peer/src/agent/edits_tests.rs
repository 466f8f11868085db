//! The edit calls of one answer, driven without a network: fragments in, paced steps, outcomes.

use std::time::{Duration, Instant};

use protocol::schema::{read_file, write_file};
use yrs::{Doc, Transact};

use super::Edits;

/// Feeds `input` in `chunk`-byte fragments (on char boundaries), stepping as the edit allows.
fn drive(doc: &Doc, edits: &mut Edits, index: usize, input: &str, chunk: usize) {
    let mut now = Instant::now();
    let mut rest = input;
    while !rest.is_empty() {
        let mut cut = chunk.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        edits.delta(index, &rest[..cut]);
        rest = &rest[cut..];
        now += Duration::from_millis(5);
        if let Some(at) = edits.next_wake(now) {
            edits.step(doc, at.max(now));
        }
    }
    edits.block_stop(index);
    for _ in 0..10_000 {
        let Some(at) = edits.next_wake(now) else {
            break;
        };
        now = at.max(now);
        edits.step(doc, now);
    }
}

#[test]
fn a_streamed_str_replace_lands_and_reports_its_lines() {
    let doc = Doc::new();
    write_file(&mut doc.transact_mut(), "a.py", "one\ntwo\nthree\n");
    let mut edits = Edits::new(1000, 4, "ai:1".into());
    edits.start(0, "t1", "str_replace");
    let input = r#"{"path": "a.py", "old_str": "two", "new_str": "2️⃣ deux\nzwei"}"#;
    drive(&doc, &mut edits, 0, input, 3);
    assert!(!edits.busy());
    let outcomes = edits.take_outcomes();
    assert_eq!(outcomes.len(), 1);
    assert!(!outcomes[0].1.is_error, "{:?}", outcomes[0]);
    assert!(
        outcomes[0].1.content.contains("lines 2-3"),
        "{:?}",
        outcomes[0]
    );
    assert_eq!(
        read_file(&doc, "a.py").as_deref(),
        Some("one\n2️⃣ deux\nzwei\nthree\n")
    );
}

#[test]
fn create_file_streams_into_a_new_file_and_refuses_an_existing_one() {
    let doc = Doc::new();
    write_file(&mut doc.transact_mut(), "old.txt", "x");
    let mut edits = Edits::new(1000, 8, "ai:1".into());
    edits.start(0, "t1", "create_file");
    drive(
        &doc,
        &mut edits,
        0,
        r##"{"path": "new.md", "content": "# Title\n\nbody\n"}"##,
        5,
    );
    edits.start(1, "t2", "create_file");
    drive(
        &doc,
        &mut edits,
        1,
        r#"{"path": "old.txt", "content": "y"}"#,
        5,
    );
    let outcomes = edits.take_outcomes();
    assert_eq!(
        read_file(&doc, "new.md").as_deref(),
        Some("# Title\n\nbody\n")
    );
    assert!(
        !outcomes[0].1.is_error && outcomes[1].1.is_error,
        "{outcomes:?}"
    );
    assert!(outcomes[1].1.content.contains("already exists"));
    assert_eq!(read_file(&doc, "old.txt").as_deref(), Some("x"));
}

#[test]
fn unresolvable_or_incomplete_edits_end_with_an_error_instead_of_waiting() {
    let doc = Doc::new();
    write_file(&mut doc.transact_mut(), "a.py", "same\nsame\n");
    let mut edits = Edits::new(1000, 8, "ai:1".into());
    edits.start(0, "ambiguous", "str_replace");
    drive(
        &doc,
        &mut edits,
        0,
        r#"{"path": "a.py", "old_str": "same", "new_str": "x"}"#,
        4,
    );
    edits.start(1, "no-path", "str_replace");
    drive(
        &doc,
        &mut edits,
        1,
        r#"{"old_str": "same", "new_str": "x"}"#,
        4,
    );
    edits.start(2, "missing", "str_replace");
    drive(
        &doc,
        &mut edits,
        2,
        r#"{"path": "b.py", "old_str": "a", "new_str": "b"}"#,
        4,
    );
    assert!(!edits.busy(), "nothing is left waiting");
    let outcomes = edits.take_outcomes();
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.iter().all(|(_, o)| o.is_error), "{outcomes:?}");
    assert!(outcomes[1].1.content.contains("needs `path`"));
    assert!(outcomes[2].1.content.contains("a.py"), "lists the files");
    assert_eq!(read_file(&doc, "a.py").as_deref(), Some("same\nsame\n"));
}

#[test]
fn aborting_mid_edit_takes_the_partial_text_back() {
    let doc = Doc::new();
    write_file(&mut doc.transact_mut(), "a.txt", "keep this line\n");
    let mut edits = Edits::new(1000, 64, "ai:1".into());
    edits.start(0, "t1", "str_replace");
    edits.delta(
        0,
        r#"{"path": "a.txt", "old_str": "keep this line", "new_str": "a partial replacement that is long enough to pass the lookahead window of the diff"#,
    );
    let now = Instant::now() + Duration::from_secs(1);
    while let Some(at) = edits.next_wake(now) {
        edits.step(&doc, at.max(now));
        if read_file(&doc, "a.txt") != Some("keep this line\n".into()) {
            break;
        }
    }
    assert_ne!(
        read_file(&doc, "a.txt").as_deref(),
        Some("keep this line\n")
    );
    edits.abort(&doc, "the model's answer broke off");
    assert_eq!(
        read_file(&doc, "a.txt").as_deref(),
        Some("keep this line\n")
    );
    let outcomes = edits.take_outcomes();
    assert!(outcomes[0].1.content.contains("taken back"), "{outcomes:?}");
}
