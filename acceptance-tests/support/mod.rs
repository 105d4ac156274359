//! Test support: the local AWS emulator process and the real-Terraform harness.

pub mod emulator;
pub mod terraform;
