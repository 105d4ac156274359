//! The resource layer: thin handlers that join the protocol (values, plans) to the
//! mesh domain and the AWS gateway.

pub mod internal;
