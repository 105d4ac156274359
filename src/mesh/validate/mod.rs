//! The validation rules of `servicemesh_internal`, checked before anything is sent to AWS
//! so a typo fails `terraform validate` in milliseconds instead of an apply minutes later.
//!
//! Pure: the resource layer decodes the Terraform configuration into a [`ConfigView`]
//! (where any value may still be unknown) and turns each [`Violation`] into a
//! diagnostic. Limits come from the ECS and Cloud Map API references (botocore
//! `ecs/2014-11-13` and `servicediscovery/2017-03-14`); where this provider is stricter
//! than AWS, the rule text says so and why. `docs/validation.md` lists every rule with
//! an example message.
//!
//! Split by concern: `rules` (the rule catalogue and violations), `fields` (one value
//! at a time), `config` (the whole configuration), `docs` (the documented examples, for
//! the tests).

mod config;
#[cfg(test)]
mod docs;
mod fields;
mod rules;
#[cfg(test)]
mod tests;

pub use config::*;
#[cfg(test)]
use docs::*;
pub use fields::*;
pub use rules::*;

use std::collections::BTreeMap;

use serde::Deserialize;

use super::names;
use crate::protocol::value::{Attr, Number};

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

/// `servicemesh_internal` as written, before defaults: the resource layer decodes the
/// configuration Terraform sends straight into it, so each attribute is declared here
/// once. Any value may be null or not known until apply (it comes from another
/// resource). Numbers are exact [`Number`]s, so negative, oversized and fractional values
/// reach the rules instead of failing to decode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ConfigView {
    pub cluster: Attr<String>,
    pub namespace: Attr<String>,
    pub vpc_id: Attr<String>,
    pub namespace_id: Attr<String>,
    pub description: Attr<String>,
    pub tags: Attr<BTreeMap<String, Attr<String>>>,
    /// Keyed by ECS service name; keys are always known, entries may be null or unknown.
    pub services: Attr<BTreeMap<String, Attr<ServiceView>>>,
    /// A set in the schema: no duplicates, any order.
    pub client_services: Attr<Vec<Attr<String>>>,
    pub wait_for_steady_state: Attr<bool>,
    pub timeouts: Attr<TimeoutsView>,
}

/// One `services` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ServiceView {
    pub port_name: Attr<String>,
    pub discovery_name: Attr<String>,
    pub dns_name: Attr<String>,
    pub port: Attr<Number>,
    pub ingress_port_override: Attr<Number>,
    pub idle_timeout_seconds: Attr<Number>,
    pub per_request_timeout_seconds: Attr<Number>,
}

impl ServiceView {
    /// The number attributes with their names, in the order their problems are reported.
    pub fn numbers(&self) -> [(&'static str, &Attr<Number>); 4] {
        [
            ("port", &self.port),
            ("ingress_port_override", &self.ingress_port_override),
            ("idle_timeout_seconds", &self.idle_timeout_seconds),
            (
                "per_request_timeout_seconds",
                &self.per_request_timeout_seconds,
            ),
        ]
    }
}

/// The `timeouts` attribute: Go duration strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TimeoutsView {
    pub create: Attr<String>,
    pub update: Attr<String>,
    pub delete: Attr<String>,
}

/// A number the range rules can read: known and a whole number within `i64`. Any other
/// known number is reported by the resource layer as not a whole number.
pub(super) fn whole(number: &Attr<Number>) -> Option<i64> {
    number.known().and_then(Number::to_i64)
}
