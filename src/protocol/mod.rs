//! The Terraform plugin protocol: handshake, mTLS, gRPC services, values and schemas.
//! Nothing in here knows about AWS.

pub mod controller;
pub mod handshake;
pub mod logging;
pub mod proto;
pub mod server;
pub mod tls;
pub mod transport;
pub mod value;
