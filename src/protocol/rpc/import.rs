//! ImportResourceState: adopt existing remote objects by id or by identity.

use super::{ProviderService, codec};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::provider::ImportRequest;

pub(super) async fn import(
    service: &ProviderService,
    request: pb::import_resource_state::Request,
) -> pb::import_resource_state::Response {
    match try_import(service, &request).await {
        Ok(response) => response,
        Err(diagnostics) => pb::import_resource_state::Response {
            diagnostics: (&diagnostics).into(),
            ..Default::default()
        },
    }
}

async fn try_import(
    service: &ProviderService,
    request: &pb::import_resource_state::Request,
) -> Result<pb::import_resource_state::Response, Diagnostics> {
    let resource = service.resource(&request.type_name)?;
    let identity_type = resource.identity.as_ref().map(|(_, ty)| ty);
    let import = ImportRequest {
        id: request.id.clone(),
        identity: codec::decode_identity(request.identity.as_ref(), identity_type)?,
    };
    let answer = resource.handler.import(import, &service.context()).await;
    let imported_resources = answer
        .imported
        .iter()
        .map(|stored| {
            Ok(pb::import_resource_state::ImportedResource {
                type_name: request.type_name.clone(),
                state: Some(codec::encode(
                    &stored.state,
                    &resource.value_type,
                    "imported state",
                )?),
                private: stored.private.clone(),
                identity: codec::encode_identity(stored.identity.as_ref(), identity_type)?,
            })
        })
        .collect::<Result<Vec<_>, Diagnostics>>()?;
    Ok(pb::import_resource_state::Response {
        imported_resources,
        diagnostics: (&answer.diagnostics).into(),
        deferred: codec::deferred(answer.deferred),
    })
}
