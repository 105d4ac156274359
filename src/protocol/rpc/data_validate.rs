//! ValidateDataResourceConfig: checks of a data source's configuration that need no
//! remote calls. Values may still be unknown here.

use super::{ProviderService, codec, unsupported};
use crate::protocol::proto::tfplugin6 as pb;

pub(super) async fn validate_data_resource(
    service: &ProviderService,
    request: pb::validate_data_resource_config::Request,
) -> pb::validate_data_resource_config::Response {
    let Some(data_source) = service.data_source(&request.type_name) else {
        return unsupported::validate_data_resource(service, request);
    };
    let diagnostics = match codec::decode(
        request.config.as_ref(),
        &data_source.value_type,
        "configuration",
    ) {
        Ok(config) => data_source.handler.validate(&config).await,
        Err(diagnostics) => diagnostics,
    };
    pb::validate_data_resource_config::Response {
        diagnostics: (&diagnostics).into(),
    }
}
