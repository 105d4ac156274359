//! Reading values into typed models through serde: objects and maps into structs and
//! maps, lists/sets/tuples into sequences, numbers exactly (or range-checked into Rust
//! integers). Null reads as `None`/`Attr::Null`; unknown only as `Attr::Unknown`,
//! anything else at an unknown is an error naming the attribute.

use std::collections::btree_map;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, Deserialize, DeserializeSeed, Visitor};

use super::error::ValueError;
use super::markers;
use super::number::Number;
use super::path::PathRef;
use super::tree::Value;

/// Reads `value` into `T`. Errors carry the path of the attribute that did not fit.
pub fn from_value<'de, T: Deserialize<'de>>(value: &'de Value) -> Result<T, ValueError> {
    let root = ValueDeserializer {
        value,
        path: PathRef::Root,
    };
    T::deserialize(root).map_err(|e| e.located_at(PathRef::Root))
}

struct ValueDeserializer<'de, 'p> {
    value: &'de Value,
    path: PathRef<'p>,
}

impl<'de> ValueDeserializer<'de, '_> {
    fn value(&self) -> &'de Value {
        self.value.untyped()
    }

    /// The error for a value of the wrong kind (including null and unknown).
    fn unexpected(&self, expected: &str) -> ValueError {
        let message = match self.value() {
            Value::Unknown(_) => {
                "value is unknown here; only an Attr<T> field accepts unknown values".to_owned()
            }
            Value::Null => format!("{expected} is required, but the value is null"),
            other => format!("{expected} is required, found {}", other.kind_name()),
        };
        ValueError::at(self.path, message)
    }

    fn number(&self) -> Result<&'de Number, ValueError> {
        self.value()
            .as_number()
            .ok_or_else(|| self.unexpected("a number"))
    }

    /// Integers by their exact value; the visitor checks the range of its own type.
    fn integer<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let n = self.number()?;
        if let Some(v) = n.to_i64() {
            visitor.visit_i64(v)
        } else if let Some(v) = n.to_u64() {
            visitor.visit_u64(v)
        } else if let Some(v) = n.to_i128() {
            visitor.visit_i128(v)
        } else if let Some(v) = n.to_u128() {
            visitor.visit_u128(v)
        } else if n.is_integer() {
            Err(ValueError::at(self.path, format!("{n} is out of range")))
        } else {
            Err(ValueError::at(
                self.path,
                format!("an integer is required, found {n}"),
            ))
        }
    }

    fn sequence<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let items = self
            .value()
            .as_elements()
            .ok_or_else(|| self.unexpected("a list"))?;
        visitor.visit_seq(Elements {
            items: items.iter(),
            index: 0,
            path: self.path,
        })
    }

    fn entries<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let (entries, object) = match self.value() {
            Value::Map(entries) => (entries, false),
            Value::Object(entries) => (entries, true),
            _ => return Err(self.unexpected("an object")),
        };
        visitor.visit_map(Entries {
            entries: entries.iter(),
            pending: None,
            object,
            path: self.path,
        })
    }

    fn string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let s = self
            .value()
            .as_str()
            .ok_or_else(|| self.unexpected("a string"))?;
        visitor.visit_borrowed_str(s)
    }
}

/// Every method attaches this level's path to an error that has none yet.
macro_rules! located {
    ($($method:ident => $body:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            let path = self.path;
            self.$body(visitor).map_err(|e| e.located_at(path))
        }
    )*};
}

