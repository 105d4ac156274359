//! Terraform's type system (cty types) and the type JSON that schemas and dynamic values
//! carry: `"string"`, `["list","string"]`, `["object",{"a":"number"},["a"]]`, ...

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::error::ValueError;
use super::json_text::{self, Json};
use super::path::AttributePath;

/// `dynamic`, for places that need a `&'static Type`.
pub(crate) static DYNAMIC: Type = Type::Dynamic;

/// A Terraform type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    String,
    Number,
    Bool,
    /// "any type": values in such a place carry their own type on the wire.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object {
        attributes: BTreeMap<String, Type>,
        /// Attributes that may be omitted in configuration (type constraints only;
        /// they make no difference to how values are encoded).
        optional: BTreeSet<String>,
    },
    Tuple(Vec<Type>),
}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Self {
        Self::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Self {
        Self::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Self {
        Self::Map(Box::new(element))
    }

    /// An object type with no optional attributes.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Self {
        Self::Object {
            attributes: attributes.into_iter().map(|(k, t)| (k.into(), t)).collect(),
            optional: BTreeSet::new(),
        }
    }

    /// `tuple([...])`.
    pub fn tuple(elements: impl IntoIterator<Item = Type>) -> Self {
        Self::Tuple(elements.into_iter().collect())
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    /// The attribute types of an object type.
    pub fn attribute_types(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object { attributes, .. } => Some(attributes),
            _ => None,
        }
    }

    /// The type of one attribute of an object type.
    pub fn attribute_type(&self, name: &str) -> Option<&Type> {
        self.attribute_types()?.get(name)
    }

    /// True for list, set and map: the kinds whose unknowns can carry length refinements.
    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }

    /// True when `dynamic` appears anywhere in the type.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(t) | Type::Set(t) | Type::Map(t) => t.has_dynamic(),
            Type::Object { attributes, .. } => attributes.values().any(Type::has_dynamic),
            Type::Tuple(elements) => elements.iter().any(Type::has_dynamic),
        }
    }

    /// Parses type JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ValueError> {
        let json = json_text::parse(bytes)
            .map_err(|e| ValueError::new(AttributePath::root(), format!("type JSON: {e}")))?;
        Self::from_json_tree(&json)
            .map_err(|e| ValueError::new(AttributePath::root(), format!("type JSON: {e}")))
    }

    pub(crate) fn from_json_tree(json: &Json<'_>) -> Result<Self, String> {
        match json {
            Json::String(name) => match name.as_ref() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(format!("invalid primitive type name {other:?}")),
            },
            Json::Array(items) => {
                let Some(Json::String(kind)) = items.first() else {
                    return Err("invalid complex type kind name".to_owned());
                };
                match (kind.as_ref(), &items[1..]) {
                    ("list", [element]) => Ok(Type::list(Self::from_json_tree(element)?)),
                    ("set", [element]) => Ok(Type::set(Self::from_json_tree(element)?)),
                    ("map", [element]) => Ok(Type::map(Self::from_json_tree(element)?)),
                    ("object", [Json::Object(members)]) => object_from_json(members, None),
                    ("object", [Json::Object(members), Json::Array(optional)]) => {
                        object_from_json(members, Some(optional))
                    }
                    ("tuple", [Json::Array(elements)]) => Ok(Type::Tuple(
                        elements
                            .iter()
                            .map(Self::from_json_tree)
                            .collect::<Result<_, _>>()?,
                    )),
                    ("list" | "set" | "map" | "object" | "tuple", _) => {
                        Err(format!("malformed {kind} type description"))
                    }
                    (other, _) => Err(format!("invalid complex type kind name {other:?}")),
                }
            }
            other => Err(format!("invalid type description: {}", other.kind())),
        }
    }

    /// Type JSON exactly as cty writes it (attribute names sorted, no spaces).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Type::String => out.push_str("\"string\""),
            Type::Number => out.push_str("\"number\""),
            Type::Bool => out.push_str("\"bool\""),
            Type::Dynamic => out.push_str("\"dynamic\""),
            Type::List(t) | Type::Set(t) | Type::Map(t) => {
                out.push_str(match self {
                    Type::List(_) => "[\"list\",",
                    Type::Set(_) => "[\"set\",",
                    _ => "[\"map\",",
                });
                t.write_json(out);
                out.push(']');
            }
            Type::Object {
                attributes,
                optional,
            } => {
                out.push_str("[\"object\",{");
                for (i, (name, t)) in attributes.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_text::write_string(out, name);
                    out.push(':');
                    t.write_json(out);
                }
                out.push('}');
                if !optional.is_empty() {
                    out.push_str(",[");
                    for (i, name) in optional.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        json_text::write_string(out, name);
                    }
                    out.push(']');
                }
                out.push(']');
            }
            Type::Tuple(elements) => {
                out.push_str("[\"tuple\",[");
                for (i, t) in elements.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    t.write_json(out);
                }
                out.push_str("]]");
            }
        }
    }
}

