//! terraform-provider-servicemesh: ECS Service Connect on a private Cloud Map namespace,
//! as one Terraform resource.
//!
//! Layers, from the wire inwards:
//! - `protocol`: the Terraform plugin protocol; knows nothing of AWS.
//! - `provider` and `resources`: the thin layer that joins the protocol to the domain.
//! - `mesh`: the domain, pure: desired versus observed, validation, the plan of changes.
//! - `aws`: the AWS gateway, the only code that calls AWS.
#![forbid(unsafe_code)]

mod aws;
mod mesh;
pub mod protocol;
pub mod provider;
mod resources;
