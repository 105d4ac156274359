//! ValidateResourceConfig: the domain's naming and consistency rules, run on the
//! configuration as Terraform sends it (values may be unknown), with no AWS call.

use super::model::InternalModel;
use crate::mesh::validate::{
    ConfigView, EndpointView, Field, Rule, ServiceView, Violation, public_addresses,
    validate_config,
};
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::value::{Attr, AttributePath, Number, Value, from_value};

/// A diagnostic for each known number the range rules cannot read (they skip it): one
/// that is not whole, or too large for any range.
fn number_diagnostics(config: &ConfigView) -> Diagnostics {
    let Some(services) = config.services.known() else {
        return Diagnostics::default();
    };
    let mut diagnostics = Diagnostics::default();
    let endpoints = services.iter().flat_map(|(key, service)| {
        service
            .known()
            .map(|service| service.endpoint_list(key))
            .unwrap_or_default()
    });
    for (at, endpoint) in endpoints {
        for (attribute, number) in endpoint.numbers() {
            let Some(number) = number.known().filter(|n| n.to_i64().is_none()) else {
                continue;
            };
            let why = if number.is_integer() {
                "far outside any valid range"
            } else {
                "not a whole number"
            };
            diagnostics.push(
                Diagnostic::error(
                    "Invalid number",
                    format!(
                        "{}.{attribute} is {}, which is {why}. Write a whole number.",
                        at.label(),
                        shown_number(number)
                    ),
                )
                .at(field_path(&at.field(None))),
            );
        }
    }
    diagnostics
}

/// A number as a message shows it: whole when short, else its first and last digits
/// and how many there are (a number may have ten thousand digits).
fn shown_number(number: &Number) -> String {
    const SHOWN: usize = 24;
    let text = number.to_string();
    let length = text.chars().count();
    if length <= SHOWN * 2 {
        return text;
    }
    let head: String = text.chars().take(SHOWN).collect();
    let tail: String = text.chars().skip(length - 8).collect();
    format!("{head}…{tail} ({length} characters)")
}

/// Where Terraform can show a rule's violation: it walks blocks, not nested
/// attributes, so a problem inside a service (its endpoints, TLS and logs included)
/// points at its map entry, and one inside a top-level nested attribute at that
/// attribute.
pub fn field_path(field: &Field) -> AttributePath {
    let root = AttributePath::root();
    match field {
        Field::Attribute(name) => root.attribute(*name),
        Field::Service { key, .. }
        | Field::Endpoint { service: key, .. }
        | Field::Setting {
            service: Some(key), ..
        } => root.attribute("services").key(key.as_str()),
        Field::Setting {
            service: None,
            attribute,
            ..
        } => root.attribute(*attribute),
        Field::External { name, .. } => root.attribute("external_services").key(name.as_str()),
        Field::ClientService(_) => root.attribute("client_services"),
        Field::Tag(key) => root.attribute("tags").key(key.as_str()),
        Field::Timeout(_) => root.attribute("timeouts"),
    }
}

/// A warning for each standalone server with public addresses: allowed, but that
/// traffic leaves the VPC, which the mesh exists to avoid.
fn public_address_warnings(config: &ConfigView) -> Diagnostics {
    public_addresses(config)
        .into_iter()
        .map(|(name, addresses)| {
            Diagnostic::warning(
                "Standalone server with a public address",
                format!(
                    "external_services[{name:?}].addresses has {}, which {} not in a private range \
                     (RFC 1918 or 100.64.0.0/10). Calls to it leave the VPC unless the VPC itself \
                     uses that range. Use the server's private address if it has one.",
                    addresses.join(", "),
                    if addresses.len() == 1 { "is" } else { "are" }
                ),
            )
            .at(AttributePath::root()
                .attribute("external_services")
                .key(&name))
        })
        .collect()
}

/// The duplicate-endpoint rule on a planned model, whose ports may have been filled
/// from task definitions after the configuration was validated.
pub(super) fn endpoint_violations(planned: &InternalModel) -> Diagnostics {
    let Some(services) = planned.services.known() else {
        return Diagnostics::default();
    };
    let view = ConfigView {
        services: Attr::Known(
            services
                .iter()
                .map(|(key, service)| {
                    let endpoints = service.endpoints.as_ref().map(|endpoints| {
                        endpoints
                            .iter()
                            .map(|(name, endpoint)| {
                                let view = EndpointView {
                                    dns_name: endpoint.dns_name.clone(),
                                    port: endpoint.port.clone().map(Number::from),
                                    ..EndpointView::default()
                                };
                                (name.clone(), Attr::Known(view))
                            })
                            .collect()
                    });
                    let view = ServiceView {
                        dns_name: service.dns_name.clone(),
                        port: service.port.clone().map(Number::from),
                        endpoints,
                        ..ServiceView::default()
                    };
                    (key.clone(), Attr::Known(view))
                })
                .collect(),
        ),
        ..ConfigView::default()
    };
    validate_config(&view)
        .into_iter()
        .filter(|violation| violation.rule == Rule::DuplicateEndpoint)
        .map(diagnostic)
        .collect()
}

