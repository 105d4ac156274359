//! The AWS gateway: the only code that calls AWS.

pub mod cloudmap;
pub mod config;
pub mod ecs;
pub mod error;
pub mod gateway;
pub mod route53;
pub mod wait;
