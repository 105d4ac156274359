//! Terraform values (cty) on the wire: msgpack and JSON DynamicValues, with unknowns.
//!
//! The wire formats follow go-cty (`cty/msgpack`, `cty/json`, `cty/json.go`) byte for byte
//! where cty is exact, and are a little more lenient where reading costs nothing (missing
//! object attributes, odd unknown-value extensions). Nothing here knows about gRPC or AWS.
//!
//! - [`Type`] and [`Value`] model cty types and values; [`Number`] keeps every digit.
//! - [`decode_msgpack`]/[`encode_msgpack`] and [`decode_json`]/[`encode_json`] are the
//!   type-directed codecs.
//! - [`from_value`]/[`to_value`] move values in and out of serde models, with [`Attr`] for
//!   fields that may be unknown; errors carry an [`AttributePath`].

mod attr;
mod de;
mod error;
mod json;
mod json_text;
mod markers;
mod msgpack;
mod number;
mod number_serde;
mod path;
mod ser;
mod shape;
mod tree;
mod types;
mod unknown;

#[cfg(test)]
mod proptests;

pub use attr::Attr;
pub use de::from_value;
pub use error::ValueError;
pub use json::{decode_json, decode_json_ignoring_extra_attributes, encode_json};
pub use msgpack::{decode_msgpack, encode_msgpack};
pub use number::Number;
pub use path::{AttributePath, PathStep};
pub use ser::to_value;
pub use tree::{NumberBound, Refinements, TypedValue, Value};
pub use types::Type;
