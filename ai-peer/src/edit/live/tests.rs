//! Tests of pinning and stepping on one document (people's edits made in their own
//! transactions); two-replica tests live in `tests/edit_live.rs`.

use protocol::schema::{read_file, write_file};
use yrs::{Options, TextRef};

use super::*;

const PATH: &str = "f.txt";

fn doc_with(text: &str, kind: OffsetKind) -> Doc {
    let doc = Doc::with_options(Options {
        offset_kind: kind,
        ..Options::with_client_id(yrs::ClientID::new(1))
    });
    write_file(&mut doc.transact_mut(), PATH, text);
    doc
}

fn file(doc: &Doc) -> TextRef {
    let files = files(doc);
    let txn = doc.transact();
    file_text(&txn, &files, PATH).unwrap()
}

fn unit_at(doc: &Doc, chars: usize) -> u32 {
    let s = read_file(doc, PATH).unwrap();
    let byte = units::char_to_byte(&s, chars);
    units::len(&s[..byte], doc.offset_kind())
}

/// A person types `s` before the char at `chars`.
fn type_at(doc: &Doc, chars: usize, s: &str) {
    let (t, at) = (file(doc), unit_at(doc, chars));
    t.insert(&mut doc.transact_mut_with("human"), at, s);
}

fn delete_at(doc: &Doc, chars: usize, n: usize) {
    let (t, a, b) = (file(doc), unit_at(doc, chars), unit_at(doc, chars + n));
    t.remove_range(&mut doc.transact_mut_with("human"), a, b - a);
}

/// The text between the pins, read through `range_utf16`.
fn between(edit: &LiveEdit, doc: &Doc) -> String {
    let s = read_file(doc, PATH).unwrap();
    let (a, b) = edit.range_utf16(doc).unwrap();
    let a = units::to_byte(&s, a, OffsetKind::Utf16).unwrap();
    let b = units::to_byte(&s, b, OffsetKind::Utf16).unwrap();
    s[a..b].to_owned()
}

fn run_to_end(edit: &mut LiveEdit, doc: &Doc, budget: usize) {
    edit.finish_input();
    for _ in 0..1000 {
        if edit.step(doc, budget).unwrap().done {
            return;
        }
    }
    panic!("never done");
}

const KINDS: [OffsetKind; 2] = [OffsetKind::Bytes, OffsetKind::Utf16];

#[test]
fn a_live_edit_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<LiveEdit>();
}

#[test]
fn begin_refuses_missing_files_and_bad_ranges() {
    let doc = doc_with("中文", OffsetKind::Bytes);
    let e = LiveEdit::begin(&doc, "nope", 0..1, "ai:1").unwrap_err();
    assert!(matches!(e, AiError::NoSuchFile(p) if p == "nope"));
    assert!(matches!(
        LiveEdit::begin(&doc, PATH, 0..1, "ai:1"),
        Err(AiError::BadRange { .. })
    ));
    assert!(matches!(
        LiveEdit::begin(&doc, PATH, 3..9, "ai:1"),
        Err(AiError::BadRange { .. })
    ));
    assert!(LiveEdit::begin(&doc, PATH, 3..6, "ai:1").is_ok());
}

#[test]
fn text_typed_at_either_edge_stays_outside() {
    for kind in KINDS {
        let doc = doc_with("abc😀def中ghi", kind);
        let s = read_file(&doc, PATH).unwrap();
        let range = s.find("😀").unwrap()..s.find("ghi").unwrap();
        let mut edit = LiveEdit::begin(&doc, PATH, range, "ai:1").unwrap();
        type_at(&doc, 3, "X");
        type_at(&doc, 9, "Y");
        assert_eq!(read_file(&doc, PATH).unwrap(), "abcX😀def中Yghi");
        assert_eq!(between(&edit, &doc), "😀def中");
        edit.push_new("🎉de");
        run_to_end(&mut edit, &doc, 2);
        assert_eq!(read_file(&doc, PATH).unwrap(), "abcX🎉deYghi");
        assert_eq!(between(&edit, &doc), "🎉de");
    }
}

