//! Any bytes as a msgpack DynamicValue of some type: decoding never panics, and what
//! decodes encodes again and decodes to the same value.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use servicemesh::protocol::value::{decode_msgpack, encode_msgpack};

fuzz_target!(|data: &[u8]| {
    let Some((ty, bytes)) = common::split(data) else {
        return;
    };
    let Ok(value) = decode_msgpack(bytes, &ty) else {
        return;
    };
    let encoded = match encode_msgpack(&value, &ty) {
        Ok(encoded) => encoded,
        Err(err) => panic!("a decoded value does not encode: {err}\n{value:?}"),
    };
    match decode_msgpack(&encoded, &ty) {
        Ok(again) => assert_eq!(again, value, "msgpack round trip of {ty:?}"),
        Err(err) => panic!("an encoded value does not decode: {err}\n{value:?}"),
    }
});
