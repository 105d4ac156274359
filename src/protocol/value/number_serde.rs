//! `Number` in serde models: exact through our own (de)serializer, a string or a float
//! (as it arrived) through other formats.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use super::markers;
use super::number::Number;

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(markers::NUMBER, &Inner(self))
    }
}

/// A double as a double, so that it keeps its wire form; anything else as decimal text.
struct Inner<'a>(&'a Number);

impl Serialize for Inner<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_binary() {
            serializer.serialize_f64(self.0.to_f64_lossy())
        } else {
            serializer.collect_str(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(markers::NUMBER, NumberVisitor)
    }
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
        Ok(Number::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
        Ok(Number::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Number, E> {
        Ok(Number::from(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Number, E> {
        Ok(Number::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
        Number::from_f64(v).ok_or_else(|| E::custom("NaN is not a number"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Number, D::Error> {
        d.deserialize_any(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_formats_see_text_or_a_float() {
        let big: Number = "123456789012345678901234567890".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&big).unwrap(),
            r#""123456789012345678901234567890""#
        );
        let back: Number = serde_json::from_str(r#""123456789012345678901234567890""#).unwrap();
        assert_eq!(back, big);
        let float = Number::from_f64(0.25).unwrap();
        assert_eq!(serde_json::to_string(&float).unwrap(), "0.25");
        let back: Number = serde_json::from_str("0.25").unwrap();
        assert_eq!(back, float);
        let int: Number = serde_json::from_str("-7").unwrap();
        assert_eq!(int, Number::from(-7));
    }
}
