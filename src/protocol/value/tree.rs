//! Terraform values as plain Rust data. A `Value` carries no type of its own: the codecs
//! are told the type, as cty's are. The one exception is [`Value::Typed`], which keeps the
//! type that a value in a `dynamic` place arrived with so that it goes back unchanged.

use std::collections::BTreeMap;

use super::number::Number;
use super::path::{AttributePath, PathStep};
use super::types::Type;

/// A Terraform value.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    /// Not known until apply; refinements are what Terraform ≥ 1.6 knows about it anyway.
    Unknown(Option<Box<Refinements>>),
    String(String),
    Number(Number),
    Bool(bool),
    List(Vec<Value>),
    /// Elements in wire order; equality ignores order.
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value in a `dynamic` place, with the type it was sent with.
    Typed(Box<TypedValue>),
}

/// A value together with its own type; see [`Value::Typed`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypedValue {
    pub ty: Type,
    pub value: Value,
}

/// What is known about an unknown value (cty's refinements). Only the ones that fit the
/// value's type are ever sent: prefix for strings, bounds for numbers, lengths for
/// lists, sets and maps, non-nullness for all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refinements {
    /// The value will not be null.
    pub not_null: bool,
    /// A string value will start with this.
    pub string_prefix: Option<String>,
    pub number_lower: Option<NumberBound>,
    pub number_upper: Option<NumberBound>,
    /// A collection will have at least this many elements.
    pub length_lower: Option<u64>,
    /// A collection will have at most this many elements.
    pub length_upper: Option<u64>,
}

/// One end of a refined number range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberBound {
    pub value: Number,
    pub inclusive: bool,
}

impl Refinements {
    /// True when nothing is known, i.e. a plain unknown.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl Value {
    /// An unknown with no refinements.
    pub fn unknown() -> Self {
        Value::Unknown(None)
    }

    /// An unknown with refinements (a plain unknown if they say nothing).
    pub fn refined_unknown(refinements: Refinements) -> Self {
        if refinements.is_empty() {
            Value::Unknown(None)
        } else {
            Value::Unknown(Some(Box::new(refinements)))
        }
    }

    /// An object from `(name, value)` pairs.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Value)>) -> Self {
        Value::Object(attributes.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A map from `(key, value)` pairs.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Self {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The value itself, seen through a [`Value::Typed`] wrapper.
    pub fn untyped(&self) -> &Value {
        match self {
            Value::Typed(typed) => typed.value.untyped(),
            other => other,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.untyped(), Value::Null)
    }

    /// True when this value itself is known (its parts may still be unknown).
    pub fn is_known(&self) -> bool {
        !matches!(self.untyped(), Value::Unknown(_))
    }

    /// True when neither this value nor any part of it is unknown.
    pub fn is_fully_known(&self) -> bool {
        match self.untyped() {
            Value::Unknown(_) => false,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_fully_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_fully_known)
            }
            _ => true,
        }
    }

