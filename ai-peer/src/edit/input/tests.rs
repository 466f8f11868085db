//! Tests of the streaming tool-input scanner against serde_json's own parse.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// Feeds `fragments`, checks the event grammar, and returns each key's concatenated text.
fn run(fragments: &[&str]) -> (BTreeMap<String, String>, serde_json::Value) {
    let mut s = InputStream::new();
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut open: Option<String> = None;
    for f in fragments {
        for e in s.push(f) {
            match e {
                FieldEvent::Start { key } => {
                    assert!(open.is_none(), "start inside a value");
                    out.insert(key.clone(), String::new());
                    open = Some(key);
                }
                FieldEvent::Chunk { key, text } => {
                    assert_eq!(open.as_ref(), Some(&key));
                    assert!(!text.is_empty(), "empty chunk");
                    out.get_mut(&key).unwrap().push_str(&text);
                }
                FieldEvent::End { key } => {
                    assert_eq!(open.take(), Some(key));
                }
            }
        }
    }
    assert!(open.is_none(), "a value never ended");
    (out, s.finish().unwrap())
}

fn strings_of(v: &serde_json::Value) -> BTreeMap<String, String> {
    v.as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
        .collect()
}

fn check_every_split(input: &str) {
    let expected: serde_json::Value = serde_json::from_str(input).unwrap();
    let want = strings_of(&expected);
    for i in (0..=input.len()).filter(|&i| input.is_char_boundary(i)) {
        let (got, parsed) = run(&[&input[..i], &input[i..]]);
        assert_eq!(got, want, "split at {i} of {input}");
        assert_eq!(parsed, expected);
    }
    let chars: Vec<String> = input.chars().map(String::from).collect();
    let pieces: Vec<&str> = chars.iter().map(String::as_str).collect();
    assert_eq!(run(&pieces).0, want, "one char at a time");
}

const SAMPLES: &[&str] = &[
    r#"{"path":"src/main.rs","old_str":"fn main() {\n    println!(\"hi\");\n}","new_str":"tab\there \\ slash\/ quote\" é \u00e9 \ud83d\ude00 😀 中文 \b\f\r","line":12}"#,
    r#" { "a" : "x" , "n": -1.5e3, "t": true, "f": false, "z": null, "o": {"k": "}\"{", "a": [1, "]"]}, "b": "y" } "#,
    r#"{"arr":["a","b"],"s":"\u0041\u00DF\u6771\uD834\uDD1E","e":""}"#,
    r#"{"k\"ey\u00e9":"v","last":"\\\\\\"}"#,
];

#[test]
fn every_split_of_the_samples_decodes_like_serde() {
    for s in SAMPLES {
        check_every_split(s);
    }
}

#[test]
fn text_is_emitted_as_soon_as_it_is_decoded() {
    let mut s = InputStream::new();
    let mut feed = |frag: &str| -> String {
        s.push(frag)
            .into_iter()
            .filter_map(|e| match e {
                FieldEvent::Chunk { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    };
    assert_eq!(feed(r#"{"new_str":"x"#), "x");
    for part in [r"\", "u", "0", "0", "e"] {
        assert_eq!(feed(part), "", "held back inside an escape");
    }
    assert_eq!(feed("9"), "é");
    for part in [r"\ud8", "3d", r"\", "u", "de0"] {
        assert_eq!(feed(part), "", "held back inside a surrogate pair");
    }
    assert_eq!(feed("0y"), "😀y");
    assert_eq!(feed(r"\"), "");
    assert_eq!(feed("n"), "\n");
}

#[test]
fn lone_surrogates_become_replacement_chars() {
    let mut s = InputStream::new();
    let text: String = s
        .push(r#"{"a":"\ud83dx\ude00\ud83d\u0041"}"#)
        .into_iter()
        .filter_map(|e| match e {
            FieldEvent::Chunk { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(text, "\u{fffd}x\u{fffd}\u{fffd}A");
}

#[test]
fn empty_input_is_an_empty_object_and_garbage_an_error() {
    assert_eq!(InputStream::new().finish().unwrap(), serde_json::json!({}));
    let mut s = InputStream::new();
    assert!(s.push("[1, \"a\"]").is_empty());
    assert!(s.finish().is_ok());
    let mut s = InputStream::new();
    s.push(r#"{"a": "unterminated"#);
    assert!(s.finish().is_err());
}

/// Serializes like serde_json, optionally escaping every non-ASCII char as `\uXXXX`.
fn to_json(map: &BTreeMap<String, serde_json::Value>, ascii: bool) -> String {
    let plain = serde_json::to_string(map).unwrap();
    if !ascii {
        return plain;
    }
    let mut out = String::new();
    for c in plain.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        4 => any::<String>().prop_map(serde_json::Value::from),
        2 => "[a-z\"\\\\{}\\[\\] 😀中\n\t\u{1}]{0,12}".prop_map(serde_json::Value::from),
        1 => any::<i32>().prop_map(serde_json::Value::from),
        1 => any::<bool>().prop_map(serde_json::Value::from),
        1 => Just(serde_json::Value::Null),
        1 => ("[a-z\"{}]{0,5}", any::<u8>()).prop_map(|(s, n)| serde_json::json!({"s": s, "n": [n, {"x": s}]})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn random_objects_in_random_fragments(
        map in prop::collection::btree_map("[a-z_\"\\\\é]{1,6}", value(), 0..5),
        ascii in any::<bool>(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let input = to_json(&map, ascii);
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
        at.push(0);
        at.push(input.len());
        at.retain(|&i| input.is_char_boundary(i));
        at.sort_unstable();
        at.dedup();
        let pieces: Vec<&str> = at.windows(2).map(|w| &input[w[0]..w[1]]).collect();
        let (got, parsed) = run(&pieces);
        let expected = serde_json::to_value(&map).unwrap();
        prop_assert_eq!(&parsed, &expected);
        prop_assert_eq!(got, strings_of(&expected));
    }
}
