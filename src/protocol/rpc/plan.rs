//! PlanResourceChange: the schema's plan behaviours first (defaults, unknowns for
//! computed values, keep-prior-value, requires-replace), then the resource's own plan.

use std::collections::BTreeMap;

use super::{ProviderService, codec};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::provider::PlanRequest;
use crate::protocol::schema::Block;
use crate::protocol::value::{AttributePath, Value};

pub(super) async fn plan(
    service: &ProviderService,
    request: pb::plan_resource_change::Request,
) -> pb::plan_resource_change::Response {
    match try_plan(service, &request).await {
        Ok(response) => response,
        Err(diagnostics) => pb::plan_resource_change::Response {
            diagnostics: (&diagnostics).into(),
            ..Default::default()
        },
    }
}

async fn try_plan(
    service: &ProviderService,
    request: &pb::plan_resource_change::Request,
) -> Result<pb::plan_resource_change::Response, Diagnostics> {
    let resource = service.resource(&request.type_name)?;
    let ty = &resource.value_type;
    let identity_type = resource.identity.as_ref().map(|(_, ty)| ty);
    let prior_state = codec::decode(request.prior_state.as_ref(), ty, "prior state")?;
    let proposed = codec::decode(request.proposed_new_state.as_ref(), ty, "proposed state")?;
    let config = codec::decode(request.config.as_ref(), ty, "configuration")?;
    if proposed.is_null() {
        // Destroy: nothing to plan (we do not ask for plan_destroy).
        return Ok(pb::plan_resource_change::Response {
            planned_state: request.proposed_new_state.clone(),
            planned_private: request.prior_private.clone(),
            ..Default::default()
        });
    }
    let block = &resource.schema.block;
    let proposed_new_state = apply_schema_behaviours(block, &prior_state, proposed, &config);
    let plan = PlanRequest {
        prior_identity: codec::decode_identity(request.prior_identity.as_ref(), identity_type)?,
        prior_state,
        proposed_new_state,
        config,
        prior_private: request.prior_private.clone(),
    };
    let prior_state = plan.prior_state.clone();
    let answer = resource.handler.plan(plan, &service.context()).await;
    let mut requires_replace = replaced_attributes(block, &prior_state, &answer.planned_state);
    for path in &answer.requires_replace {
        if !requires_replace.contains(path) {
            requires_replace.push(path.clone());
        }
    }
    Ok(pb::plan_resource_change::Response {
        planned_state: Some(codec::encode(&answer.planned_state, ty, "planned state")?),
        requires_replace: requires_replace
            .iter()
            .map(crate::protocol::diagnostics::path_to_proto)
            .collect(),
        planned_private: answer.planned_private,
        diagnostics: (&answer.diagnostics).into(),
        legacy_type_system: false,
        deferred: codec::deferred(answer.deferred),
        planned_identity: codec::encode_identity(answer.planned_identity.as_ref(), identity_type)?,
    })
}

/// Fills in what the schema decides for attributes the configuration leaves null:
/// defaults, "(known after apply)" for computed values on create, and the prior value
/// for computed values marked as never changing after create.
pub fn apply_schema_behaviours(
    block: &Block,
    prior_state: &Value,
    proposed: Value,
    config: &Value,
) -> Value {
    let Value::Object(mut attributes) = proposed else {
        return proposed;
    };
    let creating = prior_state.is_null();
    for attribute in &block.attributes {
        let configured = config
            .get_attr(&attribute.name)
            .is_some_and(|value| !value.is_null());
        if configured {
            continue;
        }
        let planned = if let Some(default) = &attribute.default {
            default.clone()
        } else if !attribute.is_computed() {
            continue;
        } else if creating {
            Value::unknown()
        } else if attribute.use_state_for_unknown {
            prior_state
                .get_attr(&attribute.name)
                .cloned()
                .unwrap_or(Value::Null)
        } else {
            continue;
        };
        attributes.insert(attribute.name.clone(), planned);
    }
    Value::Object(attributes)
}

/// The schema's requires-replace attributes whose planned value differs from the prior
/// state's. Nothing is replaced on create.
pub fn replaced_attributes(
    block: &Block,
    prior_state: &Value,
    planned: &Value,
) -> Vec<AttributePath> {
    if prior_state.is_null() || planned.is_null() {
        return Vec::new();
    }
    let empty = BTreeMap::new();
    let (prior, next) = match (prior_state, planned) {
        (Value::Object(prior), Value::Object(next)) => (prior, next),
        _ => (&empty, &empty),
    };
    block
        .attributes
        .iter()
        .filter(|attribute| attribute.requires_replace)
        .filter(|attribute| prior.get(&attribute.name) != next.get(&attribute.name))
        .map(|attribute| AttributePath::root().attribute(attribute.name.as_str()))
        .collect()
}
