//! Test support: the local AWS emulator process, the provider process as go-plugin
//! launches it, and the real-Terraform harness.

pub mod emulator;
pub mod fake_provider;
pub mod imds;
pub mod plugin;
pub mod terraform;
pub mod world;
