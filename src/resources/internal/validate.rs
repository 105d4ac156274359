//! ValidateResourceConfig: the domain's naming and consistency rules, run on the
//! configuration as Terraform sends it (values may be unknown), with no AWS call.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::mesh::validate::{ConfigView, Field, Known, ServiceView, TimeoutsView, validate_config};
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::value::{Attr, AttributePath, Value, from_value};

/// The configuration with numbers as wide integers, so out-of-range values reach the
/// range rules instead of failing to decode.
#[derive(Debug, Default, Deserialize)]
struct RawConfig {
    #[serde(default)]
    cluster: Attr<String>,
    #[serde(default)]
    namespace: Attr<String>,
    #[serde(default)]
    vpc_id: Attr<String>,
    #[serde(default)]
    namespace_id: Attr<String>,
    #[serde(default)]
    description: Attr<String>,
    #[serde(default)]
    tags: Attr<BTreeMap<String, Attr<String>>>,
    #[serde(default)]
    services: Attr<BTreeMap<String, Attr<RawService>>>,
    #[serde(default)]
    client_services: Attr<Vec<Attr<String>>>,
    #[serde(default)]
    wait_for_steady_state: Attr<bool>,
    #[serde(default)]
    timeouts: Attr<RawTimeouts>,
}

#[derive(Debug, Default, Deserialize)]
struct RawService {
    #[serde(default)]
    port_name: Attr<String>,
    #[serde(default)]
    discovery_name: Attr<String>,
    #[serde(default)]
    dns_name: Attr<String>,
    #[serde(default)]
    port: Attr<i64>,
    #[serde(default)]
    ingress_port_override: Attr<i64>,
    #[serde(default)]
    idle_timeout_seconds: Attr<i64>,
    #[serde(default)]
    per_request_timeout_seconds: Attr<i64>,
}

#[derive(Debug, Default, Deserialize)]
struct RawTimeouts {
    #[serde(default)]
    create: Attr<String>,
    #[serde(default)]
    update: Attr<String>,
    #[serde(default)]
    delete: Attr<String>,
}

/// Null → `None`, unknown → `Some(Unknown)`, known → `Some(Value)`.
fn view<T, U>(attr: Attr<T>, convert: impl FnOnce(T) -> U) -> Option<Known<U>> {
    match attr {
        Attr::Null => None,
        Attr::Unknown => Some(Known::Unknown),
        Attr::Known(value) => Some(Known::Value(convert(value))),
    }
}

fn same<T>(attr: Attr<T>) -> Option<Known<T>> {
    view(attr, |v| v)
}

impl From<RawConfig> for ConfigView {
    fn from(raw: RawConfig) -> Self {
        ConfigView {
            cluster: same(raw.cluster),
            namespace: same(raw.namespace),
            vpc_id: same(raw.vpc_id),
            namespace_id: same(raw.namespace_id),
            description: same(raw.description),
            tags: view(raw.tags, |tags| {
                tags.into_iter()
                    .map(|(k, v)| (k, known_or_unknown(v)))
                    .collect()
            }),
            services: view(raw.services, |services| {
                services
                    .into_iter()
                    .map(|(key, service)| {
                        let service = match service {
                            Attr::Known(s) => Known::Value(ServiceView::from(s)),
                            // A null entry is refused by Terraform; treat it as unknown.
                            _ => Known::Unknown,
                        };
                        (key, service)
                    })
                    .collect()
            }),
            client_services: view(raw.client_services, |clients| {
                clients.into_iter().map(known_or_unknown).collect()
            }),
            wait_for_steady_state: same(raw.wait_for_steady_state),
            timeouts: view(raw.timeouts, |t| TimeoutsView {
                create: same(t.create),
                update: same(t.update),
                delete: same(t.delete),
            }),
        }
    }
}

fn known_or_unknown(attr: Attr<String>) -> Known<String> {
    match attr {
        Attr::Known(value) => Known::Value(value),
        _ => Known::Unknown,
    }
}

impl From<RawService> for ServiceView {
    fn from(raw: RawService) -> Self {
        ServiceView {
            port_name: same(raw.port_name),
            discovery_name: same(raw.discovery_name),
            dns_name: same(raw.dns_name),
            port: same(raw.port),
            ingress_port_override: same(raw.ingress_port_override),
            idle_timeout_seconds: same(raw.idle_timeout_seconds),
            per_request_timeout_seconds: same(raw.per_request_timeout_seconds),
        }
    }
}

/// Where Terraform can show a rule's violation: it walks blocks, not nested
/// attributes, so a service's problem points at its map entry.
pub fn field_path(field: &Field) -> AttributePath {
    let root = AttributePath::root();
    match field {
        Field::Attribute(name) => root.attribute(*name),
        Field::Service { key, .. } => root.attribute("services").key(key.as_str()),
        Field::ClientService(_) => root.attribute("client_services"),
        Field::Tag(key) => root.attribute("tags").key(key.as_str()),
        Field::Timeout(_) => root.attribute("timeouts"),
    }
}

pub(super) fn validate(config: &Value) -> Diagnostics {
    let raw: RawConfig = match from_value(config) {
        Ok(raw) => raw,
        Err(err) => {
            return Diagnostics::error_at(
                err.path().clone(),
                "Invalid value",
                format!("{}: {}.", err.path(), err.message()),
            );
        }
    };
    validate_config(&ConfigView::from(raw))
        .into_iter()
        .map(|violation| {
            Diagnostic::error(violation.summary, violation.detail).at(field_path(&violation.field))
        })
        .collect()
}
