//! ReadResource: refresh one resource instance from the remote system.

use super::{ProviderService, codec};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::provider::{ReadRequest, Refreshed, Stored};
use crate::protocol::value::Value;

pub(super) async fn read(
    service: &ProviderService,
    request: pb::read_resource::Request,
) -> pb::read_resource::Response {
    match try_read(service, &request).await {
        Ok(response) => response,
        Err(diagnostics) => pb::read_resource::Response {
            // On a failure, keep the state Terraform had rather than erasing it.
            new_state: request.current_state.clone(),
            private: request.private.clone(),
            new_identity: request.current_identity.clone(),
            diagnostics: (&diagnostics).into(),
            ..Default::default()
        },
    }
}

async fn try_read(
    service: &ProviderService,
    request: &pb::read_resource::Request,
) -> Result<pb::read_resource::Response, Diagnostics> {
    let resource = service.resource(&request.type_name)?;
    let identity_type = resource.identity.as_ref().map(|(_, ty)| ty);
    let current = Stored {
        state: codec::decode(
            request.current_state.as_ref(),
            &resource.value_type,
            "state",
        )?,
        private: request.private.clone(),
        identity: codec::decode_identity(request.current_identity.as_ref(), identity_type)?,
    };
    let answer = resource
        .handler
        .read(ReadRequest { current }, &service.context())
        .await;
    let (new_state, private, new_identity) = match answer.new {
        Refreshed::AsBefore => (
            request.current_state.clone(),
            request.private.clone(),
            request.current_identity.clone(),
        ),
        Refreshed::Gone => (
            Some(codec::encode(&Value::Null, &resource.value_type, "state")?),
            Vec::new(),
            None,
        ),
        Refreshed::Now(new) => {
            let identity = match new.state.is_null() {
                true => None,
                false => new.identity.as_ref(),
            };
            (
                Some(codec::encode(&new.state, &resource.value_type, "state")?),
                new.private,
                codec::encode_identity(identity, identity_type)?,
            )
        }
    };
    Ok(pb::read_resource::Response {
        new_state,
        private,
        new_identity,
        deferred: codec::deferred(answer.deferred),
        diagnostics: (&answer.diagnostics).into(),
    })
}
