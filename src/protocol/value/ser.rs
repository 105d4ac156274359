//! Writing typed models into values through serde, guided by the Terraform type so that
//! the result has the type's shape: `None` becomes null, a sequence becomes a list, set or
//! tuple as the type says, struct fields missing from the model become null attributes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::error::ValueError;
use super::markers;
use super::number::Number;
use super::path::PathRef;
use super::shape::a_type;
use super::tree::Value;
use super::types::{DYNAMIC, Type};

/// Writes `model` as a value of type `ty`. Errors carry the path of the attribute that did
/// not fit the type.
pub fn to_value<T: Serialize + ?Sized>(model: &T, ty: &Type) -> Result<Value, ValueError> {
    model
        .serialize(ValueSerializer {
            ty,
            path: PathRef::Root,
        })
        .map_err(|e| e.located_at(PathRef::Root))
}

struct ValueSerializer<'t, 'p> {
    ty: &'t Type,
    path: PathRef<'p>,
}

impl ValueSerializer<'_, '_> {
    fn mismatch(&self, found: &str) -> ValueError {
        ValueError::at(
            self.path,
            format!("{} is required, found {found}", a_type(self.ty)),
        )
    }

    fn number(self, n: Number) -> Result<Value, ValueError> {
        match self.ty {
            Type::Number | Type::Dynamic => Ok(Value::Number(n)),
            _ => Err(self.mismatch("a number")),
        }
    }

    fn string(self, s: &str) -> Result<Value, ValueError> {
        match self.ty {
            Type::String | Type::Dynamic => Ok(Value::String(s.to_owned())),
            _ => Err(self.mismatch("a string")),
        }
    }

    fn unsupported(&self, what: &str) -> ValueError {
        ValueError::at(
            self.path,
            format!("{what} cannot be written as a Terraform value"),
        )
    }
}

macro_rules! integers {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<Value, ValueError> {
            self.number(Number::from(v))
        }
    )*};
}

impl<'t, 'p> ser::Serializer for ValueSerializer<'t, 'p> {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = Elements<'t, 'p>;
    type SerializeTuple = Elements<'t, 'p>;
    type SerializeTupleStruct = Elements<'t, 'p>;
    type SerializeTupleVariant = Impossible<Value, ValueError>;
    type SerializeMap = Attributes<'t, 'p>;
    type SerializeStruct = Attributes<'t, 'p>;
    type SerializeStructVariant = Impossible<Value, ValueError>;

    integers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        match self.ty {
            Type::Bool | Type::Dynamic => Ok(Value::Bool(v)),
            _ => Err(self.mismatch("a bool")),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        let n =
            Number::from_f64(v).ok_or_else(|| ValueError::at(self.path, "NaN is not a number"))?;
        self.number(n)
    }

    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        self.string(v)
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<Value, ValueError> {
        Err(self.unsupported("a byte string"))
    }

    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ValueError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<Value, ValueError> {
        Ok(if name == markers::UNKNOWN {
            Value::unknown()
        } else {
            Value::Null
        })
    }

