//! Reserved serde names through which `Attr<T>` and `Number` tell our serializer and
//! deserializer what they are. Other serde formats see ordinary newtype/unit structs.

/// A unit struct with this name serializes to an unknown value.
pub(crate) const UNKNOWN: &str = "$servicemesh::protocol::value::Unknown";
/// `Attr<T>` deserializes through a newtype struct with this name, so that our
/// deserializer can report an unknown to it (as a unit) instead of failing.
pub(crate) const ATTR: &str = "$servicemesh::protocol::value::Attr";
/// `Number` goes through a newtype struct with this name, carrying its decimal text (or
/// the double it came as), so that no digit is lost on the way.
pub(crate) const NUMBER: &str = "$servicemesh::protocol::value::Number";