#[test]
fn pins_survive_the_agent_deleting_their_characters() {
    for kind in KINDS {
        let doc = doc_with("abc[def]ghi", kind);
        let mut edit = LiveEdit::begin(&doc, PATH, 4..7, "ai:1").unwrap();
        edit.push_new("e");
        edit.finish_input();
        assert_eq!(
            edit.step(&doc, 1).unwrap(),
            Step {
                applied: 1,
                done: false
            }
        );
        assert_eq!(between(&edit, &doc), "ef");
        type_at(&doc, 4, "X"); // just before the range, whose first char 'd' is gone
        type_at(&doc, 7, "Y"); // just after it
        assert_eq!(read_file(&doc, PATH).unwrap(), "abc[XefY]ghi");
        assert_eq!(
            edit.step(&doc, 1).unwrap(),
            Step {
                applied: 1,
                done: true
            }
        );
        assert_eq!(read_file(&doc, PATH).unwrap(), "abc[XeY]ghi");
        assert_eq!(between(&edit, &doc), "e");
    }
}

#[test]
fn a_range_emptied_by_the_agent_is_held_by_its_neighbours() {
    for kind in KINDS {
        // At the very end of the file too, where no character follows.
        for (text, range) in [("ab😀cd", 2..6), ("ab😀", 2..6), ("😀cd", 0..4)] {
            let doc = doc_with(text, kind);
            let mut edit = LiveEdit::begin(&doc, PATH, range.clone(), "ai:1").unwrap();
            run_to_end(&mut edit, &doc, 1);
            let left = format!("{}{}", &text[..range.start], &text[range.end..]);
            assert_eq!(read_file(&doc, PATH).unwrap(), left);
            assert_eq!(between(&edit, &doc), "");
            let at = text[..range.start].chars().count();
            type_at(&doc, at, "Z");
            assert_eq!(
                between(&edit, &doc),
                "Z",
                "typed at the emptied spot: inside"
            );
            // Rolling back is refused: the range no longer holds what the edit wrote.
            assert!(!edit.rollback(&doc));
        }
    }
}

#[test]
fn an_empty_range_receives_the_new_text() {
    for kind in KINDS {
        let doc = doc_with("ab\ncd", kind);
        let mut edit = LiveEdit::begin(&doc, PATH, 3..3, "ai:1").unwrap();
        edit.push_new("中x\n");
        run_to_end(&mut edit, &doc, 1);
        assert_eq!(read_file(&doc, PATH).unwrap(), "ab\n中x\ncd");
        let doc = doc_with("", kind);
        let mut edit = LiveEdit::begin(&doc, PATH, 0..0, "ai:1").unwrap();
        edit.push_new("héllo");
        run_to_end(&mut edit, &doc, 2);
        assert_eq!(read_file(&doc, PATH).unwrap(), "héllo");
        assert_eq!(between(&edit, &doc), "héllo");
        // Someone typing exactly there before the first write is a conflict.
        let doc = doc_with("ab\ncd", kind);
        let mut edit = LiveEdit::begin(&doc, PATH, 3..3, "ai:1").unwrap();
        type_at(&doc, 3, "Q");
        edit.push_new("x");
        edit.finish_input();
        let c = edit.step(&doc, 5).unwrap_err();
        assert_eq!((c.fresh.as_str(), c.start_line, c.end_line), ("Q", 2, 2));
    }
}

#[test]
fn an_edit_inside_the_range_stops_the_edit_with_the_fresh_text() {
    for kind in KINDS {
        let doc = doc_with("one\ntwo\nthree\nfour\n", kind);
        let mut edit = LiveEdit::begin(&doc, PATH, 4..14, "ai:1").unwrap();
        edit.push_new("2\n3");
        edit.finish_input();
        edit.step(&doc, 2).unwrap();
        let before = between(&edit, &doc);
        let at = 4 + before.chars().count() / 2;
        type_at(&doc, at, "HUMAN");
        let c = edit.step(&doc, 100).unwrap_err();
        let mid = units::char_to_byte(&before, before.chars().count() / 2);
        assert_eq!(
            c.fresh,
            format!("{}HUMAN{}", &before[..mid], &before[mid..])
        );
        let lines = c.fresh.trim_end_matches('\n').matches('\n').count() as u32;
        assert!(lines >= 1);
        assert_eq!((c.start_line, c.end_line), (2, 2 + lines));
        assert_eq!(between(&edit, &doc), c.fresh, "nothing applied");
        assert!(!edit.rollback(&doc));
        // A deletion inside is a conflict as well.
        let doc = doc_with("one\ntwo\n", kind);
        let mut edit = LiveEdit::begin(&doc, PATH, 4..8, "ai:1").unwrap();
        delete_at(&doc, 5, 1);
        edit.push_new("x");
        assert_eq!(edit.step(&doc, 1).unwrap_err().fresh, "to\n");
    }
}

