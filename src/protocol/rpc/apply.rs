//! ApplyResourceChange: carry out a planned create, update or destroy.

use super::{ProviderService, codec};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::provider::ApplyRequest;
use crate::protocol::value::Value;

pub(super) async fn apply(
    service: &ProviderService,
    mut request: pb::apply_resource_change::Request,
) -> pb::apply_resource_change::Response {
    // Kept for the answer when nothing was done; the other values' bytes go once decoded.
    let prior_state = request.prior_state.take();
    match try_apply(service, request, prior_state.as_ref()).await {
        Ok(response) => response,
        Err(diagnostics) => pb::apply_resource_change::Response {
            // Nothing was done: what existed before still exists.
            new_state: prior_state,
            diagnostics: (&diagnostics).into(),
            ..Default::default()
        },
    }
}

async fn try_apply(
    service: &ProviderService,
    request: pb::apply_resource_change::Request,
    prior_state: Option<&pb::DynamicValue>,
) -> Result<pb::apply_resource_change::Response, Diagnostics> {
    let resource = service.resource(&request.type_name)?;
    let ty = &resource.value_type;
    let identity_type = resource.identity.as_ref().map(|(_, ty)| ty);
    let planned_identity =
        codec::decode_identity(request.planned_identity.as_ref(), identity_type)?;
    let apply = ApplyRequest {
        prior_state: codec::decode(prior_state, ty, "prior state")?,
        planned_state: codec::decode(request.planned_state.as_ref(), ty, "planned state")?,
        config: codec::decode(request.config.as_ref(), ty, "configuration")?,
        planned_private: request.planned_private,
        planned_identity,
    };
    // The planned state's and the configuration's bytes are decoded: not held through
    // the apply.
    drop((request.planned_state, request.config));
    let prior_was_null = apply.prior_state.is_null();
    let answer = resource.handler.apply(apply, &service.context()).await;
    // Nothing done: the prior state's own bytes go back.
    let (new_state, gone) = match (&answer.new_state, prior_state) {
        (Some(state), _) => (codec::encode(state, ty, "new state")?, state.is_null()),
        (None, Some(prior)) => (prior.clone(), prior_was_null),
        (None, None) => (codec::encode(&Value::Null, ty, "new state")?, true),
    };
    let identity = if gone {
        None
    } else {
        answer.new_identity.as_ref()
    };
    Ok(pb::apply_resource_change::Response {
        new_state: Some(new_state),
        private: answer.private,
        new_identity: codec::encode_identity(identity, identity_type)?,
        diagnostics: (&answer.diagnostics).into(),
        legacy_type_system: false,
    })
}
