//! `Attr<T>`: a model field that may be known, null or unknown, for attributes that are
//! computed or may be unknown during plan. A plain `Option<T>` field takes null as `None`
//! and refuses unknown values with an error naming the attribute.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use super::markers;

/// An attribute value as Terraform sees it during plan: known, null or not yet known.
///
/// A field of this type that the value lacks altogether is a "missing field" error, as for
/// any non-`Option` field; add `#[serde(default)]` to read it as `Null`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Attr<T> {
    Known(T),
    #[default]
    Null,
    Unknown,
}

impl<T> Attr<T> {
    pub fn is_known(&self) -> bool {
        matches!(self, Attr::Known(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }

    /// The known value, if there is one.
    pub fn known(&self) -> Option<&T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    /// The known value, if there is one.
    pub fn into_known(self) -> Option<T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_ref(&self) -> Attr<&T> {
        match self {
            Attr::Known(v) => Attr::Known(v),
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Attr<U> {
        match self {
            Attr::Known(v) => Attr::Known(f(v)),
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
        }
    }

    /// `self` unless it is unknown, else `other` (e.g. the prior state's value).
    pub fn or_if_unknown(self, other: Attr<T>) -> Attr<T> {
        match self {
            Attr::Unknown => other,
            known_or_null => known_or_null,
        }
    }
}

impl<T> From<Option<T>> for Attr<T> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Attr::Null, Attr::Known)
    }
}

impl<T: Serialize> Serialize for Attr<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Attr::Known(v) => serializer.serialize_some(v),
            Attr::Null => serializer.serialize_none(),
            Attr::Unknown => serializer.serialize_unit_struct(markers::UNKNOWN),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Attr<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(markers::ATTR, AttrVisitor(PhantomData))
    }
}

struct AttrVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for AttrVisitor<T> {
    type Value = Attr<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value, null or unknown")
    }

    /// Only our deserializer calls this, for an unknown value.
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Attr::Unknown)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Attr::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        T::deserialize(deserializer).map(Attr::Known)
    }

    /// Other formats (e.g. serde_json) treat the marker as a plain newtype: read the
    /// inside as an option, so null is `Null`.
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        Option::<T>::deserialize(deserializer).map(Attr::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_formats_see_an_option() {
        let known: Attr<u16> = serde_json::from_str("8080").unwrap();
        assert_eq!(known, Attr::Known(8080));
        let null: Attr<u16> = serde_json::from_str("null").unwrap();
        assert_eq!(null, Attr::Null);
        assert_eq!(serde_json::to_string(&Attr::Known(1)).unwrap(), "1");
        assert_eq!(serde_json::to_string(&Attr::<u8>::Unknown).unwrap(), "null");
    }

    #[test]
    fn helpers() {
        assert_eq!(Attr::from(Some(1)).map(|v| v + 1), Attr::Known(2));
        assert_eq!(
            Attr::<u8>::Unknown.or_if_unknown(Attr::Known(3)),
            Attr::Known(3)
        );
        assert_eq!(Attr::<u8>::Null.or_if_unknown(Attr::Known(3)), Attr::Null);
        assert_eq!(Attr::Known(5).known(), Some(&5));
        assert!(Attr::<u8>::default().is_null());
    }
}
