//! GenerateResourceConfig (Terraform ≥ 1.14): the configuration `-generate-config-out`
//! writes for an imported or listed object.

use super::{ProviderService, codec, unsupported};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::proto::tfplugin6 as pb;

pub(super) fn generate_config(
    service: &ProviderService,
    request: pb::generate_resource_config::Request,
) -> pb::generate_resource_config::Response {
    let Ok(resource) = service.resource(&request.type_name) else {
        return unsupported::generate_resource_config(service, request);
    };
    let result =
        codec::decode(request.state.as_ref(), &resource.value_type, "state").and_then(|state| {
            match resource.handler.generate_config(&state) {
                Some(config) => {
                    codec::encode(&config?, &resource.value_type, "generated configuration")
                }
                None => Err(Diagnostics::error(
                    "Configuration generation not supported",
                    format!("{} does not generate configuration.", request.type_name),
                )),
            }
        });
    match result {
        Ok(config) => pb::generate_resource_config::Response {
            config: Some(config),
            diagnostics: Vec::new(),
        },
        Err(diagnostics) => pb::generate_resource_config::Response {
            config: None,
            diagnostics: (&diagnostics).into(),
        },
    }
}
