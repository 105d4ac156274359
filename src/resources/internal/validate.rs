//! ValidateResourceConfig: the domain's naming and consistency rules, run on the
//! configuration as Terraform sends it (values may be unknown), with no AWS call.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::model::InternalModel;
use crate::mesh::validate::{
    ConfigView, Field, Known, Rule, ServiceView, TimeoutsView, validate_config,
};
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::value::{Attr, AttributePath, Number, Value, from_value};

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
    port: Attr<Number>,
    #[serde(default)]
    ingress_port_override: Attr<Number>,
    #[serde(default)]
    idle_timeout_seconds: Attr<Number>,
    #[serde(default)]
    per_request_timeout_seconds: Attr<Number>,
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

fn config_view(raw: RawConfig, diagnostics: &mut Diagnostics) -> ConfigView {
    let mut nulls = Vec::new();
    if let Attr::Known(tags) = &raw.tags {
        nulls.extend(
            tags.iter()
                .filter(|(_, value)| value.is_null())
                .map(|(key, _)| Field::Tag(key.clone())),
        );
    }
    if let Attr::Known(clients) = &raw.client_services
        && clients.iter().any(Attr::is_null)
    {
        nulls.push(Field::Attribute("client_services"));
    }
    ConfigView {
        nulls,
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
                        Attr::Known(s) => Known::Value(service_view(&key, s, diagnostics)),
                        Attr::Null => Known::Value(ServiceView {
                            null_entry: true,
                            ..ServiceView::default()
                        }),
                        Attr::Unknown => Known::Unknown,
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

fn known_or_unknown(attr: Attr<String>) -> Known<String> {
    match attr {
        Attr::Known(value) => Known::Value(value),
        _ => Known::Unknown,
    }
}

/// A whole number for the range rules, or a diagnostic when it is not one.
fn whole_number(
    key: &str,
    attribute: &str,
    number: Attr<Number>,
    diagnostics: &mut Diagnostics,
) -> Option<Known<i64>> {
    match number {
        Attr::Null => None,
        Attr::Unknown => Some(Known::Unknown),
        Attr::Known(number) => match number.to_i64() {
            Some(value) => Some(Known::Value(value)),
            None => {
                let why = if number.is_integer() {
                    "far outside any valid range"
                } else {
                    "not a whole number"
                };
                diagnostics.push(
                    Diagnostic::error(
                        "Invalid number",
                        format!("services[\"{key}\"].{attribute} is {number}, which is {why}. Write a whole number."),
                    )
                    .at(AttributePath::root().attribute("services").key(key)),
                );
                // Checked here; the range rules have nothing left to say.
                None
            }
        },
    }
}

fn service_view(key: &str, raw: RawService, diagnostics: &mut Diagnostics) -> ServiceView {
    ServiceView {
        null_entry: false,
        port_name: same(raw.port_name),
        discovery_name: same(raw.discovery_name),
        dns_name: same(raw.dns_name),
        port: whole_number(key, "port", raw.port, diagnostics),
        ingress_port_override: whole_number(
            key,
            "ingress_port_override",
            raw.ingress_port_override,
            diagnostics,
        ),
        idle_timeout_seconds: whole_number(
            key,
            "idle_timeout_seconds",
            raw.idle_timeout_seconds,
            diagnostics,
        ),
        per_request_timeout_seconds: whole_number(
            key,
            "per_request_timeout_seconds",
            raw.per_request_timeout_seconds,
            diagnostics,
        ),
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

/// The duplicate-endpoint rule on a planned model, whose ports may have been filled
/// from task definitions after the configuration was validated.
pub(super) fn endpoint_violations(planned: &InternalModel) -> Diagnostics {
    let Some(services) = planned.services.known() else {
        return Diagnostics::default();
    };
    let view = ConfigView {
        services: Some(Known::Value(
            services
                .iter()
                .map(|(key, service)| {
                    let view = ServiceView {
                        dns_name: same(service.dns_name.clone()),
                        port: same(service.port.clone().map(i64::from)),
                        ..ServiceView::default()
                    };
                    (key.clone(), Known::Value(view))
                })
                .collect(),
        )),
        ..ConfigView::default()
    };
    validate_config(&view)
        .into_iter()
        .filter(|violation| violation.rule == Rule::DuplicateEndpoint)
        .map(|violation| {
            Diagnostic::error(violation.summary, violation.detail).at(field_path(&violation.field))
        })
        .collect()
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
    let mut diagnostics = Diagnostics::default();
    let view = config_view(raw, &mut diagnostics);
    let violations: Diagnostics = validate_config(&view)
        .into_iter()
        .map(|violation| {
            Diagnostic::error(violation.summary, violation.detail).at(field_path(&violation.field))
        })
        .collect();
    diagnostics.extend(violations);
    diagnostics
}
