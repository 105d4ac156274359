//! terraform-provider-servicemesh: ECS Service Connect on a private Cloud Map namespace,
//! as one Terraform resource.
#![forbid(unsafe_code)]

pub mod protocol;
