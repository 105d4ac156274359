//! The resource layer: thin handlers (resources and data sources) that join the protocol
//! (values, plans) to the mesh domain and the AWS gateway.

pub mod internal;
pub mod internal_data;
