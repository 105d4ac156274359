//! MoveResourceState: `moved` blocks whose source is another resource type, possibly
//! of another provider.

use super::{ProviderService, codec, unsupported};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::provider::MoveRequest;

pub(super) fn move_state(
    service: &ProviderService,
    request: pb::move_resource_state::Request,
) -> pb::move_resource_state::Response {
    let Some(resource) = service
        .resource(&request.target_type_name)
        .ok()
        .filter(|r| r.handler.accepts_moves())
    else {
        return unsupported::move_resource_state(service, request);
    };
    let source_state = match request.source_state.as_ref().map(|raw| raw.json.as_slice()) {
        Some(json) if !json.is_empty() => match serde_json::from_slice(json) {
            Ok(state) => state,
            Err(err) => {
                return failed(Diagnostics::error(
                    "Unreadable source state",
                    err.to_string(),
                ));
            }
        },
        _ => {
            return failed(Diagnostics::error(
                "No source state",
                "The moved resource has no stored state to take over.",
            ));
        }
    };
    let answer = resource.handler.move_state(MoveRequest {
        source_provider_address: request.source_provider_address,
        source_type_name: request.source_type_name,
        source_schema_version: request.source_schema_version,
        source_state,
        source_private: request.source_private,
    });
    if answer.diagnostics.has_errors() {
        return failed(answer.diagnostics);
    }
    let identity_type = resource.identity.as_ref().map(|(_, ty)| ty);
    let encoded = codec::encode(&answer.target_state, &resource.value_type, "moved state")
        .and_then(|state| {
            Ok((
                state,
                codec::encode_identity(answer.target_identity.as_ref(), identity_type)?,
            ))
        });
    match encoded {
        Ok((target_state, target_identity)) => pb::move_resource_state::Response {
            target_state: Some(target_state),
            diagnostics: (&answer.diagnostics).into(),
            target_private: answer.target_private,
            target_identity,
        },
        Err(diagnostics) => failed(diagnostics),
    }
}

fn failed(diagnostics: Diagnostics) -> pb::move_resource_state::Response {
    pb::move_resource_state::Response {
        diagnostics: (&diagnostics).into(),
        ..Default::default()
    }
}