fn object_from_json(
    members: &[(std::borrow::Cow<'_, str>, Json<'_>)],
    optional: Option<&[Json<'_>]>,
) -> Result<Type, String> {
    let mut attributes = BTreeMap::new();
    for (name, t) in members {
        attributes.insert(name.to_string(), Type::from_json_tree(t)?);
    }
    let mut names = BTreeSet::new();
    for name in optional.unwrap_or_default() {
        let Json::String(name) = name else {
            return Err("optional attribute names must be strings".to_owned());
        };
        if !attributes.contains_key(name.as_ref()) {
            return Err(format!("optional attribute {name:?} is not an attribute"));
        }
        names.insert(name.to_string());
    }
    Ok(Type::Object {
        attributes,
        optional: names,
    })
}

/// cty's "friendly name", for messages: `list of string`, `object`, ...
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(t) => write!(f, "list of {t}"),
            Type::Set(t) => write!(f, "set of {t}"),
            Type::Map(t) => write!(f, "map of {t}"),
            Type::Object { .. } => f.write_str("object"),
            Type::Tuple(_) => f.write_str("tuple"),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Any type, a few levels deep, with short attribute names.
    pub(crate) fn arb_type() -> impl Strategy<Value = Type> {
        let leaf = prop_oneof![
            Just(Type::String),
            Just(Type::Number),
            Just(Type::Bool),
            Just(Type::Dynamic),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                proptest::collection::btree_map("[a-z_<&\"é]{1,6}", inner.clone(), 0..4).prop_map(
                    |attributes| Type::Object {
                        attributes,
                        optional: BTreeSet::new()
                    }
                ),
                proptest::collection::vec(inner, 0..3).prop_map(Type::Tuple),
            ]
        })
    }

    #[test]
    fn parses_and_writes_type_json() {
        for text in [
            r#""string""#,
            r#""dynamic""#,
            r#"["list","string"]"#,
            r#"["set",["map","bool"]]"#,
            r#"["object",{"a":"number","b":["list","string"]}]"#,
            r#"["object",{"a":"number","b":"string"},["b"]]"#,
            r#"["object",{}]"#,
            r#"["tuple",["string","number"]]"#,
            r#"["tuple",[]]"#,
        ] {
            let t = Type::from_json(text.as_bytes()).unwrap();
            assert_eq!(t.to_json(), text);
        }
        assert_eq!(
            Type::from_json(br#"[ "object" , { "b" : "bool", "a" : "string" } ]"#)
                .unwrap()
                .to_json(),
            r#"["object",{"a":"string","b":"bool"}]"#
        );
    }

    #[test]
    fn parses_optional_attributes() {
        let t = Type::from_json(br#"["object",{"a":"number","b":"string"},["b"]]"#).unwrap();
        let Type::Object { optional, .. } = &t else {
            panic!("not an object")
        };
        assert!(optional.contains("b") && !optional.contains("a"));
    }

    #[test]
    fn rejects_bad_type_json() {
        for text in [
            r#""str""#,
            r#"["list"]"#,
            r#"["list","string","x"]"#,
            r#"["object",["a"]]"#,
            r#"["object",{"a":"number"},["c"]]"#,
            r#"["frob","string"]"#,
            r#"[]"#,
            r#"3"#,
        ] {
            assert!(Type::from_json(text.as_bytes()).is_err(), "{text}");
        }
    }

    #[test]
    fn friendly_names() {
        assert_eq!(
            Type::list(Type::map(Type::Number)).to_string(),
            "list of map of number"
        );
    }

    proptest! {
        #[test]
        fn type_json_round_trips(t in arb_type()) {
            prop_assert_eq!(Type::from_json(t.to_json().as_bytes()).unwrap(), t);
        }
    }
}
