//! Any bytes as a msgpack DynamicValue of some type: decoding never panics, and what
//! decodes encodes again and decodes to the same value (common::round_trip).

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use servicemesh::protocol::value::{decode_msgpack, encode_msgpack};

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = common::round_trip(data, decode_msgpack, encode_msgpack, true) {
        panic!("{broken}");
    }
});
