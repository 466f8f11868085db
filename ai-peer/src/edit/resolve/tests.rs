//! Tests of `resolve`: exact, ambiguous, hinted, fuzzy and failing lookups.

use std::time::Instant;

use super::*;

fn s() -> EditSettings {
    EditSettings::default()
}

const CODE: &str =
    "fn a() {\n    let x = 1;\n    x + 1\n}\n\nfn b() {\n    let x = 1;\n    x * 2\n}\n";

#[test]
fn exact_unique_match() {
    let r = resolve(CODE, "x + 1", None, &s()).unwrap();
    assert_eq!(&CODE[r.range.clone()], "x + 1");
    assert!(!r.fuzzy);
}

#[test]
fn several_exact_matches_are_ambiguous_without_a_hint() {
    let e = resolve(CODE, "    let x = 1;\n", None, &s()).unwrap_err();
    let Unresolved::Ambiguous { candidates, total } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*total, 2);
    let lines: Vec<(u32, u32)> = candidates
        .iter()
        .map(|c| (c.start_line, c.end_line))
        .collect();
    assert_eq!(lines, vec![(2, 2), (7, 7)]);
    assert_eq!(candidates[0].text, "    let x = 1;");
    let m = e.message("src/lib.rs");
    assert!(m.contains("matches 2 places in src/lib.rs"), "{m}");
    assert!(m.contains("line 2") && m.contains("line 7"), "{m}");
    assert!(m.contains("exactly once"), "{m}");
}

#[test]
fn a_line_hint_picks_the_nearest_exact_match() {
    let r = resolve(CODE, "let x = 1;", Some(6), &s()).unwrap();
    assert_eq!(r.range.start, CODE.rfind("let x").unwrap());
    let r = resolve(CODE, "let x = 1;", Some(1), &s()).unwrap();
    assert_eq!(r.range.start, CODE.find("let x").unwrap());
    // Equally near: still ambiguous.
    let t = "a\nx\nb\nx\n";
    assert!(matches!(
        resolve(t, "x", Some(3), &s()),
        Err(Unresolved::Ambiguous { .. })
    ));
    // Too far away to decide.
    let far = format!("x\n{}x\n", "-\n".repeat(10));
    assert!(matches!(
        resolve(&far, "x", Some(900), &s()),
        Err(Unresolved::Ambiguous { .. })
    ));
}

#[test]
fn overlapping_occurrences_count_as_several() {
    assert!(matches!(
        resolve("aaa", "aa", None, &s()),
        Err(Unresolved::Ambiguous { total: 2, .. })
    ));
}

#[test]
fn fuzzy_match_tolerates_whitespace_and_typos() {
    let old = "fn b() {\n  let x = 1;\n    x * 3\n}\n";
    let r = resolve(CODE, old, None, &s()).unwrap();
    assert!(r.fuzzy);
    assert_eq!(&CODE[r.range], "fn b() {\n    let x = 1;\n    x * 2\n}\n");
    // Without the final newline in old_str, the range stops before it.
    let r = resolve(CODE, old.trim_end_matches('\n'), None, &s()).unwrap();
    assert_eq!(&CODE[r.range], "fn b() {\n    let x = 1;\n    x * 2\n}");
}

#[test]
fn fuzzy_trailing_whitespace_differences_match() {
    let text = "alpha   \nbeta\ngamma\n";
    let r = resolve(text, "alpha\nbeta  \ngamma", None, &s()).unwrap();
    assert!(r.fuzzy);
    assert_eq!(&text[r.range], "alpha   \nbeta\ngamma");
}

#[test]
fn fuzzy_matches_in_crlf_files_leave_the_line_break_alone() {
    let text = "one\r\ntwo  x\r\nthree\r\n";
    let r = resolve(text, "one\ntwo x", None, &s()).unwrap();
    assert_eq!(&text[r.range], "one\r\ntwo  x");
    let r = resolve(text, "one\ntwo x\n", None, &s()).unwrap();
    assert_eq!(&text[r.range], "one\r\ntwo  x\r\n");
}

#[test]
fn fuzzy_ties_are_decided_by_the_hint_or_reported() {
    let text = "one\n  foo(1);\ntwo\n  foo(1);\nthree\n";
    let old = "  fooo(1);";
    let e = resolve(text, old, None, &s()).unwrap_err();
    assert!(
        matches!(&e, Unresolved::Ambiguous { total: 2, .. }),
        "{e:?}"
    );
    let r = resolve(text, old, Some(4), &s()).unwrap();
    assert_eq!(r.range.start, text.rfind("  foo").unwrap());
}