    /// The refinements of an unknown, if it has any.
    pub fn refinements(&self) -> Option<&Refinements> {
        match self.untyped() {
            Value::Unknown(Some(refinements)) => Some(refinements),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.untyped() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self.untyped() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.untyped() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self.untyped() {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a map or the attributes of an object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self.untyped() {
            Value::Map(entries) | Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// An attribute of an object.
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self.untyped() {
            Value::Object(attributes) => attributes.get(name),
            _ => None,
        }
    }

    /// An element of a map by key.
    pub fn get_key(&self, key: &str) -> Option<&Value> {
        match self.untyped() {
            Value::Map(entries) => entries.get(key),
            _ => None,
        }
    }

    /// An element of a list, set or tuple by position.
    pub fn get_index(&self, index: usize) -> Option<&Value> {
        self.as_elements()?.get(index)
    }

    /// The part of this value at `path`, if there is one.
    pub fn get_path(&self, path: &AttributePath) -> Option<&Value> {
        path.steps().iter().try_fold(self, |at, step| match step {
            PathStep::Attribute(name) => at.get_attr(name),
            PathStep::ElementKeyString(key) => at.get_key(key),
            PathStep::ElementKeyInt(index) => at.get_index(usize::try_from(*index).ok()?),
        })
    }

    /// What kind of value this is, for error messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown(_) => "an unknown value",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a bool",
            Value::List(_) => "a list",
            Value::Set(_) => "a set",
            Value::Map(_) => "a map",
            Value::Object(_) => "an object",
            Value::Tuple(_) => "a tuple",
            Value::Typed(typed) => typed.value.kind_name(),
        }
    }

    /// The type a value in a `dynamic` place is sent with when it has no [`Value::Typed`]
    /// wrapper: primitives as themselves, objects and tuples by their parts, collections by
    /// their first element with a type of its own, null and unknown as `dynamic`.
    pub fn implied_type(&self) -> Type {
        fn element_type(items: impl IntoIterator<Item = Type>) -> Type {
            items
                .into_iter()
                .find(|t| *t != Type::Dynamic)
                .unwrap_or(Type::Dynamic)
        }
        match self {
            Value::Null | Value::Unknown(_) => Type::Dynamic,
            Value::String(_) => Type::String,
            Value::Number(_) => Type::Number,
            Value::Bool(_) => Type::Bool,
            Value::List(items) => Type::list(element_type(items.iter().map(Value::implied_type))),
            Value::Set(items) => Type::set(element_type(items.iter().map(Value::implied_type))),
            Value::Map(entries) => {
                Type::map(element_type(entries.values().map(Value::implied_type)))
            }
            Value::Object(attributes) => Type::object(
                attributes
                    .iter()
                    .map(|(name, v)| (name.clone(), v.implied_type())),
            ),
            Value::Tuple(items) => Type::Tuple(items.iter().map(Value::implied_type).collect()),
            Value::Typed(typed) => typed.ty.clone(),
        }
    }
}

/// Structural equality with numeric numbers and order-free sets. A [`Value::Typed`] equals
/// only another with the same type; unknowns compare their refinements.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Unknown(a), Value::Unknown(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => same_elements(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            (Value::Typed(a), Value::Typed(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

/// Multiset equality, quadratic but sets in resource schemas are small.
fn same_elements(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|x| {
        let found = b
            .iter()
            .enumerate()
            .find(|(i, y)| !used[*i] && x == *y)
            .map(|(i, _)| i);
        found.map(|i| used[i] = true).is_some()
    })
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self {
                Value::Number(Number::from(n))
            }
        }
    )*};
}
value_from_int!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl From<TypedValue> for Value {
    fn from(typed: TypedValue) -> Self {
        Value::Typed(Box::new(typed))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        Value::object([
            ("name", Value::from("web")),
            (
                "services",
                Value::map([(
                    "backend",
                    Value::object([("ports", Value::List(vec![8080.into(), Value::unknown()]))]),
                )]),
            ),
        ])
    }

    #[test]
    fn accessors_walk_paths() {
        let v = sample();
        assert_eq!(v.get_attr("name").and_then(Value::as_str), Some("web"));
        let path = AttributePath::root()
            .attribute("services")
            .key("backend")
            .attribute("ports")
            .index(0);
        assert_eq!(
            v.get_path(&path).and_then(Value::as_number),
            Some(&Number::from(8080))
        );
        assert!(v.is_known());
        assert!(!v.is_fully_known());
        assert!(
            v.get_path(&AttributePath::root().attribute("nope"))
                .is_none()
        );
    }

    #[test]
    fn sets_compare_without_order() {
        let a = Value::Set(vec!["a".into(), "b".into(), "b".into()]);
        let b = Value::Set(vec!["b".into(), "a".into(), "b".into()]);
        let c = Value::Set(vec!["b".into(), "a".into(), "a".into()]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(Value::List(vec!["a".into()]), Value::Set(vec!["a".into()]));
    }

    #[test]
    fn typed_values_are_seen_through() {
        let v = Value::from(TypedValue {
            ty: Type::String,
            value: "x".into(),
        });
        assert_eq!(v.as_str(), Some("x"));
        assert_ne!(v, Value::from("x"));
        assert_eq!(v.implied_type(), Type::String);
    }

    #[test]
    fn implied_types() {
        assert_eq!(
            sample().implied_type(),
            Type::object([
                ("name", Type::String),
                (
                    "services",
                    Type::map(Type::object([("ports", Type::list(Type::Number))]))
                ),
            ])
        );
        assert_eq!(
            Value::List(vec![]).implied_type(),
            Type::list(Type::Dynamic)
        );
    }

    #[test]
    fn empty_refinements_are_a_plain_unknown() {
        assert_eq!(
            Value::refined_unknown(Refinements::default()),
            Value::unknown()
        );
    }
}