    /// Unit variants as their (serde-renamed) names.
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        self.string(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        if name != markers::NUMBER {
            return value.serialize(self);
        }
        // The inside is the number's text or the double it came as.
        let inner = value.serialize(ValueSerializer {
            ty: &DYNAMIC,
            path: self.path,
        })?;
        let n = match inner {
            Value::Number(n) => n,
            Value::String(text) => text
                .parse()
                .map_err(|e: ValueError| e.located_at(self.path))?,
            other => return Err(self.mismatch(other.kind_name())),
        };
        self.number(n)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Value, ValueError> {
        Err(self.unsupported("an enum variant with data"))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Elements<'t, 'p>, ValueError> {
        let kind = match self.ty {
            Type::List(element) => SequenceKind::List(element),
            Type::Set(element) => SequenceKind::Set(element),
            Type::Tuple(elements) => SequenceKind::Tuple(elements),
            Type::Dynamic => SequenceKind::Untyped,
            _ => return Err(self.mismatch("a sequence")),
        };
        Ok(Elements {
            kind,
            items: Vec::with_capacity(len.unwrap_or(0).min(1024)),
            path: self.path,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Elements<'t, 'p>, ValueError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Elements<'t, 'p>, ValueError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Err(self.unsupported("an enum variant with data"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Attributes<'t, 'p>, ValueError> {
        let kind = match self.ty {
            Type::Map(element) => EntriesKind::Map(element),
            Type::Object { attributes, .. } => EntriesKind::Object(attributes),
            Type::Dynamic => EntriesKind::Untyped,
            _ => return Err(self.mismatch("an object")),
        };
        Ok(Attributes {
            kind,
            entries: BTreeMap::new(),
            pending_key: None,
            path: self.path,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Attributes<'t, 'p>, ValueError> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Err(self.unsupported("an enum variant with data"))
    }
}

enum SequenceKind<'t> {
    List(&'t Type),
    Set(&'t Type),
    Tuple(&'t [Type]),
    /// In a `dynamic` place: a tuple of whatever the elements are.
    Untyped,
}

struct Elements<'t, 'p> {
    kind: SequenceKind<'t>,
    items: Vec<Value>,
    path: PathRef<'p>,
}

impl Elements<'_, '_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let index = self.items.len();
        let path = PathRef::Index(&self.path, index);
        let ty = match &self.kind {
            SequenceKind::List(t) | SequenceKind::Set(t) => t,
            SequenceKind::Tuple(types) => types.get(index).ok_or_else(|| {
                ValueError::at(
                    self.path,
                    format!(
                        "a tuple of {} elements is required, found more",
                        types.len()
                    ),
                )
            })?,
            SequenceKind::Untyped => &DYNAMIC,
        };
        let item = value
            .serialize(ValueSerializer { ty, path })
            .map_err(|e| e.located_at(path))?;
        self.items.push(item);
        Ok(())
    }

    fn finish(self) -> Result<Value, ValueError> {
        Ok(match self.kind {
            SequenceKind::List(_) => Value::List(self.items),
            SequenceKind::Set(_) => {
                // A set holds each value once; unknowns are never the same value.
                let mut unique: Vec<Value> = Vec::with_capacity(self.items.len());
                for item in self.items {
                    if !(item.is_fully_known() && unique.contains(&item)) {
                        unique.push(item);
                    }
                }
                Value::Set(unique)
            }
            SequenceKind::Tuple(types) => {
                if types.len() != self.items.len() {
                    return Err(ValueError::at(
                        self.path,
                        format!(
                            "a tuple of {} elements is required, found {}",
                            types.len(),
                            self.items.len()
                        ),
                    ));
                }
                Value::Tuple(self.items)
            }
            SequenceKind::Untyped => Value::Tuple(self.items),
        })
    }
}

/// Sequences, tuples and tuple structs all write their elements the same way; serde
/// asks for one trait each.
macro_rules! elements {
    ($($serializer:ident :: $add:ident),*) => {$(
        impl ser::$serializer for Elements<'_, '_> {
            type Ok = Value;
            type Error = ValueError;

            fn $add<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
                self.push(value)
            }

            fn end(self) -> Result<Value, ValueError> {
                self.finish()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

enum EntriesKind<'t> {
    Map(&'t Type),
    Object(&'t BTreeMap<String, Type>),
    /// In a `dynamic` place: an object of whatever the attributes are.
    Untyped,
}

struct Attributes<'t, 'p> {
    kind: EntriesKind<'t>,
    entries: BTreeMap<String, Value>,
    pending_key: Option<String>,
    path: PathRef<'p>,
}

impl Attributes<'_, '_> {
    fn insert<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), ValueError> {
        let (ty, path) = match &self.kind {
            EntriesKind::Map(t) => (*t, PathRef::Key(&self.path, key)),
            EntriesKind::Object(types) => {
                let path = PathRef::Attribute(&self.path, key);
                let t = types.get(key).ok_or_else(|| {
                    ValueError::at(path, "the type has no attribute of this name")
                })?;
                (t, path)
            }
            EntriesKind::Untyped => (&DYNAMIC, PathRef::Attribute(&self.path, key)),
        };
        let item = value
            .serialize(ValueSerializer { ty, path })
            .map_err(|e| e.located_at(path))?;
        self.entries.insert(key.to_owned(), item);
        Ok(())
    }

    fn finish(mut self) -> Value {
        match self.kind {
            EntriesKind::Map(_) => Value::Map(self.entries),
            EntriesKind::Object(types) => {
                for name in types.keys() {
                    if !self.entries.contains_key(name) {
                        self.entries.insert(name.clone(), Value::Null);
                    }
                }
                Value::Object(self.entries)
            }
            EntriesKind::Untyped => Value::Object(self.entries),
        }
    }
}

impl ser::SerializeMap for Attributes<'_, '_> {
    type Ok = Value;
    type Error = ValueError;

    /// Keys are strings; numbers and unit variants are taken as their text.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        let key = key.serialize(ValueSerializer {
            ty: &DYNAMIC,
            path: self.path,
        })?;
        self.pending_key = Some(match key {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            other => {
                return Err(ValueError::at(
                    self.path,
                    format!("map keys must be strings, found {}", other.kind_name()),
                ));
            }
        });
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| ValueError::at(self.path, "a map value was written before its key"))?;
        self.insert(&key, value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for Attributes<'_, '_> {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        self.insert(key, value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}
