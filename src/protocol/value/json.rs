//! The JSON form of values, as go-cty's `json.Marshal`/`json.Unmarshal` have it. Terraform
//! stores state in this form and hands it back in UpgradeResourceState, so it must read
//! exactly what cty wrote: numbers keep every digit, a `dynamic` place holds
//! `{"value": ..., "type": ...}`, and unknowns cannot be written at all.

use std::collections::BTreeMap;

use super::error::ValueError;
use super::json_text::{self, Json};
use super::number::Number;
use super::path::PathRef;
use super::shape::{NULL, Shape, shape};
use super::tree::{TypedValue, Value};
use super::types::Type;

/// Decodes JSON `bytes` as a value of type `ty`. An object attribute the type does not
/// have is an error, as in cty.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let tree = json_text::parse(bytes).map_err(|e| ValueError::at(PathRef::Root, e))?;
    decode(&tree, ty, PathRef::Root, Extra::Refuse)
}

/// Like [`decode_json`], but object attributes the type does not have are skipped: for
/// state stored under an older schema that had attributes the current one dropped.
pub fn decode_json_ignoring_extra_attributes(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let tree = json_text::parse(bytes).map_err(|e| ValueError::at(PathRef::Root, e))?;
    decode(&tree, ty, PathRef::Root, Extra::Skip)
}

/// What to do with object attributes the type does not have.
#[derive(Clone, Copy, PartialEq)]
enum Extra {
    Refuse,
    Skip,
}

/// Encodes `value` as JSON for type `ty`; unknown values are an error.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = String::new();
    encode(value, ty, PathRef::Root, &mut out)?;
    Ok(out.into_bytes())
}

/// `json` as a value of type `ty`; `path` locates it for errors.
fn decode(
    json: &Json<'_>,
    ty: &Type,
    path: PathRef<'_>,
    extra: Extra,
) -> Result<Value, ValueError> {
    if let Json::Null = json {
        return Ok(Value::Null);
    }
    match ty {
        Type::Dynamic => decode_dynamic(json, path, extra),
        Type::String => decode_string(json, path),
        Type::Number => decode_number(json, path),
        Type::Bool => decode_bool(json, path),
        Type::List(element) | Type::Set(element) => {
            decode_collection(json, ty, element, path, extra)
        }
        Type::Tuple(elements) => decode_tuple(json, elements, path, extra),
        Type::Map(element) => decode_map(json, element, path, extra),
        Type::Object { attributes, .. } => decode_object(json, attributes, path, extra),
    }
}

/// "`what` is required, found …" at `path`.
fn required(json: &Json<'_>, path: PathRef<'_>, what: &str) -> ValueError {
    ValueError::at(path, format!("{what} is required, found {}", json.kind()))
}

// Like cty, the scalars take the conversions Terraform itself would make.

fn decode_string(json: &Json<'_>, path: PathRef<'_>) -> Result<Value, ValueError> {
    match json {
        Json::String(s) => Ok(Value::String(s.to_string())),
        Json::Number(text) => Ok(Value::String((*text).to_owned())),
        Json::Bool(b) => Ok(Value::String(b.to_string())),
        _ => Err(required(json, path, "a string")),
    }
}

fn decode_number(json: &Json<'_>, path: PathRef<'_>) -> Result<Value, ValueError> {
    match json {
        Json::Number(text) => number(text, path),
        Json::String(text) => number(text, path),
        _ => Err(required(json, path, "a number")),
    }
}

fn decode_bool(json: &Json<'_>, path: PathRef<'_>) -> Result<Value, ValueError> {
    match json {
        Json::Bool(b) => Ok(Value::Bool(*b)),
        Json::String(s) if s == "true" || s == "1" => Ok(Value::Bool(true)),
        Json::String(s) if s == "false" || s == "0" => Ok(Value::Bool(false)),
        _ => Err(required(json, path, "a bool")),
    }
}

/// A list or a set (`ty`) of `element`s.
fn decode_collection(
    json: &Json<'_>,
    ty: &Type,
    element: &Type,
    path: PathRef<'_>,
    extra: Extra,
) -> Result<Value, ValueError> {
    let is_list = matches!(ty, Type::List(_));
    let Json::Array(items) = json else {
        return Err(required(
            json,
            path,
            if is_list { "a list" } else { "a set" },
        ));
    };
    let items = items
        .iter()
        .enumerate()
        .map(|(i, item)| decode(item, element, PathRef::Index(&path, i), extra))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if is_list {
        Value::List(items)
    } else {
        Value::Set(items)
    })
}

fn decode_tuple(
    json: &Json<'_>,
    elements: &[Type],
    path: PathRef<'_>,
    extra: Extra,
) -> Result<Value, ValueError> {
    let Json::Array(items) = json else {
        return Err(required(json, path, "a tuple"));
    };
    if items.len() != elements.len() {
        return Err(ValueError::tuple_length(path, elements.len(), items.len()));
    }
    Ok(Value::Tuple(
        items
            .iter()
            .zip(elements)
            .enumerate()
            .map(|(i, (item, t))| decode(item, t, PathRef::Index(&path, i), extra))
            .collect::<Result<_, _>>()?,
    ))
}

