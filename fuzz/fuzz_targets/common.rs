//! What the fuzz targets share: the provider's own schema types, a type picked by the
//! input's first byte, and the provider's gRPC service in this process.

#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use servicemesh::protocol::address::ProviderAddress;
use servicemesh::protocol::provider::ProviderHandler;
use servicemesh::protocol::rpc::ProviderService;
use servicemesh::protocol::value::{Type, Value, ValueError};
use servicemesh::provider::ServicemeshProvider;

pub const PROVIDER: ProviderAddress =
    ProviderAddress::new("registry.terraform.io/servicemesh/servicemesh");
pub const RESOURCE: &str = "servicemesh_internal";

/// `servicemesh_internal`'s configuration type, as Terraform encodes it.
pub fn resource_type() -> &'static Type {
    static TYPE: OnceLock<Type> = OnceLock::new();
    TYPE.get_or_init(|| {
        let provider = ServicemeshProvider::new();
        provider
            .resources()
            .iter()
            .find(|r| r.type_name() == RESOURCE)
            .map(|r| r.schema().value_type())
            .unwrap_or(Type::Dynamic)
    })
}

/// The provider block's type.
pub fn provider_type() -> &'static Type {
    static TYPE: OnceLock<Type> = OnceLock::new();
    TYPE.get_or_init(|| ServicemeshProvider::new().schema().value_type())
}

/// The provider's gRPC service, built once, called in this process.
pub fn service() -> &'static ProviderService {
    static SERVICE: OnceLock<ProviderService> = OnceLock::new();
    SERVICE.get_or_init(|| ProviderService::new(PROVIDER, Arc::new(ServicemeshProvider::new())))
}

/// Splits an input into a type and the bytes to decode with it. The first byte picks
/// the type: the provider's schemas, a few plain types, or (from 16 on) a cty type in
/// JSON up to the first zero byte, so the fuzzer also explores types.
pub fn split(data: &[u8]) -> Option<(Type, &[u8])> {
    let (&first, rest) = data.split_first()?;
    let ty = match first {
        0 => resource_type().clone(),
        1 => provider_type().clone(),
        2 => Type::Dynamic,
        3 => Type::String,
        4 => Type::Number,
        5 => Type::Bool,
        6 => Type::list(Type::String),
        7 => Type::set(Type::Number),
        8 => Type::map(Type::Dynamic),
        9 => Type::object([("a", Type::String), ("b", Type::list(Type::Dynamic))]),
        10 => Type::tuple([Type::Bool, Type::String]),
        11..=15 => resource_type().clone(),
        _ => {
            let end = rest.iter().position(|&b| b == 0)?;
            let ty = Type::from_json(&rest[..end]).ok()?;
            return Some((ty, &rest[end + 1..]));
        }
    };
    Some((ty, rest))
}

/// A codec's decoder, as the fuzz targets call it.
pub type Decode = fn(&[u8], &Type) -> Result<Value, ValueError>;
/// A codec's encoder.
pub type Encode = fn(&Value, &Type) -> Result<Vec<u8>, ValueError>;

/// The codecs' property for one input: decoding it never panics, and what decodes
/// encodes, and decodes to the same value. JSON, like cty, reads an infinite number
/// (written as the string "inf") but cannot write one: with `infinity_encodes` false,
/// a value holding one is only decoded. `Err` says how the property broke.
pub fn round_trip(
    data: &[u8],
    decode: Decode,
    encode: Encode,
    infinity_encodes: bool,
) -> Result<(), String> {
    let Some((ty, bytes)) = split(data) else {
        return Ok(());
    };
    let Ok(value) = decode(bytes, &ty) else {
        return Ok(());
    };
    if !infinity_encodes && has_infinity(&value) {
        return Ok(());
    }
    let encoded = encode(&value, &ty)
        .map_err(|err| format!("a decoded value does not encode: {err}\n{value:?}"))?;
    let again = decode(&encoded, &ty)
        .map_err(|err| format!("an encoded value does not decode: {err}\n{value:?}"))?;
    if again != value {
        return Err(format!(
            "round trip of {ty:?}: {value:?}\ncame back as {again:?}"
        ));
    }
    Ok(())
}

fn has_infinity(value: &Value) -> bool {
    match value {
        Value::Number(number) => number.is_infinite(),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            items.iter().any(has_infinity)
        }
        Value::Map(entries) | Value::Object(entries) => entries.values().any(has_infinity),
        Value::Typed(typed) => has_infinity(&typed.value),
        _ => false,
    }
}