fn diagnostic(violation: Violation) -> Diagnostic {
    Diagnostic::error(violation.summary, violation.detail).at(field_path(&violation.field))
}

pub(super) fn validate(config: &Value) -> Diagnostics {
    let view: ConfigView = match from_value(config) {
        Ok(view) => view,
        Err(err) => {
            return Diagnostics::error_at(
                err.path().clone(),
                "Invalid value",
                format!("{}: {}.", err.path(), err.message()),
            );
        }
    };
    let mut diagnostics = number_diagnostics(&view);
    diagnostics.extend(validate_config(&view).into_iter().map(diagnostic).collect());
    diagnostics.extend(public_address_warnings(&view));
    diagnostics
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::resources::internal::services::{EndpointModel, ServiceModel};

    fn endpoint(port: Attr<Number>) -> Attr<EndpointView> {
        Attr::Known(EndpointView {
            port_name: Attr::Known("api-9090-tcp".to_string()),
            port,
            ..EndpointView::default()
        })
    }

    #[test]
    fn numbers_of_every_endpoint_are_read_in_both_forms() {
        let fraction = Number::from_f64(9090.5).expect("a number");
        let huge: Number = "99999999999999999999".parse().expect("a number");
        let long = ServiceView {
            endpoints: Attr::Known(BTreeMap::from([
                ("api".to_string(), endpoint(Attr::Known(Number::from(8080)))),
                ("api-grpc".to_string(), endpoint(Attr::Known(fraction))),
            ])),
            ..ServiceView::default()
        };
        let short = ServiceView {
            port_name: Attr::Known("backend-8080-tcp".to_string()),
            idle_timeout_seconds: Attr::Known(huge),
            ..ServiceView::default()
        };
        let config = ConfigView {
            services: Attr::Known(BTreeMap::from([
                ("api".to_string(), Attr::Known(long)),
                ("backend".to_string(), Attr::Known(short)),
            ])),
            ..ConfigView::default()
        };
        let found: Vec<(String, String, Option<AttributePath>)> = number_diagnostics(&config)
            .iter()
            .map(|d| (d.summary.clone(), d.detail.clone(), d.attribute.clone()))
            .collect();
        let services = AttributePath::root().attribute("services");
        assert_eq!(
            found,
            vec![
                (
                    "Invalid number".to_string(),
                    "services[\"api\"].endpoints[\"api-grpc\"].port is 9090.5, which is not a \
                     whole number. Write a whole number."
                        .to_string(),
                    Some(services.clone().key("api")),
                ),
                (
                    "Invalid number".to_string(),
                    "services[\"backend\"].idle_timeout_seconds is 99999999999999999999, which is far \
                     outside any valid range. Write a whole number."
                        .to_string(),
                    Some(services.key("backend")),
                ),
            ]
        );
    }

    #[test]
    fn violations_point_at_the_service_entry_or_the_top_level_attribute() {
        let services = AttributePath::root().attribute("services");
        for (field, path) in [
            (
                Field::Endpoint {
                    service: "api".to_string(),
                    key: "api-grpc".to_string(),
                    attribute: Some("port"),
                },
                services.clone().key("api"),
            ),
            (
                Field::Setting {
                    service: Some("api".to_string()),
                    endpoint: Some("api-grpc".to_string()),
                    attribute: "tls",
                    inner: ".kms_key".to_string(),
                },
                services.key("api"),
            ),
            (
                Field::Setting {
                    service: None,
                    endpoint: None,
                    attribute: "log_configuration",
                    inner: ".secret_options[0].name".to_string(),
                },
                AttributePath::root().attribute("log_configuration"),
            ),
        ] {
            assert_eq!(field_path(&field), path, "{field}");
        }
    }

    /// Planned ports filled from task definitions collide across the endpoints of the
    /// long form too.
    #[test]
    fn planned_endpoints_of_the_long_form_are_unique() {
        let planned_endpoint = |port: u16| EndpointModel {
            port_name: Attr::Known("api-9090-tcp".to_string()),
            dns_name: Attr::Known("api.internal.myapp".to_string()),
            port: Attr::Known(port),
            ..EndpointModel::default()
        };
        let api = ServiceModel {
            endpoints: Attr::Known(BTreeMap::from([
                ("api".to_string(), planned_endpoint(8080)),
                ("api-grpc".to_string(), planned_endpoint(8080)),
            ])),
            ..ServiceModel::default()
        };
        let planned = InternalModel {
            services: Attr::Known(BTreeMap::from([("api".to_string(), api)])),
            ..InternalModel::default()
        };
        let found: Vec<(String, String)> = endpoint_violations(&planned)
            .iter()
            .map(|d| (d.summary.clone(), d.detail.clone()))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "Duplicate endpoint");
        assert!(
            found[0].1.starts_with(
                "services[\"api\"].endpoints[\"api-grpc\"] and \
                 services[\"api\"].endpoints[\"api\"] both use the endpoint \
                 api.internal.myapp:8080"
            ),
            "{found:?}"
        );
    }
}