impl<'de> ValueDeserializer<'de, '_> {
    fn any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value() {
            Value::Null => visitor.visit_unit(),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.to_i64(), n.to_u64()) {
                (Some(v), _) => visitor.visit_i64(v),
                (None, Some(v)) => visitor.visit_u64(v),
                // Untyped readers get the nearest double; a `Number` field keeps every digit.
                (None, None) => visitor.visit_f64(n.to_f64_lossy()),
            },
            Value::List(_) | Value::Set(_) | Value::Tuple(_) => self.sequence(visitor),
            Value::Map(_) | Value::Object(_) => self.entries(visitor),
            Value::Unknown(_) | Value::Typed(_) => Err(self.unexpected("a value")),
        }
    }

    fn boolean<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let b = self
            .value()
            .as_bool()
            .ok_or_else(|| self.unexpected("a bool"))?;
        visitor.visit_bool(b)
    }

    fn float<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_f64(self.number()?.to_f64_lossy())
    }

    fn bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let s = self
            .value()
            .as_str()
            .ok_or_else(|| self.unexpected("a string"))?;
        visitor.visit_borrowed_bytes(s.as_bytes())
    }

    fn option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value() {
            Value::Null => visitor.visit_none(),
            Value::Unknown(_) => Err(self.unexpected("a value")),
            _ => visitor.visit_some(self),
        }
    }

    fn unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.value() {
            Value::Null => visitor.visit_unit(),
            _ => Err(self.unexpected("null")),
        }
    }

    fn ignored<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        // Attributes a model does not name may be anything, unknown included.
        visitor.visit_unit()
    }
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de, '_> {
    type Error = ValueError;

    located!(
        deserialize_any => any,
        deserialize_bool => boolean,
        deserialize_i8 => integer,
        deserialize_i16 => integer,
        deserialize_i32 => integer,
        deserialize_i64 => integer,
        deserialize_i128 => integer,
        deserialize_u8 => integer,
        deserialize_u16 => integer,
        deserialize_u32 => integer,
        deserialize_u64 => integer,
        deserialize_u128 => integer,
        deserialize_f32 => float,
        deserialize_f64 => float,
        deserialize_char => string,
        deserialize_str => string,
        deserialize_string => string,
        deserialize_identifier => string,
        deserialize_bytes => bytes,
        deserialize_byte_buf => bytes,
        deserialize_option => option,
        deserialize_unit => unit,
        deserialize_seq => sequence,
        deserialize_map => entries,
        deserialize_ignored_any => ignored,
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        let path = self.path;
        let result = match (name, self.value()) {
            (markers::ATTR, Value::Unknown(_)) => visitor.visit_unit(),
            (markers::ATTR, Value::Null) => visitor.visit_none(),
            (markers::ATTR, _) => visitor.visit_some(self),
            (markers::NUMBER, Value::Number(n)) if n.is_binary() => {
                visitor.visit_f64(n.to_f64_lossy())
            }
            (markers::NUMBER, Value::Number(n)) => visitor.visit_str(&n.to_string()),
            (markers::NUMBER, _) => Err(self.unexpected("a number")),
            _ => visitor.visit_newtype_struct(self),
        };
        result.map_err(|e| e.located_at(path))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_map(visitor)
    }

    /// Unit variants from strings, e.g. `"TCP"` into `enum Protocol { Tcp, ... }` with
    /// `#[serde(rename_all = "UPPERCASE")]`.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        let path = self.path;
        let Some(s) = self.value().as_str() else {
            return Err(self.unexpected("a string"));
        };
        let variant = BorrowedStrDeserializer::<ValueError>::new(s);
        visitor.visit_enum(variant).map_err(|e| e.located_at(path))
    }
}

struct Elements<'de, 'p> {
    items: std::slice::Iter<'de, Value>,
    index: usize,
    path: PathRef<'p>,
}