#[test]
fn a_deleted_file_is_a_conflict() {
    let doc = doc_with("abc", OffsetKind::Bytes);
    let mut edit = LiveEdit::begin(&doc, PATH, 0..1, "ai:1").unwrap();
    protocol::schema::delete_file(&mut doc.transact_mut(), PATH);
    edit.push_new("x");
    let c = edit.step(&doc, 1).unwrap_err();
    assert_eq!((c.start_line, c.end_line), (0, 0));
}

#[test]
fn rollback_restores_the_old_text() {
    for kind in KINDS {
        let doc = doc_with("keep [old 😀 text] keep", kind);
        let s = read_file(&doc, PATH).unwrap();
        let range = s.find('[').unwrap()..s.find(']').unwrap() + 1;
        let mut edit = LiveEdit::begin(&doc, PATH, range, "ai:1").unwrap();
        edit.push_new("[brand new 中文 words]");
        edit.finish_input();
        for _ in 0..4 {
            edit.step(&doc, 3).unwrap();
        }
        assert_ne!(read_file(&doc, PATH).unwrap(), s);
        type_at(&doc, 0, "A");
        assert!(edit.rollback(&doc));
        assert_eq!(read_file(&doc, PATH).unwrap(), format!("A{s}"));
        assert_eq!(between(&edit, &doc), "[old 😀 text]");
        assert_eq!(
            edit.step(&doc, 10).unwrap(),
            Step {
                applied: 0,
                done: true
            }
        );
        assert_eq!(edit.pending(), 0);
    }
}

#[test]
fn steps_respect_the_budget_and_pending() {
    let doc = doc_with("xx", OffsetKind::Utf16);
    let mut edit = LiveEdit::begin(&doc, PATH, 1..1, "ai:1").unwrap();
    edit.push_new("0123456789");
    assert_eq!(edit.pending(), 0, "all within the lookahead");
    assert_eq!(
        edit.step(&doc, 5).unwrap(),
        Step {
            applied: 0,
            done: false
        }
    );
    edit.finish_input();
    assert_eq!(edit.pending(), 10);
    assert_eq!(
        edit.step(&doc, 0).unwrap(),
        Step {
            applied: 0,
            done: false
        }
    );
    assert_eq!(
        edit.step(&doc, 4).unwrap(),
        Step {
            applied: 4,
            done: false
        }
    );
    assert_eq!(edit.pending(), 6);
    assert_eq!(
        edit.step(&doc, 6).unwrap(),
        Step {
            applied: 6,
            done: true
        }
    );
    assert_eq!(read_file(&doc, PATH).unwrap(), "x0123456789x");
}

#[test]
fn the_cursor_follows_what_the_agent_wrote() {
    for kind in KINDS {
        let doc = doc_with("ab😀cd", kind);
        let mut edit = LiveEdit::begin(&doc, PATH, 2..6, "ai:1").unwrap();
        let at = |edit: &LiveEdit| {
            let c = edit.cursor(&doc).unwrap();
            c.get_offset(&doc.transact()).unwrap().index
        };
        assert_eq!(at(&edit), unit_at(&doc, 2));
        edit.push_new("中中中");
        edit.finish_input();
        edit.step(&doc, 2).unwrap();
        assert_eq!(at(&edit), unit_at(&doc, 4));
        type_at(&doc, 4, "Z"); // typed right after the agent's cursor
        assert_eq!(at(&edit), unit_at(&doc, 4));
    }
}
