//! ReadDataSource: evaluate a data source.
//!
//! Terraform reads a data source during plan only when its configuration is wholly
//! known; otherwise it plans the read for apply and makes up the placeholder itself
//! (the configuration with computed attributes unknown: `planDataSource` in Terraform's
//! `internal/terraform/node_resource_abstract_instance.go`). A host that sends unknowns
//! anyway gets that same placeholder, deferred when it accepts deferrals and with an
//! error when it does not, and the handler is not called: it only ever reads known
//! values. A handler's deferral (the provider's own configuration unknown) gets the
//! same placeholder.

use super::plan::apply_schema_behaviours;
use super::{ProviderService, RegisteredDataSource, codec, unsupported};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::provider::{DataReadRequest, DataReadResponse, DeferredReason};
use crate::protocol::value::Value;

pub(super) async fn read_data_source(
    service: &ProviderService,
    request: pb::read_data_source::Request,
) -> pb::read_data_source::Response {
    let Some(data_source) = service.data_source(&request.type_name) else {
        return unsupported::read_data_source(service, request);
    };
    let config = match codec::decode(
        request.config.as_ref(),
        &data_source.value_type,
        "configuration",
    ) {
        Ok(config) => config,
        Err(diagnostics) => return failed(diagnostics),
    };
    let mut ctx = service.context();
    ctx.deferral_allowed |= request
        .client_capabilities
        .as_ref()
        .is_some_and(|c| c.deferral_allowed);
    let answer = if config.is_fully_known() {
        data_source
            .handler
            .read(
                DataReadRequest {
                    config: config.clone(),
                },
                &ctx,
            )
            .await
    } else {
        not_wholly_known(&request.type_name, ctx.deferral_allowed)
    };
    let state = if answer.state.is_null() && (answer.deferred.is_some() || !config.is_fully_known())
    {
        placeholder(data_source, config)
    } else {
        answer.state
    };
    if answer.diagnostics.has_errors() && state.is_null() {
        return failed(answer.diagnostics);
    }
    match codec::encode(&state, &data_source.value_type, "data source result") {
        Ok(encoded) => pb::read_data_source::Response {
            state: Some(encoded),
            diagnostics: (&answer.diagnostics).into(),
            deferred: codec::deferred(answer.deferred),
        },
        Err(errors) => {
            let mut diagnostics = answer.diagnostics;
            diagnostics.extend(errors);
            failed(diagnostics)
        }
    }
}

/// The answer to a read whose configuration holds unknown values.
fn not_wholly_known(type_name: &str, deferral_allowed: bool) -> DataReadResponse {
    if deferral_allowed {
        return DataReadResponse {
            deferred: Some(DeferredReason::ResourceConfigUnknown),
            ..DataReadResponse::default()
        };
    }
    DataReadResponse {
        diagnostics: Diagnostics::error(
            "Data source configuration not known",
            format!(
                "{type_name} was asked to read with a configuration that holds values not \
                 known yet. Terraform reads such a data source during apply; this host \
                 asked during plan and does not accept a deferred answer."
            ),
        ),
        ..DataReadResponse::default()
    }
}

/// The configuration with every computed attribute it leaves null unknown, as
/// Terraform plans a read it cannot make yet (`objchange.PlannedDataResourceObject`).
fn placeholder(data_source: &RegisteredDataSource, config: Value) -> Value {
    if config.is_null() {
        return Value::unknown();
    }
    let proposed = config.clone();
    apply_schema_behaviours(&data_source.schema.block, &Value::Null, proposed, &config)
}

fn failed(diagnostics: Diagnostics) -> pb::read_data_source::Response {
    pb::read_data_source::Response {
        diagnostics: (&diagnostics).into(),
        ..Default::default()
    }
}
