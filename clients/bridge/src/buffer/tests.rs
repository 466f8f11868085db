//! The edit exchange: remote edits on the right counter, the in-flight race, rebasing a
//! person's edit onto remote text they have not seen, in every offset unit.

use proptest::prelude::*;

use super::{Buffer, ByteChange, Change};
use crate::Units;

fn apply_bytes(room: &str, changes: &[ByteChange]) -> String {
    let mut s = room.to_owned();
    for c in changes {
        s.replace_range(c.delete.clone(), &c.insert);
    }
    s
}

/// The editor side: applies changes in its unit, in order.
fn apply_units(units: Units, text: &str, changes: &[Change]) -> String {
    let mut s = text.to_owned();
    for c in changes {
        let from = units.to_byte(&s, c.from).unwrap();
        let to = units.to_byte(&s, c.to).unwrap();
        s.replace_range(from..to, &c.text);
    }
    s
}

fn change(from: usize, to: usize, text: &str) -> Change {
    Change {
        from,
        to,
        text: text.into(),
    }
}

#[test]
fn a_remote_edit_applies_on_its_counter_and_the_answer_moves_the_buffer() {
    let mut b = Buffer::new(Units::Utf16, "héllo 😀 world\n", 3);
    let edit = b.remote("héllo 😀 there, world\n").unwrap();
    assert_eq!(edit.base, 3);
    assert_eq!(edit.changes, vec![change(9, 9, "there, ")]);
    assert_eq!(b.text(), "héllo 😀 world\n", "unchanged until applied");
    assert!(!b.applied(2, 4), "an answer to another base");
    assert!(b.applied(3, 4));
    assert_eq!((b.text(), b.tick()), ("héllo 😀 there, world\n", 4));
    assert_eq!(b.remote("héllo 😀 there, world\n"), None);
}

#[test]
fn typing_while_a_remote_edit_is_in_flight_is_rebased_and_the_rest_re_derived() {
    // The room gained "# top\n"; the editor (tick 7) has not applied it when Ada types "!" at
    // the end of "print(1)" — her counter moves to 8, so the editor refuses the remote edit.
    let mut b = Buffer::new(Units::Utf8, "print(1)\n", 7);
    let room = "# top\nprint(1)\n";
    let sent = b.remote(room).unwrap();
    assert_eq!(sent.base, 7);
    let to_room = b.local(room, 8, &[change(8, 8, "!")]).unwrap();
    let room = apply_bytes(room, &to_room);
    assert_eq!(room, "# top\nprint(1)!\n");
    assert!(!b.applied(7, 9), "the refused edit is not pending any more");
    let again = b.remote(&room).unwrap();
    assert_eq!(again.base, 8);
    let editor = apply_units(Units::Utf8, "print(1)!\n", &again.changes);
    assert_eq!(editor, room);
    assert!(b.applied(8, 9));
    assert_eq!(b.text(), room);
}

#[test]
fn deleting_across_remote_text_keeps_the_remote_text() {
    // Ada selects "abcdef" and deletes it; meanwhile Bob inserted "XY" after "abc".
    let mut b = Buffer::new(Units::Utf32, "abcdef-rest", 1);
    let room = "abcXYdef-rest";
    let to_room = b.local(room, 2, &[change(0, 6, "")]).unwrap();
    assert_eq!(apply_bytes(room, &to_room), "XY-rest");
}

#[test]
fn edits_out_of_range_or_inside_a_character_are_refused() {
    let mut b = Buffer::new(Units::Utf16, "a😀", 1);
    assert!(
        b.local("a😀", 2, &[change(2, 2, "x")]).is_err(),
        "inside the pair"
    );
    assert!(
        b.local("a😀", 2, &[change(1, 9, "")]).is_err(),
        "past the end"
    );
    assert!(b.local("a😀", 2, &[change(1, 0, "")]).is_err(), "backwards");
    assert_eq!((b.text(), b.tick()), ("a😀", 1), "nothing applied");
}

#[test]
fn one_remote_edit_at_a_time_and_a_resync_is_applied_whatever_the_counter() {
    let mut b = Buffer::new(Units::Utf8, "a\n", 4);
    let first = b.remote("a\nb\n").unwrap();
    assert_eq!(b.remote("a\nb\nc\n"), None, "the first is unanswered");
    assert!(b.applied(first.base, 5));
    let second = b.remote("a\nb\nc\n").unwrap();
    assert_eq!((second.base, second.changes.len()), (5, 1));

    // A resync sent on 5 survives the person's edit typed before it arrived (counter 6),
    // because the editor applies it anyway; its answer names base 5.
    let mut b = Buffer::new(Units::Utf8, "x", 5);
    let base = b.resync("room");
    assert_eq!(base, 5);
    b.local("room", 6, &[change(1, 1, "y")]).unwrap();
    assert!(b.is_pending());
    assert!(b.applied(5, 7));
    assert_eq!((b.text(), b.tick()), ("room", 7));
}

