//! The one integration-test binary: real Terraform and the local AWS emulator.
//! Each extra test binary would relink the AWS SDK, so every suite is a module here.

mod support;

mod adoption;
mod bench_mesh;
mod call_counts;
mod compat;
mod data_source;
mod docs_truth;
mod emulator_cloudmap_health;
mod emulator_cloudmap_instances;
mod emulator_conformance;
mod emulator_service_connect_fields;
mod endpoints;
mod external_services;
mod hostile_input;
mod import;
mod lifecycle;
mod never_lose_track;
mod ownership;
mod packaging;
mod partial_failure;
mod plugin_transport;
mod protocol_rpcs;
mod provider_config;
mod real_configurations;
mod reliability;
mod rollouts;
mod security;
mod validation_catalogue;
