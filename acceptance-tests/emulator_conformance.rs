//! Conformance of the local AWS emulator with AWS, checked with the provider's own SDK crates.
