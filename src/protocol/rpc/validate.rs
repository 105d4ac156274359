//! ValidateResourceConfig: checks that need no remote calls.

use super::{ProviderService, codec};
use crate::protocol::proto::tfplugin6 as pb;

pub(super) async fn validate_resource(
    service: &ProviderService,
    request: pb::validate_resource_config::Request,
) -> pb::validate_resource_config::Response {
    let diagnostics = match service.resource(&request.type_name) {
        Err(diagnostics) => diagnostics,
        Ok(resource) => {
            match codec::decode(
                request.config.as_ref(),
                &resource.value_type,
                "configuration",
            ) {
                Ok(config) => resource.handler.validate(&config).await,
                Err(diagnostics) => diagnostics,
            }
        }
    };
    pb::validate_resource_config::Response {
        diagnostics: (&diagnostics).into(),
    }
}