fn decode_map(
    json: &Json<'_>,
    element: &Type,
    path: PathRef<'_>,
    extra: Extra,
) -> Result<Value, ValueError> {
    let Json::Object(members) = json else {
        return Err(required(json, path, "a map"));
    };
    let mut map = BTreeMap::new();
    for (key, item) in members {
        map.insert(
            key.to_string(),
            decode(item, element, PathRef::Key(&path, key), extra)?,
        );
    }
    Ok(Value::Map(map))
}

/// An object: attributes the type lacks are refused or skipped (`extra`), and those the
/// JSON lacks are null.
fn decode_object(
    json: &Json<'_>,
    attributes: &BTreeMap<String, Type>,
    path: PathRef<'_>,
    extra: Extra,
) -> Result<Value, ValueError> {
    let Json::Object(members) = json else {
        return Err(required(json, path, "an object"));
    };
    let mut object = BTreeMap::new();
    for (name, item) in members {
        let Some(t) = attributes.get(name.as_ref()) else {
            if extra == Extra::Skip {
                continue;
            }
            return Err(ValueError::at(
                path,
                format!("unsupported attribute {name:?}"),
            ));
        };
        object.insert(
            name.to_string(),
            decode(item, t, PathRef::Attribute(&path, name), extra)?,
        );
    }
    for name in attributes.keys() {
        if !object.contains_key(name) {
            object.insert(name.clone(), Value::Null);
        }
    }
    Ok(Value::Object(object))
}

fn number(text: &str, path: PathRef<'_>) -> Result<Value, ValueError> {
    text.parse::<Number>()
        .map(Value::Number)
        .map_err(|e| e.located_at(path))
}

/// `{"value": ..., "type": ...}` in either order, both required.
fn decode_dynamic(json: &Json<'_>, path: PathRef<'_>, extra: Extra) -> Result<Value, ValueError> {
    let Json::Object(members) = json else {
        return Err(ValueError::at(
            path,
            format!(
                "a dynamically-typed value must be an object, found {}",
                json.kind()
            ),
        ));
    };
    let (mut ty, mut body) = (None, None);
    for (key, item) in members {
        match key.as_ref() {
            "type" => {
                ty = Some(Type::from_json_tree(item).map_err(|e| {
                    ValueError::at(
                        path,
                        format!("failed to decode type for dynamic value: {e}"),
                    )
                })?);
            }
            "value" => body = Some(item),
            other => {
                return Err(ValueError::at(
                    path,
                    format!("invalid key {other:?} in dynamically-typed value"),
                ));
            }
        }
    }
    let ty = ty.ok_or_else(|| ValueError::at(path, "missing type in dynamically-typed value"))?;
    let body =
        body.ok_or_else(|| ValueError::at(path, "missing value in dynamically-typed value"))?;
    let value = decode(body, &ty, path, extra)?;
    Ok(if ty == Type::Dynamic {
        value
    } else {
        Value::from(TypedValue { ty, value })
    })
}

