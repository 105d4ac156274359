//! Compiles the plugin protocol's .proto files with a pure-Rust protobuf compiler
//! (protox), so a fresh machine builds with cargo alone: no system `protoc`.

use std::error::Error;

const PROTOS: &[&str] = &["proto/tfplugin6.proto", "proto/plugin.proto"];

fn main() -> Result<(), Box<dyn Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    tonic_prost_build::configure()
        // The in-process tests drive the provider through a generated client.
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
