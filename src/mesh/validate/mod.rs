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
//! at a time), `config` (the whole configuration and its endpoints), `settings` (TLS,
//! proxy logs and access logs), `docs` (the documented examples, for the tests).

mod config;
#[cfg(test)]
mod docs;
mod external;
mod fields;
mod rules;
mod settings;
#[cfg(test)]
mod tests;

pub use config::*;
#[cfg(test)]
use docs::*;
pub use external::*;
pub use fields::*;
pub use rules::*;
pub use settings::*;

use std::borrow::Cow;
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
    /// Mesh-wide timeouts, for every endpoint that sets none.
    pub idle_timeout_seconds: Attr<Number>,
    pub per_request_timeout_seconds: Attr<Number>,
    /// Standalone servers, keyed by their name in the namespace.
    pub external_services: Attr<BTreeMap<String, Attr<ExternalView>>>,
    /// Mesh-wide: for every endpoint that sets none.
    pub tls: Attr<TlsView>,
    /// Mesh-wide: for every service that sets none.
    pub log_configuration: Attr<LogView>,
    /// Mesh-wide: for every service that sets none.
    pub access_log_configuration: Attr<AccessLogView>,
}

/// One `external_services` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ExternalView {
    pub addresses: Attr<Vec<Attr<String>>>,
    pub port: Attr<Number>,
    pub ttl: Attr<Number>,
}

/// One `services` entry: the short form (`port_name` and its settings on the entry) or
/// the long form (`endpoints`, keyed by discovery name).
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
    pub tls: Attr<TlsView>,
    /// The long form, keyed by discovery name; entries may be null or unknown.
    pub endpoints: Attr<BTreeMap<String, Attr<EndpointView>>>,
    pub log_configuration: Attr<LogView>,
    pub access_log_configuration: Attr<AccessLogView>,
}

/// One endpoint: an `endpoints` entry, or the short form's settings on the entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct EndpointView {
    pub port_name: Attr<String>,
    pub dns_name: Attr<String>,
    pub port: Attr<Number>,
    pub ingress_port_override: Attr<Number>,
    pub idle_timeout_seconds: Attr<Number>,
    pub per_request_timeout_seconds: Attr<Number>,
    pub tls: Attr<TlsView>,
}

/// `tls`, on the resource, a short-form entry or an endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TlsView {
    pub aws_pca_authority_arn: Attr<String>,
    pub kms_key: Attr<String>,
    pub role_arn: Attr<String>,
}

/// `log_configuration`, on the resource or a `services` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LogView {
    pub log_driver: Attr<String>,
    pub options: Attr<BTreeMap<String, Attr<String>>>,
    pub secret_options: Attr<Vec<Attr<SecretView>>>,
}

/// One `secret_options` element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SecretView {
    pub name: Attr<String>,
    pub value_from: Attr<String>,
}

/// `access_log_configuration`, on the resource or a `services` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AccessLogView {
    pub format: Attr<String>,
    pub include_query_parameters: Attr<bool>,
}

/// The short form's attributes that belong in each endpoint of the long form, in the
/// order the schema lists them.
pub const SHORT_FORM_ATTRIBUTES: [&str; 8] = [
    "port_name",
    "discovery_name",
    "dns_name",
    "port",
    "ingress_port_override",
    "idle_timeout_seconds",
    "per_request_timeout_seconds",
    "tls",
];

impl ServiceView {
    /// The short form's attributes that are set. An unknown value may still turn out
    /// null, so only known values count.
    pub fn short_form_attributes(&self) -> Vec<&'static str> {
        let set = [
            self.port_name.is_known(),
            self.discovery_name.is_known(),
            self.dns_name.is_known(),
            self.port.is_known(),
            self.ingress_port_override.is_known(),
            self.idle_timeout_seconds.is_known(),
            self.per_request_timeout_seconds.is_known(),
            self.tls.is_known(),
        ];
        SHORT_FORM_ATTRIBUTES
            .into_iter()
            .zip(set)
            .filter(|(_, set)| *set)
            .map(|(name, _)| name)
            .collect()
    }

    /// The short form's one endpoint.
    pub fn short_endpoint(&self) -> EndpointView {
        EndpointView {
            port_name: self.port_name.clone(),
            dns_name: self.dns_name.clone(),
            port: self.port.clone(),
            ingress_port_override: self.ingress_port_override.clone(),
            idle_timeout_seconds: self.idle_timeout_seconds.clone(),
            per_request_timeout_seconds: self.per_request_timeout_seconds.clone(),
            tls: self.tls.clone(),
        }
    }

    /// Every known endpoint of the entry `service` with where it is written: the short
    /// form's one, or each known `endpoints` entry (null and unknown ones are left out).
    pub fn endpoint_list<'a>(
        &'a self,
        service: &'a str,
    ) -> Vec<(EndpointAt<'a>, Cow<'a, EndpointView>)> {
        match &self.endpoints {
            Attr::Null => vec![(
                EndpointAt::short(service),
                Cow::Owned(self.short_endpoint()),
            )],
            Attr::Unknown => Vec::new(),
            Attr::Known(endpoints) => endpoints
                .iter()
                .filter_map(|(key, endpoint)| {
                    Some((
                        EndpointAt::long(service, key),
                        Cow::Borrowed(endpoint.known()?),
                    ))
                })
                .collect(),
        }
    }
}

impl EndpointView {
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

/// Where an endpoint is written: on its `services` entry (the short form, `key: None`)
/// or as the `endpoints` entry `key` (the long form, where the key is the discovery
/// name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointAt<'a> {
    pub service: &'a str,
    pub key: Option<&'a str>,
}

impl<'a> EndpointAt<'a> {
    pub fn short(service: &'a str) -> Self {
        EndpointAt { service, key: None }
    }

    pub fn long(service: &'a str, key: &'a str) -> Self {
        EndpointAt {
            service,
            key: Some(key),
        }
    }

    /// Where it is, as messages write it: `services["api"]` or
    /// `services["api"].endpoints["api-grpc"]`, keys quoted (and cut when long).
    pub fn label(self) -> String {
        match self.key {
            None => service_entry(self.service),
            Some(key) => format!("{}.endpoints[{}]", service_entry(self.service), quote(key)),
        }
    }

    /// The endpoint (`None`) or one of its attributes, as a [`Field`].
    pub fn field(self, attribute: Option<&'static str>) -> Field {
        match self.key {
            None => Field::Service {
                key: self.service.to_string(),
                attribute,
            },
            Some(key) => Field::Endpoint {
                service: self.service.to_string(),
                key: key.to_string(),
                attribute,
            },
        }
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