fn encode(value: &Value, ty: &Type, path: PathRef<'_>, out: &mut String) -> Result<(), ValueError> {
    match shape(value, ty, path)? {
        Shape::Null => out.push_str("null"),
        Shape::Unknown { .. } => return Err(ValueError::at(path, "value is not known")),
        Shape::Dynamic { ty, value } => {
            out.push_str("{\"value\":");
            encode(value, &ty, path, out)?;
            out.push_str(",\"type\":");
            out.push_str(&ty.to_json());
            out.push('}');
        }
        Shape::String(s) => json_text::write_string(out, s),
        Shape::Number(n) => {
            if n.is_infinite() {
                return Err(ValueError::at(path, "cannot serialize infinity as JSON"));
            }
            out.push_str(&n.to_string());
        }
        Shape::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Shape::Sequence { items, element } => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode(item, element, PathRef::Index(&path, i), out)?;
            }
            out.push(']');
        }
        Shape::Tuple { items, elements } => {
            out.push('[');
            for (i, (item, t)) in items.iter().zip(elements).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode(item, t, PathRef::Index(&path, i), out)?;
            }
            out.push(']');
        }
        Shape::Map { entries, element } => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_text::write_string(out, key);
                out.push(':');
                encode(item, element, PathRef::Key(&path, key), out)?;
            }
            out.push('}');
        }
        Shape::Object { attributes, types } => {
            out.push('{');
            for (i, (name, t)) in types.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_text::write_string(out, name);
                out.push(':');
                let item = attributes.get(name).unwrap_or(&NULL);
                encode(item, t, PathRef::Attribute(&path, name), out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::value::path::AttributePath;

    fn text(value: &Value, ty: &Type) -> String {
        String::from_utf8(encode_json(value, ty).unwrap()).unwrap()
    }

    /// Hand-derived from cty's json/marshal.go: attributes sorted, no whitespace, numbers
    /// as `Text('f', -1)`, strings through Go's `json.Marshal` (HTML characters escaped),
    /// a dynamic value as `{"value":...,"type":...}`.
    #[test]
    fn encodes_like_cty() {
        let ty = Type::object([
            ("big", Type::Number),
            ("dyn", Type::Dynamic),
            ("float", Type::Number),
            ("list", Type::list(Type::Bool)),
            ("map", Type::map(Type::Number)),
            ("none", Type::String),
            ("str", Type::String),
            ("tiny", Type::Number),
        ]);
        let value = Value::object([
            (
                "big",
                Value::Number("123456789012345678901234567890".parse().unwrap()),
            ),
            (
                "dyn",
                Value::from(TypedValue {
                    ty: Type::map(Type::String),
                    value: Value::map([("a", Value::from("b"))]),
                }),
            ),
            ("float", Value::Number(Number::from_f64(1.5).unwrap())),
            ("list", Value::List(vec![true.into(), false.into()])),
            ("map", Value::map([("x", Value::from(-3))])),
            ("none", Value::Null),
            ("str", Value::from("<a & b>\n")),
            ("tiny", Value::Number("1e-7".parse().unwrap())),
        ]);
        let expected = concat!(
            r#"{"big":123456789012345678901234567890,"#,
            r#""dyn":{"value":{"a":"b"},"type":["map","string"]},"#,
            r#""float":1.5,"list":[true,false],"map":{"x":-3},"none":null,"#,
            r#""str":"\u003ca \u0026 b\u003e\n","tiny":0.0000001}"#
        );
        assert_eq!(text(&value, &ty), expected);
        assert_eq!(decode_json(expected.as_bytes(), &ty).unwrap(), value);
    }

    #[test]
    fn keeps_every_digit() {
        for digits in [
            "123456789012345678901234567890",
            "0.1000000000000000055511151231257827021181583404541015625",
            "-9007199254740993",
            "1e400",
        ] {
            let value = decode_json(digits.as_bytes(), &Type::Number).unwrap();
            assert_eq!(value, Value::Number(digits.parse().unwrap()));
            let again = decode_json(&encode_json(&value, &Type::Number).unwrap(), &Type::Number);
            assert_eq!(again.unwrap(), value);
        }
    }

    #[test]
    fn takes_cty_conversions() {
        assert_eq!(
            decode_json(br#""42.50""#, &Type::Number).unwrap(),
            Value::from(Number::from_f64(42.5).unwrap())
        );
        assert_eq!(
            decode_json(b"42.50", &Type::String).unwrap(),
            Value::from("42.50")
        );
        assert_eq!(
            decode_json(b"true", &Type::String).unwrap(),
            Value::from("true")
        );
        assert_eq!(
            decode_json(br#""1""#, &Type::Bool).unwrap(),
            Value::Bool(true)
        );
        assert!(decode_json(br#""yes""#, &Type::Bool).is_err());
        assert!(decode_json(b"[1]", &Type::Number).is_err());
    }

    #[test]
    fn objects_fill_missing_attributes_and_refuse_unknown_ones() {
        let ty = Type::object([("a", Type::String), ("b", Type::list(Type::Number))]);
        assert_eq!(
            decode_json(br#"{"a":"x"}"#, &ty).unwrap(),
            Value::object([("a", Value::from("x")), ("b", Value::Null)])
        );
        let err = decode_json(br#"{"a":"x","c":1}"#, &ty).unwrap_err();
        assert_eq!(err.message(), r#"unsupported attribute "c""#);
        assert_eq!(
            decode_json_ignoring_extra_attributes(br#"{"a":"x","c":{"d":[1]}}"#, &ty).unwrap(),
            Value::object([("a", Value::from("x")), ("b", Value::Null)])
        );
        let err = decode_json(br#"{"b":[1,true]}"#, &ty).unwrap_err();
        assert_eq!(err.path(), &AttributePath::root().attribute("b").index(1));
    }

    #[test]
    fn dynamic_values() {
        let ty = Type::Dynamic;
        assert_eq!(decode_json(b"null", &ty).unwrap(), Value::Null);
        let typed = decode_json(br#"{"type":"number","value":null}"#, &ty).unwrap();
        assert_eq!(
            typed,
            Value::from(TypedValue {
                ty: Type::Number,
                value: Value::Null
            })
        );
        assert_eq!(text(&typed, &ty), r#"{"value":null,"type":"number"}"#);
        // A plain value is written with the type it implies.
        assert_eq!(
            text(&Value::Tuple(vec!["a".into(), 1.into()]), &ty),
            r#"{"value":["a",1],"type":["tuple",["string","number"]]}"#
        );
        for bad in [
            &br#"{"value":1}"#[..],
            br#"{"type":"number"}"#,
            br#"{"type":"number","value":1,"x":2}"#,
            br#"[1]"#,
        ] {
            assert!(decode_json(bad, &ty).is_err());
        }
    }

    #[test]
    fn unknowns_and_infinities_cannot_be_written() {
        let ty = Type::object([("a", Type::Number)]);
        let err = encode_json(&Value::object([("a", Value::unknown())]), &ty).unwrap_err();
        assert_eq!(err.to_string(), "a: value is not known");
        assert!(encode_json(&Value::Number(Number::infinity(false)), &Type::Number).is_err());
    }
}
