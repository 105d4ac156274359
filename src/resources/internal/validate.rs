//! ValidateResourceConfig: the domain's naming and consistency rules, run on the
//! configuration as Terraform sends it (values may be unknown), with no AWS call.

use super::model::InternalModel;
use crate::mesh::validate::{
    ConfigView, Field, Rule, ServiceView, Violation, service_entry, validate_config,
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
    for (key, service) in services {
        let Some(service) = service.known() else {
            continue;
        };
        for (attribute, number) in service.numbers() {
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
                        service_entry(key),
                        shown_number(number)
                    ),
                )
                .at(AttributePath::root().attribute("services").key(key)),
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
        services: Attr::Known(
            services
                .iter()
                .map(|(key, service)| {
                    let view = ServiceView {
                        dns_name: service.dns_name.clone(),
                        port: service.port.clone().map(Number::from),
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
    diagnostics
}
