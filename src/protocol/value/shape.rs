//! Matching a value against the type it is to be encoded as. Both encoders (msgpack and
//! JSON) walk the result, so the rules live in one place: which value kinds a type
//! accepts, how `dynamic` places get their wrapper type, which attributes an object has.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::error::ValueError;
use super::number::Number;
use super::path::PathRef;
use super::tree::{Refinements, Value};
use super::types::Type;

/// Stands in for attributes a value leaves out: they are written as null.
pub(crate) static NULL: Value = Value::Null;

/// One level of a value, matched against its type.
pub(crate) enum Shape<'a> {
    Null,
    Unknown {
        refinements: Option<&'a Refinements>,
        ty: &'a Type,
    },
    /// A value in a `dynamic` place: written together with its type.
    Dynamic {
        ty: Cow<'a, Type>,
        value: &'a Value,
    },
    String(&'a str),
    Number(&'a Number),
    Bool(bool),
    /// A list or a set.
    Sequence {
        items: &'a [Value],
        element: &'a Type,
    },
    Tuple {
        items: &'a [Value],
        elements: &'a [Type],
    },
    Map {
        entries: &'a BTreeMap<String, Value>,
        element: &'a Type,
    },
    /// Walk `types` (sorted, as cty writes them) and take each attribute from `attributes`,
    /// or [`NULL`] when it is missing.
    Object {
        attributes: &'a BTreeMap<String, Value>,
        types: &'a BTreeMap<String, Type>,
    },
}

/// Matches `value` against `ty`. Lists, sets and tuples are interchangeable here, as are
/// maps and objects: the type decides how they are written.
pub(crate) fn shape<'a>(
    value: &'a Value,
    ty: &'a Type,
    path: PathRef<'_>,
) -> Result<Shape<'a>, ValueError> {
    if let Value::Typed(typed) = value {
        if *ty == Type::Dynamic && typed.ty != Type::Dynamic {
            return Ok(Shape::Dynamic {
                ty: Cow::Borrowed(&typed.ty),
                value: &typed.value,
            });
        }
        if *ty == Type::Dynamic || typed.ty == Type::Dynamic || typed.ty == *ty {
            return shape(&typed.value, ty, path);
        }
        return Err(ValueError::at(
            path,
            format!(
                "a value of type {} cannot be used where {} is required",
                typed.ty, ty
            ),
        ));
    }
    if *ty == Type::Dynamic {
        return Ok(match value {
            Value::Null => Shape::Null,
            // An unknown of unknown type: cty never refines those.
            Value::Unknown(_) => Shape::Unknown {
                refinements: None,
                ty,
            },
            other => Shape::Dynamic {
                ty: Cow::Owned(other.implied_type()),
                value: other,
            },
        });
    }
    let mismatch = || {
        ValueError::at(
            path,
            format!("{} is required, found {}", a_type(ty), value.kind_name()),
        )
    };
    Ok(match (value, ty) {
        (Value::Null, _) => Shape::Null,
        (Value::Unknown(refinements), _) => Shape::Unknown {
            refinements: refinements.as_deref(),
            ty,
        },
        (Value::String(s), Type::String) => Shape::String(s),
        (Value::Number(n), Type::Number) => Shape::Number(n),
        (Value::Bool(b), Type::Bool) => Shape::Bool(*b),
        (
            Value::List(items) | Value::Set(items) | Value::Tuple(items),
            Type::List(element) | Type::Set(element),
        ) => Shape::Sequence { items, element },
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::Tuple(elements)) => {
            if items.len() != elements.len() {
                return Err(ValueError::tuple_length(path, elements.len(), items.len()));
            }
            Shape::Tuple { items, elements }
        }
        (Value::Map(entries) | Value::Object(entries), Type::Map(element)) => {
            Shape::Map { entries, element }
        }
        (
            Value::Map(attributes) | Value::Object(attributes),
            Type::Object {
                attributes: types, ..
            },
        ) => {
            if let Some(extra) = attributes.keys().find(|name| !types.contains_key(*name)) {
                return Err(ValueError::at(
                    PathRef::Attribute(&path, extra),
                    "unsupported attribute",
                ));
            }
            Shape::Object { attributes, types }
        }
        _ => return Err(mismatch()),
    })
}

/// "a string", "an object", ... for messages.
pub(crate) fn a_type(ty: &Type) -> String {
    match ty {
        Type::Object { .. } => "an object".to_owned(),
        other => format!("a {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::value::path::AttributePath;
    use crate::protocol::value::tree::TypedValue;

    fn typed(ty: Type, value: Value) -> Value {
        Value::from(TypedValue { ty, value })
    }

    #[test]
    fn typed_values_must_match_a_concrete_type() {
        let v = typed(Type::String, "x".into());
        assert!(matches!(
            shape(&v, &Type::String, PathRef::Root),
            Ok(Shape::String("x"))
        ));
        let err = shape(&v, &Type::Number, PathRef::Root)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("a value of type string cannot be used where number is required")
        );
        // A wrapper that says "dynamic" says nothing.
        let v = typed(Type::Dynamic, 1.into());
        assert!(matches!(
            shape(&v, &Type::Number, PathRef::Root),
            Ok(Shape::Number(_))
        ));
    }

    #[test]
    fn the_type_decides_the_container() {
        let list = Value::List(vec![1.into()]);
        assert!(matches!(
            shape(&list, &Type::set(Type::Number), PathRef::Root),
            Ok(Shape::Sequence { .. })
        ));
        let map = Value::map([("a", Value::from(1))]);
        assert!(matches!(
            shape(&map, &Type::object([("a", Type::Number)]), PathRef::Root),
            Ok(Shape::Object { .. })
        ));
        let err = shape(&map, &Type::object([("b", Type::Number)]), PathRef::Root)
            .err()
            .map(|e| e.path().clone());
        assert_eq!(err, Some(AttributePath::root().attribute("a")));
        assert!(shape(&list, &Type::tuple([]), PathRef::Root).is_err());
        assert!(shape(&list, &Type::String, PathRef::Root).is_err());
    }

    #[test]
    fn dynamic_places_imply_a_type() {
        let v = Value::List(vec!["a".into()]);
        let Ok(Shape::Dynamic { ty, .. }) = shape(&v, &Type::Dynamic, PathRef::Root) else {
            panic!("not wrapped")
        };
        assert_eq!(*ty, Type::list(Type::String));
        assert!(matches!(
            shape(&Value::Null, &Type::Dynamic, PathRef::Root),
            Ok(Shape::Null)
        ));
    }
}
