//! The Terraform plugin protocol: handshake, mTLS, gRPC services, values and schemas.
//! Nothing in here knows about AWS, nor which provider it serves until told
//! ([`address::ProviderAddress`]).

pub mod address;
pub mod controller;
pub mod diagnostics;
pub mod handshake;
pub mod logging;
pub mod proto;
pub mod provider;
pub mod rpc;
pub mod schema;
pub mod server;
pub mod timing;
pub mod tls;
pub mod transport;
pub mod value;