#[test]
fn not_found_lists_the_closest_places() {
    let old = "fn b() {\n    let y = 100;\n    y / 7 + 12\n}";
    let e = resolve(CODE, old, None, &s()).unwrap_err();
    let Unresolved::NotFound { closest } = &e else {
        panic!("{e:?}")
    };
    assert!(!closest.is_empty());
    let six = closest
        .iter()
        .find(|c| c.start_line == 6)
        .expect("lines 6-9 listed");
    assert_eq!(six.end_line, 9);
    assert_eq!(six.text, "fn b() {\n    let x = 1;\n    x * 2\n}");
    assert!(six.similarity > 0.5 && six.similarity < 1.0);
    assert!(
        closest
            .windows(2)
            .all(|w| w[0].similarity >= w[1].similarity)
    );
    let m = e.message("a.rs");
    assert!(
        m.contains("not found in a.rs") && m.contains("lines 6-"),
        "{m}"
    );
    assert!(m.contains("exactly once"));
    let e = resolve(CODE, "zzzzzzzzzzzz", None, &s()).unwrap_err();
    assert_eq!(e, Unresolved::NotFound { closest: vec![] });
}

#[test]
fn empty_old_is_refused() {
    assert_eq!(resolve(CODE, "", None, &s()), Err(Unresolved::Empty));
    assert!(Unresolved::Empty.message("x").contains("empty"));
}

#[test]
fn multibyte_text_gives_char_boundary_ranges() {
    let text = "// 说明：这是😀测试\nlet s = \"héllo 🌍\";\nlet t = \"中文\";\n";
    let r = resolve(text, "héllo 🌍", None, &s()).unwrap();
    assert_eq!(&text[r.range.clone()], "héllo 🌍");
    let r = resolve(text, "let s = \"hello 🌍\";", None, &s()).unwrap();
    assert!(r.fuzzy);
    assert!(text.is_char_boundary(r.range.start) && text.is_char_boundary(r.range.end));
    assert_eq!(&text[r.range], "let s = \"héllo 🌍\";");
    let r = resolve(text, "// 说明：这是😀测式", None, &s()).unwrap();
    assert_eq!(&text[r.range], "// 说明：这是😀测试");
}

/// A varied line of code, so lines do not all resemble each other.
fn code_line(i: usize) -> String {
    const WORDS: [&str; 12] = [
        "parse", "render", "socket", "buffer", "client", "retry", "token", "cursor", "layout",
        "widget", "stream", "config",
    ];
    let w = |k: usize| {
        let h = (i as u64 * 4 + k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        WORDS[(h >> 59) as usize % WORDS.len()]
    };
    format!(
        "    let {}_{i} = {}::{}(\"{}\", {});\n",
        w(0),
        w(1),
        w(2),
        w(3),
        i * 31 % 97
    )
}

#[test]
fn five_thousand_lines_resolve_quickly() {
    let text: String = (0..5000).map(code_line).collect();
    let old = (2400..2430)
        .map(code_line)
        .collect::<String>()
        .replacen("::", ":", 3);
    let t = Instant::now();
    let r = resolve(&text, &old, None, &s());
    let took = t.elapsed();
    let r = r.unwrap();
    assert!(r.fuzzy);
    assert_eq!(
        &text[r.range],
        (2400..2430).map(code_line).collect::<String>()
    );
    // Generous for debug builds on a loaded machine; release takes a few milliseconds.
    assert!(took.as_secs_f32() < 3.0, "took {took:?}");
    let t = Instant::now();
    let e = resolve(
        &text,
        "    let nothing_like = 0;\n    at_all();\n",
        None,
        &s(),
    );
    assert!(e.is_err());
    assert!(t.elapsed().as_secs_f32() < 3.0);
}

#[test]
fn five_thousand_near_identical_lines_stay_tractable() {
    let text: String = (0..5000)
        .map(|i| format!("2024-01-{:02},{},ok\n", i % 28 + 1, 100 + i % 9))
        .collect();
    let old = "2024-01-05,104,ok\n2024-01-06,105,okk\n2024-01-07,106,ok\n";
    let t = Instant::now();
    let r = resolve(&text, old, Some(4), &s());
    let took = t.elapsed();
    assert!(
        r.is_ok() || matches!(r, Err(Unresolved::Ambiguous { .. })),
        "{r:?}"
    );
    assert!(took.as_secs_f32() < 3.0, "took {took:?}");
}
