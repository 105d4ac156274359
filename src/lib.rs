//! terraform-provider-servicemesh: ECS Service Connect on a private Cloud Map namespace,
//! as one Terraform resource.
//!
//! Layers, from the wire inwards:
//! - `protocol`: the Terraform plugin protocol; knows nothing of AWS.
//! - `aws`: the AWS gateway, the only code that calls AWS.
#![forbid(unsafe_code)]

pub mod aws;
pub mod mesh;
pub mod protocol;
