//! The Terraform plugin protocol: handshake, mTLS, gRPC services, values and schemas.
//! Nothing in here knows about AWS.

pub mod value;
