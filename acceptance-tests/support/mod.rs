//! Test support: the local AWS emulator process, the provider process as go-plugin
//! launches it, the real-Terraform harness and the configurations it writes.

pub mod conformance;
pub mod emulator;
pub mod fake_provider;
pub mod hcl;
pub mod imds;
pub mod plugin;
pub mod scale;
pub mod terraform;
pub mod world;
