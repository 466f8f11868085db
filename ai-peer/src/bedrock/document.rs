//! `serde_json::Value` <-> `aws_smithy_types::Document`: tool schemas and tool inputs are
//! Smithy documents in the SDK, JSON everywhere else.

use std::collections::HashMap;

use aws_smithy_types::{Document, Number};
use serde_json::Value;

/// JSON to a Smithy document. Integers keep their sign class (`PosInt` / `NegInt`) so they
/// serialize back as integers, not as floats.
pub(crate) fn to_document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Document::Number(Number::PosInt(u))
            } else if let Some(i) = n.as_i64() {
                Document::Number(Number::NegInt(i))
            } else {
                // Without serde_json's arbitrary precision every number is one of the three.
                n.as_f64()
                    .map_or(Document::Null, |f| Document::Number(Number::Float(f)))
            }
        }
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(to_document).collect()),
        Value::Object(map) => Document::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_document(v)))
                .collect::<HashMap<_, _>>(),
        ),
    }
}

/// A Smithy document to JSON. Non-finite floats have no JSON form and become `null`.
#[cfg_attr(
    not(test),
    allow(
        dead_code,
        reason = "streamed tool input arrives as JSON text; kept as the inverse"
    )
)]
pub(crate) fn to_json(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Document::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(pairs: &[(&str, Document)]) -> Document {
        Document::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn scalars_map_both_ways() {
        let cases = [
            (json!(null), Document::Null),
            (json!(true), Document::Bool(true)),
            (json!(false), Document::Bool(false)),
            (json!(0), Document::Number(Number::PosInt(0))),
            (json!(42), Document::Number(Number::PosInt(42))),
            (json!(u64::MAX), Document::Number(Number::PosInt(u64::MAX))),
            (json!(-1), Document::Number(Number::NegInt(-1))),
            (json!(i64::MIN), Document::Number(Number::NegInt(i64::MIN))),
            (json!(1.5), Document::Number(Number::Float(1.5))),
            (json!(-0.25), Document::Number(Number::Float(-0.25))),
            (json!("héllo \"x\""), Document::String("héllo \"x\"".into())),
        ];
        for (value, document) in cases {
            assert_eq!(to_document(&value), document, "{value} to a document");
            assert_eq!(to_json(&document), value, "{document:?} to JSON");
        }
    }

    #[test]
    fn nested_values_round_trip() {
        let value = json!({
            "type": "object",
            "properties": {"path": {"type": "string"}, "line": {"type": "integer", "minimum": 1}},
            "required": ["path"],
            "additionalProperties": false,
            "weights": [1, -2, 3.5, null, [], {}],
        });
        let document = to_document(&value);
        let expected = object(&[
            ("type", Document::String("object".into())),
            (
                "properties",
                object(&[
                    (
                        "path",
                        object(&[("type", Document::String("string".into()))]),
                    ),
                    (
                        "line",
                        object(&[
                            ("type", Document::String("integer".into())),
                            ("minimum", Document::Number(Number::PosInt(1))),
                        ]),
                    ),
                ]),
            ),
            (
                "required",
                Document::Array(vec![Document::String("path".into())]),
            ),
            ("additionalProperties", Document::Bool(false)),
            (
                "weights",
                Document::Array(vec![
                    Document::Number(Number::PosInt(1)),
                    Document::Number(Number::NegInt(-2)),
                    Document::Number(Number::Float(3.5)),
                    Document::Null,
                    Document::Array(vec![]),
                    Document::Object(HashMap::new()),
                ]),
            ),
        ]);
        assert_eq!(document, expected);
        assert_eq!(to_json(&document), value);
    }

    #[test]
    fn non_finite_floats_become_null() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(to_json(&Document::Number(Number::Float(f))), Value::Null);
        }
    }
}
