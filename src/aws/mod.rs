//! The AWS gateway: the only code that calls AWS.

pub mod config;