#[test]
fn an_opening_buffer_takes_the_editors_first_counter() {
    let mut b = Buffer::opening(Units::Utf16, "héllo");
    assert!(b.is_pending());
    assert_eq!(
        b.remote("héllo!"),
        None,
        "nothing before the editor has the text"
    );
    assert!(b.applied(0, 12));
    assert_eq!(b.tick(), 12);
    assert_eq!(b.remote("héllo!").unwrap().changes, [change(5, 5, "!")]);
}

#[test]
fn cursor_offsets_map_between_the_editor_and_the_room() {
    // The editor lacks "XY" (remote, unapplied) before "def".
    let b = Buffer::new(Units::Utf16, "ab😀def", 1);
    let room = "ab😀XYdef";
    let d = "ab😀".encode_utf16().count();
    assert_eq!(b.to_room(room, d), Some("ab😀".len()), "before remote text");
    assert_eq!(b.to_room(room, d + 1), Some("ab😀XYd".len()));
    assert_eq!(b.from_room(room, "ab😀XYd".len()), Some(d + 1));
    assert_eq!(
        b.from_room(room, "ab😀X".len()),
        Some(d),
        "inside remote text"
    );
    assert_eq!(b.to_room(room, 3), None, "inside a surrogate pair");
}

fn units() -> impl Strategy<Value = Units> {
    prop_oneof![Just(Units::Utf8), Just(Units::Utf16), Just(Units::Utf32)]
}

/// Lowercase and accents for the base text, uppercase and emoji for remote insertions, digits
/// for the person's: who wrote what stays countable.
fn text(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(alphabet), 0..max).prop_map(|v| v.concat())
}

const BASE: &[&str] = &["a", "b", "é", "\n", " "];
const REMOTE: &[&str] = &["X", "Y", "😀"];
const LOCAL: &[&str] = &["1", "2", "你"];

/// Inserts `piece` at the `at`-th character boundary (scaled into range) of `s`.
fn insert_at(s: &str, at: usize, piece: &str) -> String {
    let bounds: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
    let b = bounds[at % bounds.len()];
    format!("{}{piece}{}", &s[..b], &s[b..])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]

    /// Whatever remote text the editor has not seen, a person's edit lands in the room without
    /// deleting any of it, and the re-derived remote edit brings the editor to the room's text.
    #[test]
    fn rebased_edits_keep_remote_text_and_converge(
        units in units(),
        base in text(BASE, 24),
        remote in prop::collection::vec((any::<usize>(), text(REMOTE, 4)), 0..4),
        from in any::<usize>(),
        len in 0usize..6,
        typed in text(LOCAL, 5),
    ) {
        let mut room = base.clone();
        for (at, piece) in &remote {
            room = insert_at(&room, *at, piece);
        }
        let mut b = Buffer::new(units, &base, 1);
        let n = units.len(&base);
        // A range on character boundaries, in the editor's unit.
        let chars: Vec<usize> = base.char_indices().map(|(i, _)| i).chain([base.len()]).collect();
        let a = chars[from % chars.len()];
        let z = chars[(from % chars.len() + len).min(chars.len() - 1)];
        let edit = change(units.from_byte(&base, a), units.from_byte(&base, z), &typed);
        prop_assert!(edit.to <= n);
        let to_room = b.local(&room, 2, std::slice::from_ref(&edit)).unwrap();
        let room2 = apply_bytes(&room, &to_room);
        let editor = apply_units(units, &base, std::slice::from_ref(&edit));
        prop_assert_eq!(b.text(), editor.as_str());
        let remote_chars = |s: &str| s.chars().filter(|c| REMOTE.iter().any(|r| r.starts_with(*c))).count();
        prop_assert_eq!(remote_chars(&room2), remote_chars(&room), "remote text deleted");
        let local_chars = |s: &str| s.chars().filter(|c| LOCAL.iter().any(|r| r.starts_with(*c))).count();
        prop_assert_eq!(local_chars(&room2), local_chars(&typed));
        prop_assert!(room2.contains(typed.as_str()));
        match b.remote(&room2) {
            None => prop_assert_eq!(&editor, &room2),
            Some(r) => {
                prop_assert_eq!(r.base, 2);
                prop_assert_eq!(apply_units(units, &editor, &r.changes), room2.clone());
                prop_assert!(b.applied(2, 3));
                prop_assert_eq!(b.text(), room2.as_str());
            }
        }
    }
}
