//! The validation rules of `servicemesh_internal`, checked before anything is sent to AWS
//! so a typo fails `terraform validate` in milliseconds instead of an apply minutes later.
//!
//! Pure: the resource layer turns the Terraform configuration into a [`ConfigView`] (where
//! any value may still be unknown) and each [`Violation`] back into a diagnostic. Limits
//! come from the ECS and Cloud Map API references (botocore `ecs/2014-11-13` and
//! `servicediscovery/2017-03-14`); where this provider is stricter than AWS, the rule
//! text says so and why. `docs/validation.md` lists every rule with an example message.
//!
//! Split by concern: `rules` (the rule catalogue and violations), `fields` (one value
//! at a time), `config` (the whole configuration), `docs` (the documented examples).

mod config;
mod docs;
mod fields;
mod rules;
#[cfg(test)]
mod tests;

pub use config::*;
pub use docs::*;
pub use fields::*;
pub use rules::*;

use std::collections::BTreeMap;

use super::names;

/// ECS `discoveryName` and `portMappings[].name`: at most 64 characters.
pub const MAX_DISCOVERY_NAME: usize = 64;
/// ECS client alias `dnsName`: at most 127 characters.
pub const MAX_DNS_NAME: usize = 127;
/// Cloud Map `NamespaceNamePrivate`: at most 253 characters, the DNS limit.
pub const MAX_NAMESPACE_NAME: usize = 253;
/// One DNS label: at most 63 octets (RFC 1035).
pub const MAX_DNS_LABEL: usize = 63;
/// ECS cluster and service names: at most 255 characters.
pub const MAX_ECS_NAME: usize = 255;
/// Cloud Map `ResourceDescription`: at most 1024 characters.
pub const MAX_DESCRIPTION: usize = 1024;
/// Cloud Map: "The maximum number of tags that can be applied to a resource is 50."
pub const MAX_TAGS: usize = 50;
/// Cloud Map `TagKey`: 1 to 128 characters.
pub const MAX_TAG_KEY: usize = 128;
/// Cloud Map `TagValue`: 0 to 256 characters.
pub const MAX_TAG_VALUE: usize = 256;
/// ECS: "IngressPortOverride cannot use ports <= 1024".
pub const MIN_INGRESS_PORT: i64 = 1025;
/// ECS `TimeoutConfiguration` seconds: 0 to 2147483647.
pub const MAX_TIMEOUT_SECONDS: i64 = 2_147_483_647;

// ---------------------------------------------------------------------------------------
// The configuration as validation sees it
// ---------------------------------------------------------------------------------------

/// A configuration value that may not be known until apply (it comes from another
/// resource). `Option<Known<T>>` adds null: `None` is "not set".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known<T> {
    Value(T),
    Unknown,
}

impl<T> Known<T> {
    /// The value, when known.
    pub fn value(&self) -> Option<&T> {
        match self {
            Known::Value(value) => Some(value),
            Known::Unknown => None,
        }
    }
}

impl<T> From<T> for Known<T> {
    fn from(value: T) -> Self {
        Known::Value(value)
    }
}

/// The known value of an optional attribute: `None` when null or unknown.
pub(super) fn known<T>(attribute: &Option<Known<T>>) -> Option<&T> {
    attribute.as_ref().and_then(Known::value)
}

/// `servicemesh_internal` as written, before defaults. Numbers are `i64` so negative and
/// oversized values reach the range checks instead of failing a conversion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigView {
    pub cluster: Option<Known<String>>,
    pub namespace: Option<Known<String>>,
    pub vpc_id: Option<Known<String>>,
    pub namespace_id: Option<Known<String>>,
    pub description: Option<Known<String>>,
    pub tags: Option<Known<BTreeMap<String, Known<String>>>>,
    /// Keyed by ECS service name; keys are always known, entries may not be.
    pub services: Option<Known<BTreeMap<String, Known<ServiceView>>>>,
    /// A set in the schema: no duplicates, any order.
    pub client_services: Option<Known<Vec<Known<String>>>>,
    pub wait_for_steady_state: Option<Known<bool>>,
    pub timeouts: Option<Known<TimeoutsView>>,
    /// Tag values and `client_services` elements written as `null` (their views above
    /// show them as unknown, as the other rules have nothing to check in them).
    pub nulls: Vec<Field>,
}

/// One `services` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceView {
    /// The entry itself is null (`backend = null`); its attributes are then all null.
    pub null_entry: bool,
    pub port_name: Option<Known<String>>,
    pub discovery_name: Option<Known<String>>,
    pub dns_name: Option<Known<String>>,
    pub port: Option<Known<i64>>,
    pub ingress_port_override: Option<Known<i64>>,
    pub idle_timeout_seconds: Option<Known<i64>>,
    pub per_request_timeout_seconds: Option<Known<i64>>,
}

/// The `timeouts` attribute: Go duration strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimeoutsView {
    pub create: Option<Known<String>>,
    pub update: Option<Known<String>>,
    pub delete: Option<Known<String>>,
}