impl<'de> de::SeqAccess<'de> for Elements<'de, '_> {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        let Some(value) = self.items.next() else {
            return Ok(None);
        };
        let path = PathRef::Index(&self.path, self.index);
        self.index += 1;
        seed.deserialize(ValueDeserializer { value, path })
            .map(Some)
            .map_err(|e| e.located_at(path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'de, 'p> {
    entries: btree_map::Iter<'de, String, Value>,
    pending: Option<(&'de str, &'de Value)>,
    /// Object attributes make `.name` paths, map entries `["key"]` paths.
    object: bool,
    path: PathRef<'p>,
}

impl<'de> de::MapAccess<'de> for Entries<'de, '_> {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((key, value));
        let key_path = if self.object {
            PathRef::Attribute(&self.path, key)
        } else {
            PathRef::Key(&self.path, key)
        };
        let deserializer = BorrowedStrDeserializer::<ValueError>::new(key);
        seed.deserialize(deserializer)
            .map(Some)
            .map_err(|e| e.located_at(key_path))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, ValueError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(ValueError::at(
                self.path,
                "a map value was read before its key",
            ));
        };
        let path = if self.object {
            PathRef::Attribute(&self.path, key)
        } else {
            PathRef::Key(&self.path, key)
        };
        seed.deserialize(ValueDeserializer { value, path })
            .map_err(|e| e.located_at(path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde::{Deserialize, Serialize};

    use super::super::{Attr, AttributePath, Number, Type, Value, from_value, to_value};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Model {
        cluster: String,
        namespace: Option<String>,
        port: Attr<u16>,
        weight: Attr<Number>,
        tags: BTreeSet<String>,
        services: BTreeMap<String, Service>,
        #[serde(default)]
        id: Attr<String>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Service {
        port: u16,
        protocol: Protocol,
        aliases: Vec<String>,
        ratio: f64,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Protocol {
        Http,
        Tcp,
    }

    fn service_type() -> Type {
        Type::object([
            ("port", Type::Number),
            ("protocol", Type::String),
            ("aliases", Type::list(Type::String)),
            ("ratio", Type::Number),
        ])
    }

    fn model_type() -> Type {
        Type::object([
            ("cluster", Type::String),
            ("namespace", Type::String),
            ("port", Type::Number),
            ("weight", Type::Number),
            ("tags", Type::set(Type::String)),
            ("services", Type::map(service_type())),
            ("id", Type::String),
            ("arn", Type::String),
        ])
    }

    fn model() -> Model {
        Model {
            cluster: "main".into(),
            namespace: None,
            port: Attr::Unknown,
            weight: Attr::Known("123456789012345678901234567890.5".parse().unwrap()),
            tags: ["a".to_owned(), "b".to_owned()].into(),
            services: [(
                "backend".to_owned(),
                Service {
                    port: 8080,
                    protocol: Protocol::Http,
                    aliases: vec!["api".into()],
                    ratio: 0.1,
                },
            )]
            .into(),
            id: Attr::Null,
        }
    }

    #[test]
    fn models_round_trip_through_values() {
        let value = to_value(&model(), &model_type()).unwrap();
        assert_eq!(value.get_attr("namespace"), Some(&Value::Null));
        assert_eq!(value.get_attr("port"), Some(&Value::unknown()));
        assert_eq!(
            value.get_attr("tags"),
            Some(&Value::Set(vec!["a".into(), "b".into()]))
        );
        // Attributes the model does not name are null.
        assert_eq!(value.get_attr("arn"), Some(&Value::Null));
        let backend = value
            .get_attr("services")
            .and_then(|s| s.get_key("backend"));
        assert_eq!(
            backend.and_then(|b| b.get_attr("protocol")),
            Some(&Value::from("http"))
        );
        assert_eq!(from_value::<Model>(&value).unwrap(), model());
        // And through the wire.
        let bytes = super::super::encode_msgpack(&value, &model_type()).unwrap();
        let decoded = super::super::decode_msgpack(&bytes, &model_type()).unwrap();
        assert_eq!(from_value::<Model>(&decoded).unwrap(), model());
    }

    #[test]
    fn attr_reads_known_null_and_unknown() {
        for (value, expected) in [
            (Value::from(7), Attr::Known(7u16)),
            (Value::Null, Attr::Null),
            (Value::unknown(), Attr::Unknown),
        ] {
            assert_eq!(from_value::<Attr<u16>>(&value).unwrap(), expected);
        }
    }

    #[test]
    fn option_refuses_unknown_with_the_path() {
        let mut value = to_value(&model(), &model_type()).unwrap();
        if let Value::Object(attributes) = &mut value {
            attributes.insert("namespace".into(), Value::unknown());
        }
        let err = from_value::<Model>(&value).unwrap_err();
        assert_eq!(err.path(), &AttributePath::root().attribute("namespace"));
        assert!(err.message().contains("unknown"), "{err}");
    }

    #[test]
    fn errors_name_the_attribute() {
        let value = to_value(&model(), &model_type()).unwrap();
        let set_port = |port: Value| {
            let mut value = value.clone();
            if let Value::Object(attributes) = &mut value
                && let Some(Value::Map(services)) = attributes.get_mut("services")
                && let Some(Value::Object(backend)) = services.get_mut("backend")
            {
                backend.insert("port".into(), port);
            }
            from_value::<Model>(&value).unwrap_err().to_string()
        };
        assert_eq!(
            set_port(Value::from(70000)),
            r#"services["backend"].port: invalid value: integer `70000`, expected u16"#
        );
        assert_eq!(
            set_port(Value::Number("1.5".parse().unwrap())),
            r#"services["backend"].port: an integer is required, found 1.5"#
        );
        assert_eq!(
            set_port(Value::Null),
            r#"services["backend"].port: a number is required, but the value is null"#
        );
        assert_eq!(
            set_port(Value::from("x")),
            r#"services["backend"].port: a number is required, found a string"#
        );
        let mut value = value.clone();
        if let Value::Object(attributes) = &mut value {
            attributes.remove("cluster");
        }
        assert_eq!(
            from_value::<Model>(&value).unwrap_err().to_string(),
            "missing field `cluster`"
        );
    }

    #[test]
    fn unknown_attributes_the_model_ignores_are_fine() {
        let mut value = to_value(&model(), &model_type()).unwrap();
        if let Value::Object(attributes) = &mut value {
            attributes.insert("arn".into(), Value::unknown());
        }
        assert_eq!(from_value::<Model>(&value).unwrap(), model());
    }

    #[test]
    fn to_value_follows_the_type() {
        #[derive(Serialize)]
        struct Extra {
            cluster: String,
            surprise: bool,
        }
        let err = to_value(
            &Extra {
                cluster: "x".into(),
                surprise: true,
            },
            &model_type(),
        )
        .unwrap_err();
        assert_eq!(err.path(), &AttributePath::root().attribute("surprise"));

        let err = to_value(&vec![1, 2], &Type::list(Type::String)).unwrap_err();
        assert_eq!(err.to_string(), "[0]: a string is required, found a number");

        // Sequences become what the type says; sets drop repeats.
        assert_eq!(
            to_value(&vec![1, 1, 2], &Type::set(Type::Number)).unwrap(),
            Value::Set(vec![1.into(), 2.into()])
        );
        assert_eq!(
            to_value(&("a", 1), &Type::tuple([Type::String, Type::Number])).unwrap(),
            Value::Tuple(vec!["a".into(), 1.into()])
        );
        assert!(to_value(&("a", 1), &Type::tuple([Type::String])).is_err());
        // Maps may fill objects, and numbers come out exact.
        let map: BTreeMap<&str, f64> = [("ratio", 0.1)].into();
        assert_eq!(
            to_value(
                &map,
                &Type::object([("ratio", Type::Number), ("x", Type::Bool)])
            )
            .unwrap(),
            Value::object([
                ("ratio", Value::Number(Number::from_f64(0.1).unwrap())),
                ("x", Value::Null)
            ])
        );
        // In a dynamic place, the model's own shape.
        assert_eq!(
            to_value(&BTreeMap::from([("a", vec![true])]), &Type::Dynamic).unwrap(),
            Value::object([("a", Value::Tuple(vec![true.into()]))])
        );
    }

    #[test]
    fn numbers_keep_their_form() {
        let double = Number::from_f64(0.1).unwrap();
        let decimal: Number = "0.1".parse().unwrap();
        for n in [double, decimal] {
            let value = to_value(&n, &Type::Number).unwrap();
            let wire = super::super::encode_msgpack(&value, &Type::Number).unwrap();
            let direct = super::super::encode_msgpack(&Value::Number(n.clone()), &Type::Number);
            assert_eq!(wire, direct.unwrap());
            let back: Number = from_value(&value).unwrap();
            assert_eq!(back.is_binary(), n.is_binary());
        }
    }
}
